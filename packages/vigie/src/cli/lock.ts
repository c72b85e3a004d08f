import type { Command } from 'commander';
import { action, cliLogger, configFrom } from './common.js';
import { JSON_HELP, printAnswer, type OutputFlags } from './output.js';
import { locksView } from './views.js';

/** `vigie lock status [name…]`: who holds the leadership (and other locks), with fencing and TTL. */
export function registerLockCommand(program: Command): void {
  const lock = program.command('lock').description('inspect the distributed locks (REDIS_URL, or the file lock)');
  lock
    .command('status [names...]')
    .description('show the holder, fencing number and time left of each lock (default: leader; a table on a terminal, JSON with --json or when piped)')
    .option('--json', JSON_HELP)
    .action(
      action(async (names: string[], opts: OutputFlags, cmd: Command) => {
        const config = configFrom(cmd);
        const { lockBackendFor } = await import('../lock/from-config.js');
        const { lockStatus } = await import('../lock/index.js');
        // Errors only: the file lock's "one host only" warning is for processes that take the
        // lock, not for a look at it (the table says which backend answered).
        const backend = lockBackendFor(config, cliLogger(config, { cli: 'lock' }, 'error'));
        try {
          const views: Array<Awaited<ReturnType<typeof lockStatus>>> = [];
          for (const name of names.length > 0 ? names : ['leader']) views.push(await lockStatus(backend, name));
          printAnswer(opts, views.length === 1 ? views[0]! : views, () => locksView(views));
        } finally {
          await backend.close();
        }
      }),
    );
}
