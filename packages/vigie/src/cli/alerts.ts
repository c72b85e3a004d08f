import type { Command } from 'commander';
import { VigieError } from '../errors.js';
import { registerAlertTransferCommands } from './alerts-transfer.js';
import { CoordinatorApi } from './api-client.js';
import { action, collect, configFrom } from './common.js';
import { forPerson, JSON_HELP, printAnswer, type OutputFlags } from './output.js';
import { alertsView, matchesView } from './views.js';

interface AddFlags {
  name: string;
  source: string;
  query?: string;
  priceMin?: string;
  priceMax?: string;
  condition?: string[];
  include?: string[];
  exclude?: string[];
  notify?: string[];
  notifyExisting?: boolean;
  paused?: boolean;
}

function price(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new VigieError('INVALID_INPUT', `${flag} must be a number ≥ 0, got "${v}".`, 400);
  return n;
}

/** `telegram`, `telegram:<chatId>`, `log`, `webhook:<url>[#<secretRef>]` → a notify target. */
function target(spec: string): Record<string, string> {
  if (spec === 'log') return { channel: 'log' };
  if (spec === 'telegram') return { channel: 'telegram' };
  if (spec.startsWith('telegram:')) return { channel: 'telegram', chatId: spec.slice('telegram:'.length) };
  if (spec.startsWith('webhook:')) {
    const [url, secretRef] = spec.slice('webhook:'.length).split('#');
    return { channel: 'webhook', url: url!, ...(secretRef ? { secretRef } : {}) };
  }
  throw new VigieError('INVALID_INPUT', `--notify "${spec}": use log, telegram, telegram:<chatId> or webhook:<url>[#<credential>].`, 400);
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** `vigie alerts add|list|pause|resume|rm`: saved searches, through the coordinator's API. */
export function registerAlertsCommand(program: Command): void {
  const alerts = program.command('alerts').description('saved searches checked by every cycle (VIGIE_URL)');
  alerts
    .command('add')
    .description('add an alert')
    .requiredOption('--name <name>', 'a name for humans')
    .requiredOption('--source <source>', 'a source from the config file')
    .option('--query <query>', 'the search')
    .option('--price-min <n>', 'lowest price')
    .option('--price-max <n>', 'highest price')
    .option('--condition <c>', 'accepted condition (repeatable)', collect)
    .option('--include <word>', 'word the title must have (repeatable)', collect)
    .option('--exclude <word>', 'word the title must not have (repeatable)', collect)
    .option('--notify <target>', 'log | telegram[:chatId] | webhook:<url>[#credential] (repeatable)', collect)
    .option('--notify-existing', 'notify what is already listed at the first check (default: record it silently)')
    .option('--paused', 'add it paused')
    .action(
      action(async (f: AddFlags, cmd: Command) => {
        const body = {
          name: f.name,
          source: f.source,
          query: f.query ?? '',
          ...(f.priceMin !== undefined ? { priceMin: price('--price-min', f.priceMin) } : {}),
          ...(f.priceMax !== undefined ? { priceMax: price('--price-max', f.priceMax) } : {}),
          ...(f.condition ? { conditions: f.condition } : {}),
          ...(f.include ? { includeWords: f.include } : {}),
          ...(f.exclude ? { excludeWords: f.exclude } : {}),
          ...(f.notify ? { notify: f.notify.map(target) } : {}),
          ...(f.notifyExisting ? { notifyExisting: true } : {}),
          ...(f.paused ? { active: false } : {}),
        };
        const answer = await new CoordinatorApi(configFrom(cmd)).call<{ warnings?: string[] }>('POST', '/api/v1/alerts', body);
        print(answer);
        for (const w of answer.warnings ?? []) process.stderr.write(`vigie: warning: ${w}\n`);
      }),
    );
  alerts
    .command('list')
    .description('list alerts (a table on a terminal; JSON with --json or when piped)')
    .option('--active', 'only active ones')
    .option('--json', JSON_HELP)
    .action(action(async (f: OutputFlags & { active?: boolean }, cmd: Command) => printAnswer(f, await new CoordinatorApi(configFrom(cmd)).call<Parameters<typeof alertsView>[0]>('GET', `/api/v1/alerts${f.active ? '?active=true' : ''}`), alertsView)));
  for (const verb of ['pause', 'resume'] as const) {
    alerts
      .command(`${verb} <id>`)
      .description(`${verb} an alert`)
      .action(action(async (id: string, _f: unknown, cmd: Command) => print(await new CoordinatorApi(configFrom(cmd)).call('POST', `/api/v1/alerts/${encodeURIComponent(id)}/${verb}`, {}))));
  }
  alerts
    .command('rm <id>')
    .description('delete an alert with its matches')
    .action(action(async (id: string, _f: unknown, cmd: Command) => print(await new CoordinatorApi(configFrom(cmd)).call('DELETE', `/api/v1/alerts/${encodeURIComponent(id)}`))));
  registerAlertTransferCommands(alerts);
  program
    .command('matches')
    .description('recent matches (a table on a terminal; JSON with --json or when piped)')
    .option('--limit <n>', 'how many', '20')
    .option('--json', JSON_HELP)
    .action(
      action(async (f: OutputFlags & { limit: string }, cmd: Command) => {
        const api = new CoordinatorApi(configFrom(cmd));
        const answer = await api.call<Parameters<typeof matchesView>[0]>('GET', `/api/v1/matches?limit=${encodeURIComponent(f.limit)}`);
        if (!forPerson(f)) return printAnswer(f, answer, matchesView);
        // A person reads alert names, not ids.
        const names = new Map((await api.call<{ alerts: Array<{ id: string; name: string }> }>('GET', '/api/v1/alerts')).alerts.map((a) => [a.id, a.name] as const));
        printAnswer(f, answer, (a) => matchesView(a, names));
      }),
    );
}
