import type { VigieConfig } from '../config/load.js';
import type { CheckAlertsResult } from '../alerts/types.js';
import { createMatchRecorder } from '../alerts/matches.js';
import { outboxSenderFor } from '../notify/from-config.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from '../store/index.js';
import { runExclusive, type LockBackend } from '../lock/index.js';
import { Loop } from '../util/loop.js';
import type { CommandHandler, WorkerIdentity } from './commands/types.js';

export interface AutoCycleDeps {
  config: VigieConfig;
  /** The singleton lock (Redis, or the file lock on one host): one cycle at a time across workers. */
  lock: LockBackend;
  store: Store;
  checkAlerts: CommandHandler;
  identity: WorkerIdentity;
  logger: Logger;
}

/**
 * AUTO_RUN_CYCLE: this worker checks every active alert itself, on the alert schedule, records
 * matches and sends notifications — the seed's autonomous mode, for a worker without a
 * coordinator. Off by default: two such workers check every alert twice (the seed's problem D).
 */
export function startAutoCycle(deps: AutoCycleDeps): { stop(): Promise<void> } {
  const { config, store, logger, identity } = deps;
  logger.warn(
    'AUTO_RUN_CYCLE=true: this worker runs alert cycles by itself, bypassing the coordinator. ' +
      'Run it on one worker only, without a coordinator running cycles over the same alerts, or every alert is checked more than once.',
  );
  const sender = outboxSenderFor(config, store, logger);
  const record = createMatchRecorder({ store, logger, onRecorded: () => sender.kick() });
  const controller = new AbortController();

  const loop = new Loop({
    name: 'auto cycle',
    initialDelayMs: config.alertInitialDelayMs,
    intervalMs: config.alertCheckIntervalMs,
    logger,
    // The seed's BG_POLLER rule: the cycle runs under `poller_lock` (REDIS_LOCK_TTL_SECONDS),
    // so that several autonomous workers never check the same alerts at once.
    run: async () => {
      const outcome = await runExclusive(deps.lock, 'poller_lock', config.redisLockTtlSeconds * 1000, (_grant, lockSignal) => cycle(lockSignal), { logger, signal: controller.signal });
      if (!outcome.ran) logger.info('auto cycle skipped: another worker holds poller_lock');
    },
  });

  /** One cycle over every active alert; `lockSignal` aborts when poller_lock is lost. */
  async function cycle(lockSignal: AbortSignal): Promise<void> {
    const alerts = await store.alerts.list({ activeOnly: true });
    if (alerts.length === 0) return logger.debug('auto cycle skipped: no active alert');
    const started = Date.now();
    const run = await store.alertRuns.start({ trigger: 'schedule', alertsTotal: alerts.length, startedAt: started });
    const signal = AbortSignal.any([lockSignal, AbortSignal.timeout(config.commandTimeoutMs)]);
    try {
      const data = (await deps.checkAlerts({ alerts }, { signal, deadline: started + config.commandTimeoutMs, logger, store, config, worker: identity })) as CheckAlertsResult;
      const matches = await record(data.matches, { runId: run.id, workerId: identity.id, alerts, failed: data.failed });
      const failed = data.failed.length;
      await store.alertRuns.finish(run.id, {
        status: failed === 0 ? 'ok' : failed === alerts.length ? 'failed' : 'partial',
        endedAt: Date.now(),
        workers: [{ workerId: identity.id, ok: true, alertsChecked: data.alertsChecked, matches, errors: failed, durationMs: Date.now() - started }],
        alertsChecked: alerts.length - failed,
        alertsFailed: failed,
        matches,
        errors: failed,
        summary: { failedAlerts: data.failed, auto: true },
      });
      logger.info({ runId: run.id, matches, alertsChecked: alerts.length - failed }, `auto cycle finished in ${((Date.now() - started) / 1000).toFixed(2)}s: ${alerts.length - failed}/${alerts.length} alert(s) checked, ${matches} match(es)`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await store.alertRuns.finish(run.id, { status: 'failed', endedAt: Date.now(), alertsFailed: alerts.length, errors: 1, summary: { error: message, auto: true } });
      logger.error({ runId: run.id, err }, `auto cycle failed: ${message}`);
    }
  }
  loop.start();
  sender.start();
  return {
    async stop() {
      controller.abort();
      await loop.stop();
      await sender.stop();
    },
  };
}
