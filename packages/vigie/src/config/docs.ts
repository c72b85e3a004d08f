import { kebab } from './load.js';
import { SETTINGS, type Group, type Setting } from './settings.js';

const GROUP_TITLES: Record<Group, string> = {
  general: 'General',
  worker: 'Worker',
  coordinator: 'Coordinator',
  alerts: 'Alerts and notifications',
  failover: 'Failover',
  lock: 'Locks and config store',
  standby: 'Primary / standby',
};

/** The README's config table, rendered from the settings table so that it cannot drift. */
export function renderConfigTable(): string {
  const out: string[] = [];
  for (const group of Object.keys(GROUP_TITLES) as Group[]) {
    out.push(`#### ${GROUP_TITLES[group]}`, '', '| env | file key | default | allowed | what it does |', '|---|---|---|---|---|');
    for (const [key, s] of Object.entries(SETTINGS) as Array<[string, Setting]>) {
      if (s.group !== group) continue;
      const def = s.default === undefined ? '—' : `\`${Array.isArray(s.default) ? s.default.join(',') || '(empty)' : String(s.default)}\``;
      const secret = s.secret ? ' Secret: masked in output and logs.' : '';
      out.push(`| \`${s.env}\` | \`${key}\` | ${def} | ${s.kind.allowed} | ${s.doc.replace(/\|/g, '\\|')}${secret} |`);
    }
    out.push('');
  }
  out.push(`Flags: a setting given as a flag (\`--${kebab('workerRegion')}\`-style, see \`vigie <command> --help\`) wins over env, env over the file, the file over the default.`);
  return out.join('\n');
}
