/**
 * Builds the standby monitor the settings describe: paths beside STANDBY_STATUS_FILE, the
 * activator of MACHINE_PROVIDER, the rclone sync, and notifications through an outbox of its own.
 *
 * The monitor keeps its outbox in an embedded SQLite file beside the status file, never in
 * DATABASE_URL: it must be able to say "the primary is down" when the primary's database is
 * what went down.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { VigieConfig } from '../config/load.js';
import { ConfigError } from '../errors.js';
import { createNotifiers, OutboxSender } from '../notify/index.js';
import type { StandbyPayload } from '../notify/types.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { createStandbyMetrics, type StandbyMetrics } from '../observability/metrics.js';
import { openStore, type Store } from '../store/index.js';
import { createLocalActivator } from './activators/local.js';
import type { Activator } from './activators/types.js';
import { standbyTiming } from './machine.js';
import { StandbyMonitor, type StandbySyncOptions } from './monitor.js';
import { rcloneLocation } from './rclone.js';

/** The files of a monitor, all beside STANDBY_STATUS_FILE. */
export interface StandbyPaths {
  statusFile: string;
  dir: string;
  /** The monitor's log (JSON lines). */
  logFile: string;
  /** The local standby's pid. */
  pidFile: string;
  /** The local standby's stdout and stderr. */
  processLog: string;
}

/** Where the monitor keeps its files: STANDBY_STATUS_FILE, default `<VIGIE_DATA_DIR>/standby/status.json`. */
export function standbyPaths(config: VigieConfig): StandbyPaths {
  const statusFile = resolve(config.standbyStatusFile ?? join(config.dataDir, 'standby', 'status.json'));
  const dir = dirname(statusFile);
  return { statusFile, dir, logFile: join(dir, 'standby.log'), pidFile: join(dir, 'standby.pid'), processLog: join(dir, 'standby-process.log') };
}

/** The activator of MACHINE_PROVIDER, or a ConfigError naming what is missing. */
export async function activatorFor(config: VigieConfig, paths: StandbyPaths, logger: Logger): Promise<Activator> {
  switch (config.machineProvider) {
    case 'local':
      if (!config.standbyStartCommand) {
        throw new ConfigError('MACHINE_PROVIDER=local needs STANDBY_START_COMMAND: the shell command that starts the standby on this host.');
      }
      return createLocalActivator({ command: config.standbyStartCommand, pidFile: paths.pidFile, logFile: paths.processLog });
    case 'fly': {
      if (!config.flyApp || !config.flyApiToken) {
        throw new ConfigError('MACHINE_PROVIDER=fly needs FLY_APP (the standby app, its machine stopped) and FLY_API_TOKEN (`fly tokens create deploy -a <app>`).');
      }
      const { flyApiFromConfig } = await import('../remediation/providers/fly/from-config.js');
      const { createFlyActivator } = await import('./activators/fly.js');
      return createFlyActivator({ api: flyApiFromConfig(config, logger), app: config.flyApp });
    }
    default:
      throw new ConfigError(`MACHINE_PROVIDER=${config.machineProvider} cannot run a standby; use local (STANDBY_START_COMMAND) or fly (FLY_APP, FLY_API_TOKEN).`);
  }
}

/** The sync settings, or undefined without STATE_DIR. */
export function syncFor(config: VigieConfig): StandbySyncOptions | undefined {
  if (!config.stateDir) return undefined;
  if (!config.rclonePath) {
    throw new ConfigError('STATE_DIR is set but RCLONE_PATH is not: set RCLONE_PATH (a path on RCLONE_REMOTE, or a local folder without a remote).');
  }
  const remote = config.rcloneRemote ? config.rclonePath : resolve(config.rclonePath);
  return { stateDir: resolve(config.stateDir), remote: rcloneLocation(config.rcloneRemote, remote), bin: config.rcloneBin, timeoutMs: config.syncTimeout * 1000 };
}

export interface StandbyRuntime {
  monitor: StandbyMonitor;
  paths: StandbyPaths;
  logger: Logger;
  metrics: StandbyMetrics;
  /** Opens the outbox and starts its sender (delivers what an earlier run left queued). */
  startOutbox(): Promise<void>;
  /** Stops the outbox sender (after a last drain), closes the store and the log file. */
  close(): Promise<void>;
}

export interface StandbyRuntimeOptions {
  /** The process's logger destination besides the log file (default stdout). */
  destination?: NodeJS.WritableStream;
  /** Bound fields of every log line. */
  base?: Record<string, unknown>;
  /** Checks need LOCAL_HEALTH_URL (`run`); a one-shot activate/deactivate does not. */
  requirePrimaryUrl: boolean;
}

/** Builds the monitor, its log file and its outbox from the settings (not started). */
export async function createStandbyRuntime(config: VigieConfig, opts: StandbyRuntimeOptions): Promise<StandbyRuntime> {
  const paths = standbyPaths(config);
  if (opts.requirePrimaryUrl && !config.localHealthUrl) {
    throw new ConfigError('LOCAL_HEALTH_URL is not set: the monitor needs the health URL of the primary (e.g. http://127.0.0.1:8100/status).');
  }
  const timing = standbyTiming({
    checkIntervalMs: config.checkInterval * 1000,
    fastCheckIntervalMs: config.fastCheckInterval * 1000,
    failureThreshold: config.failureThreshold,
    recoveryThreshold: config.recoveryThreshold,
    minActiveMs: config.minActiveSeconds * 1000,
  });
  const sync = syncFor(config);
  await mkdir(paths.dir, { recursive: true });
  const file: WriteStream = createWriteStream(paths.logFile, { flags: 'a', mode: 0o600 });
  const logger = createLogger({ level: config.logLevel, format: config.logFormat, base: { role: 'standby', ...opts.base }, destination: opts.destination, also: file });
  let activator: Activator;
  try {
    activator = await activatorFor(config, paths, logger);
  } catch (err) {
    file.end();
    throw err;
  }
  const metrics = createStandbyMetrics();

  let store: Store | undefined;
  let sender: OutboxSender | undefined;
  const outbox = async (): Promise<{ store: Store; sender: OutboxSender }> => {
    if (!store || !sender) {
      store = await openStore({ dataDir: paths.dir, logger });
      const notifiers = createNotifiers({ store, logger, telegram: { token: config.telegramBotToken, chatId: config.telegramChatId, apiUrl: config.telegramApiUrl } });
      sender = new OutboxSender({
        store,
        notifiers,
        logger,
        pollIntervalMs: config.notifyPollIntervalMs,
        sendTimeoutMs: config.notifySendTimeoutMs,
        maxAttempts: config.notifyMaxAttempts,
        concurrency: config.notifyConcurrency,
      });
      sender.start();
    }
    return { store, sender };
  };
  const channels = ['log', ...(config.telegramBotToken ? ['telegram'] : [])];
  if (!config.telegramBotToken) logger.info('TELEGRAM_BOT_TOKEN is not set: standby notifications go to the log only');
  else if (!config.telegramChatId) logger.warn('TELEGRAM_BOT_TOKEN is set but TELEGRAM_CHAT_ID is not: Telegram notifications will fail; set TELEGRAM_CHAT_ID');

  const notify = async (payload: StandbyPayload): Promise<void> => {
    const { store: s, sender: out } = await outbox();
    for (const channel of channels) {
      // One entry per transition and channel: a resumed announce step queues nothing twice.
      await s.outbox.enqueue({ channel, target: {}, payload, idempotencyKey: `standby:${payload.id}:${payload.kind}:${channel}` });
    }
    out.kick();
  };

  const monitor = new StandbyMonitor({
    statusFile: paths.statusFile,
    timing,
    // Unset only for one-shot commands, which run steps and never check the primary.
    primaryUrl: config.localHealthUrl ?? 'http://127.0.0.1:1/',
    standbyUrl: config.flyHealthUrl,
    checkTimeoutMs: config.standbyCheckTimeout * 1000,
    readyTimeoutMs: config.standbyReadyTimeout * 1000,
    sync,
    activator,
    notify,
    logger,
    metrics,
  });

  // Entries queued by an earlier run that did not get out yet.
  const pending = async () => {
    const { store: s } = await outbox();
    return (await s.outbox.due(Number.MAX_SAFE_INTEGER, 1)).length > 0;
  };

  return {
    monitor,
    paths,
    logger,
    metrics,
    async close() {
      if (sender) {
        // A one-shot command waits a little for its notification to go out.
        for (let i = 0; i < 50 && (await pending().catch(() => false)); i++) {
          await sender.drainOnce();
          await new Promise((r) => setTimeout(r, 100));
        }
        await sender.stop();
      }
      await store?.close();
      await new Promise<void>((r) => file.end(() => r()));
    },
    startOutbox: () => outbox().then(() => undefined),
  };
}
