import type { VigieConfig } from '../config/load.js';
import type { CheckAlertsResult } from '../wire/check-alerts.js';
import { CycleRunner, type BatchExecutor } from '../cycles/runner.js';
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
  const { config, store, logger } = deps;
  logger.warn(
    'AUTO_RUN_CYCLE=true: this worker runs alert cycles by itself, bypassing the coordinator. ' +
      'Run it on one worker only, without a coordinator running cycles over the same alerts, or every alert is checked more than once.',
  );
  const sender = outboxSenderFor(config, store, logger);
  const record = createMatchRecorder({ store, logger, onRecorded: () => sender.kick() });
  const controller = new AbortController();

  const runner = (lockSignal: AbortSignal) =>
    new CycleRunner({ store, logger, executor: inProcessExecutor(deps, lockSignal), onMatches: record });

  const loop = new Loop({
    name: 'auto cycle',
    initialDelayMs: config.alertInitialDelayMs,
    intervalMs: config.alertCheckIntervalMs,
    logger,
    // The seed's BG_POLLER rule: the cycle runs under `poller_lock` (REDIS_LOCK_TTL_SECONDS),
    // so that several autonomous workers never check the same alerts at once. The lock's
    // fencing number goes with every write of the cycle, as the coordinator's leader fence does:
    // a worker that lost the lock mid-cycle (paused, partitioned) cannot write its late results.
    run: async () => {
      const fencingFloor = (await store.fencing.newest(POLLER_LOCK)) ?? 0;
      const outcome = await runExclusive(
        deps.lock,
        POLLER_LOCK,
        config.redisLockTtlSeconds * 1000,
        (grant, lockSignal) => runner(lockSignal).run('schedule', { fence: { name: POLLER_LOCK, token: grant.fencing } }),
        { logger, signal: controller.signal, fencingFloor },
      );
      if (!outcome.ran) logger.info('auto cycle skipped: another worker holds poller_lock');
    },
  });

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

const POLLER_LOCK = 'poller_lock';

/** This worker as the cycle's one executor: its batch runs the check-alerts handler in-process. */
function inProcessExecutor(deps: AutoCycleDeps, lockSignal: AbortSignal): BatchExecutor {
  const { config, store, logger, identity } = deps;
  return {
    available: () => [identity.id],
    async send(_workerId, alerts) {
      const signal = AbortSignal.any([lockSignal, AbortSignal.timeout(config.commandTimeoutMs)]);
      try {
        const data = (await deps.checkAlerts({ alerts }, { signal, deadline: Date.now() + config.commandTimeoutMs, logger, store, config, worker: identity })) as CheckAlertsResult;
        return { ok: true, data };
      } catch (err) {
        return { ok: false, message: err instanceof Error ? err.message : String(err) };
      }
    },
    label: () => `${identity.name} (${identity.region})`,
  };
}
