import type { Command } from 'commander';
import { collectGarbage } from '../util/heap.js';
import { action, collectAfterCycle, configFrom, loggerFor, onShutdownSignal } from './common.js';

/** `vigie coordinator`: runs the coordinator (the seed's main worker). */
export function registerCoordinatorCommand(program: Command): void {
  program
    .command('coordinator')
    .description('run the coordinator: health checks, balancer, alert cycles (workers from --config)')
    .option('--host <addr>', 'address to listen on (HOST, default 127.0.0.1)')
    .option('--port <port>', 'port to listen on (PORT, default 8080)')
    .option('--insecure', 'run without VIGIE_API_KEY (loopback only)')
    .action(
      action(async (flags: { host?: string; port?: string; insecure?: boolean }, cmd: Command) => {
        const config = configFrom(cmd, { host: flags.host, port: flags.port, insecure: flags.insecure });
        const logger = loggerFor(config, { role: 'coordinator' });
        const { startCoordinator } = await import('../coordinator/start.js');
        const coordinator = await startCoordinator(config, logger, { afterCycle: collectAfterCycle(logger) });
        // Start-up (config, store, the first health round over every worker) leaves its garbage too.
        collectGarbage();
        onShutdownSignal(logger, () => coordinator.close());
      }),
    );
}
