import type { Command } from 'commander';
import { CoordinatorApi } from './api-client.js';
import { action, configFrom } from './common.js';

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** `vigie failover history|status|trigger`: the failover ladder of a running coordinator (VIGIE_URL). */
export function registerFailoverCommand(program: Command): void {
  const failover = program.command('failover').description('the failover ladder: steps taken, per-worker state, an operator\'s step (VIGIE_URL)');
  failover
    .command('history')
    .description('the last failover steps, newest first (50 kept)')
    .action(action(async (_o: unknown, cmd: Command) => print(await new CoordinatorApi(configFrom(cmd)).call('GET', '/api/v1/failover/history'))));
  failover
    .command('status')
    .description('per worker: 403 streak, next step, cooldown left, step under way')
    .action(action(async (_o: unknown, cmd: Command) => print(await new CoordinatorApi(configFrom(cmd)).call('GET', '/api/v1/failover/status'))));
  failover
    .command('trigger <workerId>')
    .description('take a step on a worker now (the leader runs it; no streak or cooldown needed)')
    .option('--step <step>', 'restart | region | app (default: the worker\'s next rung)')
    .action(
      action(async (workerId: string, o: { step?: string }, cmd: Command) => {
        print(await new CoordinatorApi(configFrom(cmd)).call('POST', '/api/v1/failover/trigger', { workerId, ...(o.step ? { step: o.step } : {}) }));
      }),
    );
}
