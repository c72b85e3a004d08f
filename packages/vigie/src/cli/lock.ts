import type { Command } from 'commander';
import { action, cliLogger, configFrom } from './common.js';

/** `vigie lock status [name…]`: who holds the leadership (and other locks), with fencing and TTL. */
export function registerLockCommand(program: Command): void {
  const lock = program.command('lock').description('inspect the distributed locks (REDIS_URL, or the file lock)');
  lock
    .command('status [names...]')
    .description('show the holder, fencing number and time left of each lock (default: leader)')
    .action(
      action(async (names: string[], _opts: unknown, cmd: Command) => {
        const config = configFrom(cmd);
        const { lockBackendFor } = await import('../lock/from-config.js');
        const { lockStatus } = await import('../lock/index.js');
        const backend = lockBackendFor(config, cliLogger(config, { cli: 'lock' }));
        try {
          const views = [];
          for (const name of names.length > 0 ? names : ['leader']) views.push(await lockStatus(backend, name));
          process.stdout.write(`${JSON.stringify(views.length === 1 ? views[0] : views, null, 2)}\n`);
        } finally {
          await backend.close();
        }
      }),
    );
}
