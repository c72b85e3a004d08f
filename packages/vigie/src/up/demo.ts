import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { VigieConfig } from '../config/load.js';
import { ConfigError } from '../errors.js';
import { startMarketplace, type Marketplace } from '../demo/marketplace.js';
import type { Logger } from '../observability/logger.js';
import { openStore } from '../store/index.js';

export interface DemoOptions {
  /** Answer 403 to the first worker's address after this many requests (shows a ban). */
  blockAfter?: number;
}

/** What `vigie up --demo` adds to a local fleet. */
export interface Demo {
  market: Marketplace;
  /** The fleet's config with the demo's source and short intervals. */
  config: VigieConfig;
  /** A config file for the workers (the source definition, fast pacing). */
  workerConfigFile: string;
  /** The demo's own data folder (store, worker config), inside the fleet's: never the user's store. */
  dataDir: string;
  close(): Promise<void>;
}

/** The demo's source: the generic http-json adapter pointed at the sample marketplace. */
export function demoSource(marketUrl: string): Record<string, unknown> {
  return {
    type: 'http-json',
    url: `${marketUrl}/api/items?q={query}&min={priceMin}&max={priceMax}`,
    credential: { as: 'cookie' },
    itemsPath: 'data.items',
    fields: { id: 'id', title: 'title', price: 'price.amount', currency: 'price.currency', url: 'url', condition: 'status', brand: 'brand_title', photo: 'photo.url' },
    timeoutMs: 5000,
  };
}

/** Where `vigie up --demo` keeps its data: a folder of its own inside the data folder. */
export function demoDataDir(dataDir: string): string {
  return resolve(dataDir, 'demo');
}

/**
 * Starts the sample marketplace, stores a session credential and three alerts (when there are
 * none) in the demo's own store (`<data dir>/demo`, so that a later plain `vigie up` does not
 * inherit alerts on a source it lacks), and returns the config for a fast demo: first cycle
 * after 3 s, then every 10 s, a fraction of a second between requests: matches show up in the
 * log within seconds.
 */
export async function prepareDemo(config: VigieConfig, logger: Logger, opts: DemoOptions = {}): Promise<Demo> {
  if (opts.blockAfter !== undefined && (!Number.isInteger(opts.blockAfter) || opts.blockAfter < 0)) {
    throw new ConfigError('--demo-block-after must be an integer ≥ 0.');
  }
  const session = `demo_session=${randomBytes(12).toString('hex')}`;
  const market = await startMarketplace({
    newListingEveryMs: 4000,
    sessionCookie: session,
    ...(opts.blockAfter !== undefined ? { blockAfter: opts.blockAfter, blockAddresses: ['127.0.0.2'] } : {}),
  });
  const sources = { market: demoSource(market.url) };
  const pacing = { requestDelayMinMs: 200, requestDelayMaxMs: 800 };
  const dir = demoDataDir(config.dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (config.databaseUrl) logger.warn('demo: DATABASE_URL is ignored; the demo keeps its data in its own embedded store');
  const workerConfigFile = join(dir, 'worker.config.json');
  writeFileSync(workerConfigFile, JSON.stringify({ ...pacing, sources }, null, 2));

  const store = await openStore({ dataDir: dir, databaseUrl: undefined, logger });
  try {
    // A fresh session each run: the marketplace of this run only knows its own.
    await store.credentials.set(config.scrapingCredential, session, 'demo');
    if ((await store.alerts.list()).length === 0) {
      // The broad one notifies what is listed at its first check, so that the first cycle (3 s
      // after start) already shows matches; the other two show the usual rule: only news.
      await store.alerts.create({ name: 'Anything new', source: 'market', query: '', conditions: ['new'], notify: [{ channel: 'log' }], notifyExisting: true });
      await store.alerts.create({ name: 'Nike under 120 €', source: 'market', query: 'nike', priceMax: 120, notify: [{ channel: 'log' }] });
      await store.alerts.create({ name: "Levi's jeans", source: 'market', query: "levi's", includeWords: ['jeans'], notify: [{ channel: 'log' }] });
      logger.info('demo: three alerts added (vigie alerts list)');
    }
  } finally {
    await store.close();
  }
  logger.info({ url: market.url }, `demo marketplace at ${market.url}: a new listing every 4 s`);

  return {
    market,
    workerConfigFile,
    dataDir: dir,
    config: {
      ...config,
      dataDir: dir,
      databaseUrl: undefined,
      ...pacing,
      sources,
      alertInitialDelayMs: 3000,
      alertCheckIntervalMs: 10_000,
      healthCheckIntervalMs: 5000,
    },
    close: () => market.close(),
  };
}
