import type { Command } from 'commander';
import { loadConfig, type VigieConfig } from '../config/load.js';
import type { SettingKey } from '../config/settings.js';
import { ConfigError, ForeignError, VigieError } from '../errors.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { scrub } from '../observability/secrets.js';
import { EXIT } from './exit-codes.js';
import { collectGarbage, releaseYoungGeneration } from '../util/heap.js';

/** Options every command takes (declared on the root program). */
export interface GlobalOptions {
  config?: string;
  dataDir?: string;
  logLevel?: string;
}

/** Loads the config from the global options plus a command's own flags (already mapped to setting keys). */
export function configFrom(cmd: Command, flags: Partial<Record<SettingKey, unknown>> = {}): VigieConfig {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  return loadConfig({ configFile: g.config, flags: { dataDir: g.dataDir, logLevel: g.logLevel, ...flags } });
}

/**
 * The logger of a one-shot command (credentials, config…): stderr, so that stdout stays the
 * command's answer (pipeable JSON), and `floor` (warnings) and above only unless debugging was
 * asked for.
 */
export function cliLogger(config: VigieConfig, base: Record<string, unknown>, floor: 'warn' | 'error' = 'warn'): Logger {
  const level = ['trace', 'debug'].includes(config.logLevel) ? config.logLevel : floor;
  return createLogger({ level, format: config.logFormat, base, destination: process.stderr });
}

/** The logger of a long-running process (worker, coordinator). */
export function loggerFor(config: VigieConfig, base: Record<string, unknown>): Logger {
  return createLogger({ level: config.logLevel, format: config.logFormat, base });
}

/** Prints an error the way an operator can act on it, and sets the exit code (2: bad config or input, else 1). */
export function reportError(err: unknown): void {
  if (err instanceof VigieError || err instanceof ForeignError) {
    process.stderr.write(`vigie: ${scrub(err.message)}${err instanceof ConfigError ? '' : ` [${err.code}]`}\n`);
    process.exitCode = err instanceof ConfigError || err.httpStatus === 400 ? EXIT.USAGE : EXIT.FAILED;
    return;
  }
  process.stderr.write(`vigie: ${scrub(err instanceof Error ? (err.stack ?? err.message) : String(err))}\n`);
  process.exitCode = EXIT.FAILED;
}

/** Wraps a command action so that errors are reported, not thrown as stack traces. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args) => {
    try {
      await fn(...args);
      // Start-up is over (a server's), or the command is (a one-shot's): the young generation,
      // held by the bin while the program started, grows again (util/heap.ts says why).
      releaseYoungGeneration();
    } catch (err) {
      reportError(err);
    }
  };
}

/**
 * Runs `stop` on the first SIGTERM/SIGINT, then exits 0; a second signal exits at once (the
 * operator insists). With `exitWithParent`, the parent's IPC channel closing counts as a
 * SIGTERM (see `requireParentChannel`). Returns a function that removes the handlers.
 */
export function onShutdownSignal(logger: Logger, stop: () => Promise<void>, opts: { exitWithParent?: boolean } = {}): () => void {
  let stopping = false;
  const shutdown = (fields: Record<string, unknown>, msg: string) => {
    if (stopping) {
      logger.warn(fields, 'asked again while stopping: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info(fields, msg);
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  const handler = (signal: NodeJS.Signals) => shutdown({ signal }, 'shutting down');
  // The parent going away while this process already stops (Ctrl-C reached both) is no reason
  // to cut the drain short: only a second signal is.
  const parentGone = () => {
    if (!stopping) shutdown({ parentPid: process.ppid }, 'parent process gone: shutting down');
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  if (opts.exitWithParent) {
    if (!process.connected) parentGone();
    else process.once('disconnect', parentGone);
  }
  return () => {
    process.off('SIGTERM', handler);
    process.off('SIGINT', handler);
    process.off('disconnect', parentGone);
  };
}

/**
 * For a process that `vigie up` starts with an IPC channel (`--exit-with-parent`): when the
 * channel closes, the parent is gone, even killed with SIGKILL, which it cannot pass on; the
 * kernel closes the channel, so no timer or polling is involved. Call before starting anything:
 * a process without the channel is refused at once, and the channel is unref'd so that it never
 * keeps the process alive on its own (after a failed start).
 */
export function requireParentChannel(): void {
  if (!process.channel) {
    throw new ConfigError('--exit-with-parent needs an IPC channel from the parent process (spawn it with stdio "ipc"); `vigie up` starts its workers that way.');
  }
  process.channel.unref();
}

/** Collects a repeatable option into an array. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * The hook `vigie coordinator` gives its coordinator: a full collection once each cycle has ended,
 * so that a cycle's garbage does not pile up in the old generation (util/heap.ts says why). Not
 * set where the coordinator shares a process it does not own (tests, an embedding program).
 */
export function collectAfterCycle(logger: Logger): () => void {
  return () => {
    const ms = collectGarbage();
    logger.debug({ ms: Math.round(ms) }, 'garbage of the cycle collected');
  };
}
