import type { Command } from 'commander';
import { CoordinatorApi } from './api-client.js';
import { action, configFrom } from './common.js';
import { exitCodeForCycle } from './exit-codes.js';
import { JSON_HELP, printAnswer, type OutputFlags } from './output.js';
import { runsView, statsView, workersView } from './views.js';

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** `vigie workers …`, `vigie stats`, `vigie cycle …`: operate a running coordinator. */
export function registerFleetCommands(program: Command): void {
  const workers = program.command('workers').description('list, add and remove the coordinator\'s workers (VIGIE_URL)');
  workers
    .command('list')
    .description('list registered workers (a table on a terminal; JSON with --json or when piped)')
    .option('--json', JSON_HELP)
    .action(action(async (o: OutputFlags, cmd: Command) => printAnswer(o, await new CoordinatorApi(configFrom(cmd)).call<Parameters<typeof workersView>[0]>('GET', '/api/v1/worker/main/workers'), workersView)));
  workers
    .command('add <id> <url>')
    .description('register a worker at run time')
    .option('--name <name>', 'display name')
    .option('--region <region>', 'region label')
    .action(
      action(async (id: string, url: string, o: { name?: string; region?: string }, cmd: Command) => {
        print(await new CoordinatorApi(configFrom(cmd)).call('POST', '/api/v1/worker/main/workers', { id, url, ...(o.name ? { name: o.name } : {}), ...(o.region ? { region: o.region } : {}) }));
      }),
    );
  workers
    .command('rm <id>')
    .description('remove a worker')
    .action(action(async (id: string, _o: unknown, cmd: Command) => print(await new CoordinatorApi(configFrom(cmd)).call('DELETE', `/api/v1/worker/main/workers/${encodeURIComponent(id)}`))));
  workers
    .command('update <id>')
    .description('change a running worker\'s url, region or name (the next command goes to the new url)')
    .option('--url <url>', 'new url')
    .option('--region <region>', 'new region label')
    .option('--name <name>', 'new display name')
    .action(
      action(async (id: string, o: { url?: string; region?: string; name?: string }, cmd: Command) => {
        print(await new CoordinatorApi(configFrom(cmd)).call('PATCH', `/api/v1/worker/main/workers/${encodeURIComponent(id)}`, o));
      }),
    );
  workers
    .command('ban <id>')
    .description('take a worker out of service for a while (WORKER_BAN_DURATION_MS unless --duration-ms)')
    .option('--duration-ms <ms>', 'how long')
    .option('--reason <text>', 'why, shown in stats')
    .action(
      action(async (id: string, o: { durationMs?: string; reason?: string }, cmd: Command) => {
        const body = { ...(o.durationMs ? { durationMs: Number(o.durationMs) } : {}), ...(o.reason ? { reason: o.reason } : {}) };
        print(await new CoordinatorApi(configFrom(cmd)).call('POST', `/api/v1/worker/main/workers/${encodeURIComponent(id)}/ban`, body));
      }),
    );
  workers
    .command('unban <id>')
    .description('put a banned worker back in service now')
    .action(action(async (id: string, _o: unknown, cmd: Command) => print(await new CoordinatorApi(configFrom(cmd)).call('POST', `/api/v1/worker/main/workers/${encodeURIComponent(id)}/unban`, {}))));

  program
    .command('stats')
    .description('worker stats: health, bans, requests, success rate (a table on a terminal; JSON with --json or when piped)')
    .option('--json', JSON_HELP)
    .action(action(async (o: OutputFlags, cmd: Command) => printAnswer(o, await new CoordinatorApi(configFrom(cmd)).call<Parameters<typeof statsView>[0]>('GET', '/api/v1/worker/main/stats'), statsView)));

  const cycle = program.command('cycle').description('alert cycles');
  cycle
    .command('run')
    .description('run one alert cycle now and print its summary (exit 1 if it failed, 3 if partial)')
    .action(
      action(async (_o: unknown, cmd: Command) => {
        const answer = await new CoordinatorApi(configFrom(cmd)).call<{ data?: { status?: string } }>('POST', '/api/v1/alerts/run-once', {});
        print(answer);
        process.exitCode = exitCodeForCycle(answer.data?.status ?? 'ok');
      }),
    );
  cycle
    .command('list')
    .description('recent cycles (a table on a terminal; JSON with --json or when piped)')
    .option('--limit <n>', 'how many', '20')
    .option('--json', JSON_HELP)
    .action(action(async (o: OutputFlags & { limit: string }, cmd: Command) => printAnswer(o, await new CoordinatorApi(configFrom(cmd)).call<Parameters<typeof runsView>[0]>('GET', `/api/v1/alerts/runs?limit=${encodeURIComponent(o.limit)}`), runsView)));
}
