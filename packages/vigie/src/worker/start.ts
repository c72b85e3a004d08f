import type { VigieConfig } from '../config/load.js';
import { checkApiKeyConfig } from '../http/auth.js';
import { listenOn } from '../http/listen.js';
import type { Logger } from '../observability/logger.js';
import { createWorkerMetrics } from '../observability/metrics.js';
import { openStore, type Store } from '../store/index.js';
import { VERSION } from '../version.js';
import { createCheckAlertsHandler } from './commands/check-alerts.js';
import { createRefreshers } from '../alerts/refreshers/index.js';
import { createSources } from '../alerts/sources/index.js';
import { createGenerateCookiesHandler } from './commands/generate-cookies.js';
import { createScrapeHandler } from './commands/scrape.js';
import { outboundAgent, sourceAddressOf } from './outbound.js';
import { echo } from './commands/echo.js';
import { CommandRegistry } from './commands/registry.js';
import type { WorkerIdentity } from './commands/types.js';
import { lockBackendFor } from '../lock/from-config.js';
import { startAutoCycle } from './auto-cycle.js';
import { loadPlugins } from './plugins.js';
import { createWorkerServer } from './server.js';

export const DEFAULT_WORKER_PORT = 8081;

/** A running worker. */
export interface RunningWorker {
  url: string;
  identity: WorkerIdentity;
  registry: CommandRegistry;
  /** Stops taking commands, lets those in flight finish (bounded by SHUTDOWN_GRACE_MS), closes the server and the store. */
  close(): Promise<void>;
}

/** Starts a worker: store, command registry (built-ins and plugins), HTTP server. */
export async function startWorker(config: VigieConfig, logger: Logger): Promise<RunningWorker> {
  checkApiKeyConfig(config, logger);
  const id = config.workerId ?? `worker-${config.workerRegion}`;
  const identity: WorkerIdentity = { id, name: config.workerName ?? id, region: config.workerRegion, version: VERSION };
  const log = logger.child({ worker: id, region: identity.region });

  const registry = new CommandRegistry();
  registry.registerCustom(echo);
  // Built before listening: a bad source or refresher definition stops start-up, naming it.
  const dispatcher = outboundAgent(sourceAddressOf(config));
  const checkAlerts = createCheckAlertsHandler({
    sources: createSources(config.sources, { dispatcher }),
    pacing: { minDelayMs: config.requestDelayMinMs, maxDelayMs: config.requestDelayMaxMs },
    rateLimit: { maxRetries: config.rateLimitMaxRetries, maxRetryAfterMs: config.rateLimitMaxWaitMs },
  });
  registry.setHandler('check-alerts', checkAlerts);
  registry.setHandler('scrape', createScrapeHandler({ allowedHosts: config.scrapeAllowedHosts, timeoutMs: config.scrapeTimeoutMs, maxBytes: config.scrapeMaxBytes, dispatcher }));
  const refreshers = createRefreshers(config.refreshers, { dispatcher });
  registry.setHandler('generate-cookies', createGenerateCookiesHandler({ refreshers, ...(config.generateCookiesRefresher ? { defaultRefresher: config.generateCookiesRefresher } : {}) }));
  await loadPlugins(config.plugins, registry);

  const store: Store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, logger: log });
  const server = createWorkerServer({ config, identity, registry, store, logger: log, metrics: createWorkerMetrics() });
  try {
    await listenOn(server.app, config.host ?? '127.0.0.1', config.port ?? DEFAULT_WORKER_PORT, 'Stop that process, or give this worker another port (--port / PORT).');
  } catch (err) {
    await store.close();
    await dispatcher.close();
    throw err;
  }
  const autoLock = config.autoRunCycle ? lockBackendFor(config, log) : undefined;
  const auto = autoLock ? startAutoCycle({ config, store, lock: autoLock, checkAlerts: registry.resolve('check-alerts'), identity, logger: log }) : undefined;
  const addr = server.app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const host = config.host ?? '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ url, store: store.kind, customCommands: registry.customCommands().map((c) => c.name) }, 'worker listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    identity,
    registry,
    close: () =>
      (closing ??= (async () => {
        log.info({ inFlight: server.inFlight() }, 'worker stopping');
        await auto?.stop();
        await autoLock?.close();
        await server.drain(config.shutdownGraceMs);
        await server.app.close();
        await store.close();
        await dispatcher.close();
        log.info('worker stopped');
      })()),
  };
}
