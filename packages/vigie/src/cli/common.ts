import type { Command } from 'commander';
import { loadConfig, type VigieConfig } from '../config/load.js';
import type { SettingKey } from '../config/settings.js';
import { ConfigError, ForeignError, VigieError } from '../errors.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { scrub } from '../observability/secrets.js';

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
 * command's answer (pipeable JSON), and warnings only unless debugging was asked for.
 */
export function cliLogger(config: VigieConfig, base: Record<string, unknown>): Logger {
  const level = ['trace', 'debug'].includes(config.logLevel) ? config.logLevel : 'warn';
  return createLogger({ level, format: config.logFormat, base, destination: process.stderr });
}

/** The logger of a long-running process (worker, coordinator). */
export function loggerFor(config: VigieConfig, base: Record<string, unknown>): Logger {
  return createLogger({ level: config.logLevel, format: config.logFormat, base });
}

/** Prints an error the way an operator can act on it, and sets the exit code (2: bad config or input). */
export function reportError(err: unknown): void {
  if (err instanceof VigieError || err instanceof ForeignError) {
    process.stderr.write(`vigie: ${scrub(err.message)}${err instanceof ConfigError ? '' : ` [${err.code}]`}\n`);
    process.exitCode = err instanceof ConfigError || err.httpStatus === 400 ? 2 : 1;
    return;
  }
  process.stderr.write(`vigie: ${scrub(err instanceof Error ? (err.stack ?? err.message) : String(err))}\n`);
  process.exitCode = 1;
}

/** Wraps a command action so that errors are reported, not thrown as stack traces. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args) => {
    try {
      await fn(...args);
    } catch (err) {
      reportError(err);
    }
  };
}

/**
 * Runs `stop` on the first SIGTERM/SIGINT, then exits 0; a second signal exits at once (the
 * operator insists). Returns a function that removes the handlers.
 */
export function onShutdownSignal(logger: Logger, stop: () => Promise<void>): () => void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return () => {
    process.off('SIGTERM', handler);
    process.off('SIGINT', handler);
  };
}

/** Collects a repeatable option into an array. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
