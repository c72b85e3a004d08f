import type { Command } from 'commander';
import { collectGarbage } from '../util/heap.js';
import { action, collect, collectAfterCycle, configFrom, loggerFor, onShutdownSignal } from './common.js';

/** What the demo shows and how fast; the README says the same (a test compares them). */
export const DEMO_PROMISE = 'cycles, matches and notifications within seconds';

/** `vigie up`: the whole fleet on this machine, one command. */
export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description('run a coordinator (127.0.0.1:8080) and local workers (127.0.0.2, .3, …) on the embedded store')
    .option('--workers <n>', 'number of local workers', '3')
    .option('--port <port>', 'coordinator port (PORT, default 8080)')
    .option('--worker-port <port>', 'port of each local worker (each has its own address)', '8081')
    .option('--plugin <module>', 'custom command module for the workers (repeatable)', collect)
    .option('--demo', `also run a sample marketplace with three alerts: ${DEMO_PROMISE} (its data in <data dir>/demo)`)
    .option('--demo-block-after <n>', 'with --demo: the marketplace answers 403 to the first worker after n requests (shows a ban)')
    .action(
      action(async (flags: { workers: string; port?: string; workerPort: string; plugin?: string[]; demo?: boolean; demoBlockAfter?: string }, cmd: Command) => {
        const config = configFrom(cmd, { port: flags.port, host: '127.0.0.1', plugins: flags.plugin });
        const logger = loggerFor(config, { role: 'coordinator' });
        const { up } = await import('../up/up.js');
        const fleet = await up(config, logger, {
          workers: Number(flags.workers),
          workerPort: Number(flags.workerPort),
          demo: flags.demo ? (flags.demoBlockAfter !== undefined ? { blockAfter: Number(flags.demoBlockAfter) } : {}) : undefined,
          print: (line) => process.stderr.write(`${line}\n`),
          // As `vigie coordinator` does: the coordinator runs in this process, which `up` owns.
          afterCycle: collectAfterCycle(logger),
        });
        collectGarbage();
        onShutdownSignal(logger, () => fleet.stop());
      }),
    );
}
