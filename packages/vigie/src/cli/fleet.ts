import type { Command } from 'commander';
import { CoordinatorApi } from './api-client.js';
import { action, configFrom } from './common.js';

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** `vigie workers …`, `vigie stats`, `vigie cycle …`: operate a running coordinator. */
export function registerFleetCommands(program: Command): void {
  const workers = program.command('workers').description('list, add and remove the coordinator\'s workers (VIGIE_URL)');
  workers
    .command('list')
    .description('list registered workers')
    .action(action(async (_o: unknown, cmd: Command) => print(await new CoordinatorApi(configFrom(cmd)).call('GET', '/api/v1/worker/main/workers'))));
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
    .description('worker stats: health, bans, requests, success rate')
    .action(action(async (_o: unknown, cmd: Command) => print(await new CoordinatorApi(configFrom(cmd)).call('GET', '/api/v1/worker/main/stats'))));

  const cycle = program.command('cycle').description('alert cycles');
  cycle
    .command('run')
    .description('run one alert cycle now and print its summary')
    .action(action(async (_o: unknown, cmd: Command) => print(await new CoordinatorApi(configFrom(cmd)).call('POST', '/api/v1/alerts/run-once', {}))));
  cycle
    .command('list')
    .description('recent cycles')
    .option('--limit <n>', 'how many', '20')
    .action(action(async (o: { limit: string }, cmd: Command) => print(await new CoordinatorApi(configFrom(cmd)).call('GET', `/api/v1/alerts/runs?limit=${encodeURIComponent(o.limit)}`))));
}
