import type { Command } from 'commander';
import { CoordinatorApi } from './api-client.js';
import { action, configFrom } from './common.js';
import { JSON_HELP, printAnswer, renderJson, type OutputFlags } from './output.js';
import { failoverHistoryView, failoverStatusView } from './views.js';

/** `vigie failover history|status|trigger`: the failover ladder of a running coordinator (VIGIE_URL). */
export function registerFailoverCommand(program: Command): void {
  const failover = program.command('failover').description('the failover ladder: steps taken, per-worker state, an operator\'s step (VIGIE_URL)');
  failover
    .command('history')
    .description('the last failover steps, newest first (50 kept; a table on a terminal, JSON with --json or when piped)')
    .option('--json', JSON_HELP)
    .action(action(async (o: OutputFlags, cmd: Command) => printAnswer(o, await new CoordinatorApi(configFrom(cmd)).call<Parameters<typeof failoverHistoryView>[0]>('GET', '/api/v1/failover/history'), failoverHistoryView)));
  failover
    .command('status')
    .description('per worker: 403 streak, next step, cooldown left, step under way')
    .option('--json', JSON_HELP)
    .action(action(async (o: OutputFlags, cmd: Command) => printAnswer(o, await new CoordinatorApi(configFrom(cmd)).call<Parameters<typeof failoverStatusView>[0]>('GET', '/api/v1/failover/status'), failoverStatusView)));
  failover
    .command('trigger <workerId>')
    .description('take a step on a worker now (the leader runs it; no streak or cooldown needed)')
    .option('--step <step>', 'restart | region | app (default: the worker\'s next rung)')
    .action(
      action(async (workerId: string, o: { step?: string }, cmd: Command) => {
        process.stdout.write(renderJson(await new CoordinatorApi(configFrom(cmd)).call('POST', '/api/v1/failover/trigger', { workerId, ...(o.step ? { step: o.step } : {}) })));
      }),
    );
}
