import { LiveConfig } from '../config/live.js';
import { openConfigStore } from '../config-store/index.js';
import type { VigieConfig } from '../config/load.js';
import { listenOn } from '../http/listen.js';
import { createHttpApp } from '../http/app.js';
import { createActiveGate } from './standby-gate.js';
import { checkApiKeyConfig } from '../http/auth.js';
import type { Logger } from '../observability/logger.js';
import { createCoordinatorMetrics } from '../observability/metrics.js';
import { lockBackendFor } from '../lock/from-config.js';
import { LeaderElector } from '../lock/index.js';
import { openStore, type Fence, type Store } from '../store/index.js';
import { VERSION } from '../version.js';
import { createMatchRecorder } from '../alerts/matches.js';
import { outboxSenderFor } from '../notify/from-config.js';
import { createBalancer } from './balancer/index.js';
import { CycleRunner } from '../cycles/runner.js';
import { workerExecutor } from './cycle-executor.js';
import { RunJanitor } from './run-janitor.js';
import { Dispatcher } from './dispatcher.js';
import { EventBus } from '../events/bus.js';
import { countCycleEvents, countFleetEvents, logFleetEvents, releaseLeftWorkers } from './event-subscribers.js';
import { Fleet } from './fleet.js';
import { fleetCounts } from './fleet-stats.js';
import { HealthChecker } from './health-checker.js';
import { registerAlertRoutes } from './alert-routes.js';
import { registerCoordinatorRoutes } from './routes.js';
import { registerTokenRoutes } from './token-routes.js';
import { registerDashboard } from '../dashboard/index.js';
import { CycleScheduler } from './scheduler.js';
import { WorkerClient } from './worker-client.js';
import { FailoverLadder } from '../remediation/ladder.js';
import { createMachineProvider, type LocalWorkerSupervisor, type MachineProvider } from '../remediation/providers/index.js';
import { registerFailoverRoutes } from './failover-routes.js';
import { isBanned } from './policy/bans.js';
import { ConfigError } from '../errors.js';

export const DEFAULT_COORDINATOR_PORT = 8080;
const FLUSH_INTERVAL_MS = 1000;

/** A running coordinator. */
export interface RunningCoordinator {
  url: string;
  fleet: Fleet;
  /** What happens in this coordinator (worker changes, cycles, leadership, settings). */
  events: EventBus;
  store: Store;
  scheduler: CycleScheduler;
  elector: LeaderElector;
  /** The running configuration; `update` applies run-time settings (the config store calls it). */
  live: LiveConfig;
  /** The failover ladder (runs on the leader only). */
  ladder: FailoverLadder;
  /** Stops the loops (waiting for a cycle in progress), flushes counters, closes the server and the store. */
  close(): Promise<void>;
}

/** What a coordinator may be given besides its config. */
export interface CoordinatorDeps {
  /** The local workers of `vigie up`, which MACHINE_PROVIDER=local restarts and moves. */
  supervisor?: LocalWorkerSupervisor | undefined;
  /** Called once each cycle has ended (the CLI collects the cycle's garbage there: util/heap.ts). */
  afterCycle?: (() => void) | undefined;
}

/** Starts the coordinator: store, fleet, health checks, balancer, dispatcher, cycles, failover ladder, HTTP API. */
export async function startCoordinator(config: VigieConfig, logger: Logger, deps: CoordinatorDeps = {}): Promise<RunningCoordinator> {
  checkApiKeyConfig(config, logger);
  // First: a provider that cannot work (no token, no `vigie up` workers) fails the start before anything is opened.
  const provider = machineProviderFor(config, logger, deps);
  const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, logger });
  const events = new EventBus({ logger });
  const fleet = await Fleet.load(store, config.workers, logger, events);
  const metrics = createCoordinatorMetrics();
  const unsubscribe = [logFleetEvents(events, fleet, logger), countFleetEvents(events, metrics), countCycleEvents(events, metrics)];
  const live = new LiveConfig(config);
  const cfg = () => live.current();
  // Run-time settings (vigie config set): applied now, and whenever any coordinator changes one.
  const configStore = await openConfigStore(config, logger);
  const syncLive = () => live.update(configStore.effective());
  syncLive();
  const stopSync = configStore.onChange(syncLive);
  const newBalancer = () => {
    const b = createBalancer(cfg().lbStrategy);
    for (const w of fleet.list()) b.restore?.(w.id, w);
    return b;
  };
  const client = new WorkerClient({ apiKey: config.apiKey?.[0] });
  const health = new HealthChecker({
    fleet, client, logger,
    settings: () => ({ intervalMs: cfg().healthCheckIntervalMs, timeoutMs: cfg().healthCheckTimeoutMs }),
  });
  // The ladder hears of every attempt through the dispatcher; it is made after it (it sends canaries through it).
  let ladder: FailoverLadder | undefined;
  const dispatcher = new Dispatcher({
    fleet, balancer: newBalancer(), client, health, logger,
    settings: () => ({ maxAttempts: cfg().maxRetries, requestTimeoutMs: cfg().workerRequestTimeoutMs, banBaseMs: cfg().workerBanDurationMs, banMaxMs: cfg().workerBanMaxMs }),
    onAttempt: (a, failure) => {
      metrics.attempts.inc({ worker: a.workerId, reason: a.error ?? 'unknown' });
      ladder?.onAttempt(a, failure);
    },
    onSuccess: (id) => ladder?.onSuccess(id),
  });
  unsubscribe.push(releaseLeftWorkers(events, dispatcher, client));
  live.onChange((next, changed) => {
    events.emit('config.changed', { keys: [...changed].map(String) });
    if (changed.has('lbStrategy')) dispatcher.setBalancer(newBalancer());
    if (changed.has('logLevel')) logger.level = next.logLevel;
  });
  // live.current(), not config: the config store's telegramChatId / notifyMaxAttempts apply
  // from the next start (the sender reads them once).
  const sender = outboxSenderFor(live.current(), store, logger, { onOutcome: (channel, outcome) => metrics.notifications.inc({ channel, outcome }), stillOwner: () => elector.isLeader() });
  ladder = new FailoverLadder({
    fleet, store, provider, events, logger, isBanned,
    sendTo: (id, command, opts) => dispatcher.sendTo(id, command, opts),
    health: (url, timeoutMs, signal) => client.health(url, timeoutMs, signal),
    settings: () => {
      const c = cfg();
      return {
        enabled: c.enableFailover, threshold: c.max403BeforeFailover, regions: c.failoverRegions, apps: c.failoverApps,
        cooldownMs: c.failoverCooldownMs, maxPerHour: c.failoverMaxPerHour, probeIntervalMs: c.failoverProbeIntervalMs,
        probeAlert: c.failoverProbeAlert, readyWaitMs: c.failoverReadyWaitMs, requestTimeoutMs: c.workerRequestTimeoutMs,
      };
    },
    // Failovers go to the log always, and to Telegram when it is set up (a bot token and a chat).
    notifyTargets: () => ({ telegram: Boolean(config.telegramBotToken && cfg().telegramChatId) }),
    onQueued: () => sender.kick(),
    onOutcome: (step, outcome) => metrics.failoverSteps.inc({ step, outcome }),
    onStreak: (worker, streak) => metrics.failoverStreak.set({ worker }, streak),
  });
  const failoverLadder = ladder;
  const runner = new CycleRunner({
    store, logger, events,
    // Each alert may wait the longest pause plus one request; the worker's own deadline caps it.
    executor: workerExecutor(fleet, dispatcher, (n) => Math.min(cfg().commandTimeoutMs, cfg().workerRequestTimeoutMs * (n + 1) + n * cfg().requestDelayMaxMs)),
    onMatches: createMatchRecorder({ store, logger, onRecorded: () => sender.kick() }),
  });
  // Leadership: only the leader runs the cycle schedule and the outbox sender. Its fence (the
  // lock's fencing number) goes with every cycle write; the store refuses a stale one.
  let fence: Fence | undefined;
  const lock = lockBackendFor(config, logger);
  const scheduler = new CycleScheduler({
    runner,
    fence: () => fence,
    onRefused: (code) => metrics.refusedWrites.inc({ code }),
    // docs/standby.md: with a standby monitor, cycles run only on the side it names active.
    ...(config.standbyActiveUrl && { gate: createActiveGate({ url: config.standbyActiveUrl, side: config.standbySide }) }),
    initialDelayMs: config.alertInitialDelayMs,
    intervalMs: () => cfg().alertCheckIntervalMs,
    logger,
    ...(deps.afterCycle && { afterCycle: deps.afterCycle }),
  });

  const janitor = new RunJanitor({ store, logger });
  const elector = new LeaderElector({
    backend: lock,
    leaseMs: config.leaderLeaseMs,
    logger,
    fencingFloor: async () => (await store.fencing.newest('leader')) ?? 0,
    onElected: (grant) => {
      fence = { name: 'leader', token: grant.fencing };
      janitor.start(grant.fencing);
      metrics.leader.set(1);
      events.emit('leadership.gained', { fencing: grant.fencing });
      scheduler.start();
      sender.start();
      void failoverLadder.start(fence);
    },
    onDemoted: async (reason) => {
      fence = undefined;
      janitor.stop();
      metrics.leader.set(0);
      events.emit('leadership.lost', { reason });
      await Promise.all([scheduler.stop(), sender.stop(), failoverLadder.stop()]);
    },
  });

  const startedAt = Date.now();
  const app = createHttpApp({ logger, bodyLimit: config.maxBodyBytes, apiKeys: config.apiKey ?? [], publicRead: config.publicRead, metrics: metrics.registry, timeouts: { headersMs: config.httpHeadersTimeoutMs, requestMs: config.httpRequestTimeoutMs } });
  registerCoordinatorRoutes(app, {
    fleet, dispatcher, store, cycles: scheduler, version: VERSION, startedAt, elector, lock, live,
    onDispatch: (_ok, code, seconds) => {
      metrics.dispatches.inc({ outcome: code });
      metrics.dispatchDuration.observe(seconds);
    },
  });

  registerAlertRoutes(app, { store, knownSources: Object.keys(config.sources), importMaxBytes: config.alertImportMaxBytes });
  registerTokenRoutes(app, { store, dispatcher, credentialName: config.scrapingCredential });
  registerFailoverRoutes(app, { ladder: failoverLadder });
  await registerDashboard(app, { bus: events, store, live, allowedOrigins: config.dashboardOrigins });

  logger.info({ strategy: config.lbStrategy, workers: fleet.list().length }, `coordinator starting: strategy ${config.lbStrategy}, ${fleet.list().length} worker(s)`);
  for (const w of fleet.list()) logger.info({ worker: w.id, url: w.url }, `   - ${w.name} (${w.region}): ${w.url}`);
  await health.start();

  const flushTimer = setInterval(() => {
    // Counts only: a row per worker every second was a visible part of an idle coordinator's CPU with 5000 workers.
    const s = fleetCounts(fleet.list(), Date.now());
    metrics.workersAvailable.set(s.availableWorkers);
    metrics.workersBanned.set(s.bannedWorkers);
    void fleet.flush();
  }, FLUSH_INTERVAL_MS);
  flushTimer.unref();

  const host = config.host ?? '127.0.0.1';
  try {
    await listenOn(app, host, config.port ?? DEFAULT_COORDINATOR_PORT, 'Stop that process, or give the coordinator another port (--port / PORT).');
  } catch (err) {
    stopSync();
    await configStore.close();
    clearInterval(flushTimer);
    await health.stop();
    await client.close();
    await provider.close();
    await lock.close();
    await store.close();
    throw err;
  }
  elector.start();
  // Let the first campaign finish (bounded), so that a single coordinator answers run-once as
  // leader from its first request and a follower knows who leads.
  for (const end = Date.now() + 3000; Date.now() < end && !elector.isLeader() && elector.status().holder === null; ) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info({ url, alertIntervalMs: config.alertCheckIntervalMs, firstCycleInMs: config.alertInitialDelayMs }, 'coordinator listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    fleet,
    events,
    store,
    scheduler,
    elector,
    live,
    ladder: failoverLadder,
    close: () =>
      (closing ??= (async () => {
        logger.info('coordinator stopping');
        await elector.stop();
        janitor.stop();
        await Promise.all([scheduler.stop(), sender.stop(), failoverLadder.stop()]);
        await provider.close();
        await health.stop();
        clearInterval(flushTimer);
        await app.close();
        await fleet.flush();
        await client.close();
        stopSync();
        unsubscribe.forEach((off) => off());
        await configStore.close();
        await lock.close();
        await store.close();
        logger.info('coordinator stopped');
      })()),
  };
}

/**
 * The machine provider MACHINE_PROVIDER names. `local` (the default) needs the workers of
 * `vigie up`: a standalone coordinator with failover off starts anyway, and a step (an
 * operator's trigger, or failover turned on at run time) then fails with the same clear error.
 */
function machineProviderFor(config: VigieConfig, logger: Logger, deps: CoordinatorDeps): MachineProvider {
  try {
    return createMachineProvider(config, { logger, supervisor: deps.supervisor });
  } catch (err) {
    if (!(err instanceof ConfigError) || config.enableFailover || config.machineProvider !== 'local') throw err;
    logger.debug('MACHINE_PROVIDER=local without `vigie up` workers: failover steps would fail (ENABLE_FAILOVER is off)');
    const refuse = async (): Promise<never> => {
      throw err;
    };
    return { kind: 'local', restart: refuse, moveRegion: refuse, switchApp: refuse, close: async () => {} };
  }
}
