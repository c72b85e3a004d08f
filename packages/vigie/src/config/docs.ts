import { ERROR_CATALOGUE } from '../errors.js';
import { markdownCell } from '../util/markdown.js';
import { kebab } from './load.js';
import { SETTINGS, type Applies, type Group, type Setting } from './settings.js';

const GROUP_TITLES: Record<Group, string> = {
  general: 'General',
  worker: 'Worker',
  coordinator: 'Coordinator',
  alerts: 'Alerts and notifications',
  failover: 'Failover',
  lock: 'Locks and config store',
  standby: 'Primary / standby',
};

/** The "applies" column's words for each mode. */
export const APPLIES_LABEL: Record<Applies, string> = {
  live: 'live',
  restart: 'restart',
  unread: 'not read yet',
};

/** What a change of a setting with this mode does, in one sentence (the docs' legend and `vigie config set`). */
export const APPLIES_MEANING: Record<Applies, string> = {
  live: 'running coordinators apply a `vigie config set` change from their next action, without a restart',
  restart: 'read when a process starts: change it in the environment, config file or flags and restart the process',
  unread: 'nothing in this version reads it yet: setting it changes nothing',
};

/** The doc of a setting as the table shows it: a setting nothing reads says so first. */
export function describeSetting(s: Setting): string {
  const secret = s.secret ? ' Secret: masked in output and logs.' : '';
  if (s.applies === 'unread') return `Not read yet: setting it changes nothing in this version. Planned: ${s.doc}${secret}`;
  return `${s.doc}${secret}`;
}

/** The README's config table, rendered from the settings table so that it cannot drift. */
export function renderConfigTable(): string {
  const out: string[] = [
    'The **applies** column says how a value takes effect: ' +
      (Object.keys(APPLIES_LABEL) as Applies[]).map((a) => `**${APPLIES_LABEL[a]}**: ${APPLIES_MEANING[a]}`).join('; ') +
      '.',
    '',
  ];
  for (const group of Object.keys(GROUP_TITLES) as Group[]) {
    out.push(`#### ${GROUP_TITLES[group]}`, '', '| env | file key | default | allowed | applies | what it does |', '|---|---|---|---|---|---|');
    for (const [key, s] of Object.entries(SETTINGS) as Array<[string, Setting]>) {
      if (s.group !== group) continue;
      const def = s.default === undefined ? '—' : `\`${Array.isArray(s.default) ? s.default.join(',') || '(empty)' : String(s.default)}\``;
      out.push(`| ${[`\`${s.env}\``, `\`${key}\``, def, s.kind.allowed, APPLIES_LABEL[s.applies], describeSetting(s)].map(markdownCell).join(' | ')} |`);
    }
    out.push('');
  }
  out.push(`Flags: a setting given as a flag (\`--${kebab('workerRegion')}\`-style, see \`vigie <command> --help\`) wins over env, env over the file, the file over the default.`);
  return out.join('\n');
}

/** The README's list of error codes, from the catalogue (errors.ts), with the same cell escaping as the config table. */
export function renderErrorTable(): string {
  const rows = Object.entries(ERROR_CATALOGUE).map(([code, s]) => `| \`${code}\` | ${s.status} | ${s.area} | ${markdownCell(s.todo)} |`);
  return ['| code | HTTP | from | what to do |', '|---|---|---|---|', ...rows].join('\n');
}
