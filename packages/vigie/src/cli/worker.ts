import type { Command } from 'commander';
import { action, collect, configFrom, loggerFor, onShutdownSignal, requireParentChannel } from './common.js';

interface WorkerFlags {
  id?: string;
  name?: string;
  region?: string;
  host?: string;
  port?: string;
  insecure?: boolean;
  plugin?: string[];
  exitWithParent?: boolean;
}

/** `vigie worker`: runs a regional worker. */
export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run a regional worker (serves /api/v1/worker/execute)')
    .option('--id <id>', 'worker id (WORKER_ID)')
    .option('--name <name>', 'worker name (WORKER_NAME)')
    .option('--region <region>', 'region label (WORKER_REGION)')
    .option('--host <addr>', 'address to listen on (HOST, default 127.0.0.1)')
    .option('--port <port>', 'port to listen on (PORT, default 8081)')
    .option('--insecure', 'run without VIGIE_API_KEY (loopback only)')
    .option('--plugin <module>', 'load custom command handlers from a module (repeatable; VIGIE_PLUGINS)', collect)
    .option('--exit-with-parent', 'stop when the parent process is gone (its IPC channel closes); `vigie up` starts its workers so')
    .action(
      action(async (flags: WorkerFlags, cmd: Command) => {
        const config = configFrom(cmd, {
          workerId: flags.id,
          workerName: flags.name,
          workerRegion: flags.region,
          host: flags.host,
          port: flags.port,
          insecure: flags.insecure,
          plugins: flags.plugin,
        });
        if (flags.exitWithParent) requireParentChannel();
        const logger = loggerFor(config, { role: 'worker' });
        const { startWorker } = await import('../worker/start.js');
        const worker = await startWorker(config, logger);
        onShutdownSignal(logger, () => worker.close(), { exitWithParent: flags.exitWithParent === true });
      }),
    );
}
