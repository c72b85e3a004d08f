import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCheckAlertsHandler } from '../../src/worker/commands/check-alerts.js';
import { createSources } from '../../src/alerts/sources/index.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/observability/logger.js';
import { createWorkerMetrics } from '../../src/observability/metrics.js';
import { clearSecrets } from '../../src/observability/secrets.js';
import { openStore, type Store } from '../../src/store/index.js';
import { CommandRegistry } from '../../src/worker/commands/registry.js';
import { createScrapeHandler } from '../../src/worker/commands/scrape.js';
import { createWorkerServer, type WorkerServer } from '../../src/worker/server.js';
import { json, startServer, type LocalServer } from './local-server.js';

// The handlers behind the real worker route: the answer the coordinator sees (seed shape, codes).
const KEY = 'route-test-key-0123456789';
const COOKIE = 'session=r0ute-s3cret-cookie';

describe('check-alerts and scrape through POST /api/v1/worker/execute', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigie-route-'));
  let upstream: LocalServer;
  let store: Store;
  let server: WorkerServer;

  beforeAll(async () => {
    upstream = await startServer((req, res) => {
      const q = new URL(req.url, 'http://x').searchParams.get('q');
      if (q === 'forbidden') return json(res, {}, 403);
      json(res, { items: [{ id: 7, title: 'Veste cuir', price: 40 }] });
    });
    const config = loadConfig({ env: { VIGIE_API_KEY: KEY, VIGIE_DATA_DIR: dir }, cwd: dir });
    store = await openStore({ dataDir: dir });
    const registry = new CommandRegistry();
    registry.setHandler(
      'check-alerts',
      createCheckAlertsHandler({
        sources: createSources({ market: { type: 'http-json', url: `${upstream.url}/s?q={query}`, itemsPath: 'items' } }),
        pacing: { minDelayMs: 0, maxDelayMs: 0 },
      }),
    );
    registry.setHandler('scrape', createScrapeHandler({ allowedHosts: ['127.0.0.1'] }));
    const logger = createLogger({ level: 'silent', format: 'json' });
    server = createWorkerServer({ config, identity: { id: 'w1', name: 'w1', region: 'local', version: '0.0.0' }, registry, store, logger, metrics: createWorkerMetrics() });
    await server.app.ready();
  });

  afterAll(async () => {
    await server?.app.close();
    await store?.close();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
    clearSecrets();
  });

  const execute = async (type: string, payload: unknown) => {
    const res = await server.app.inject({ method: 'POST', url: '/api/v1/worker/execute', headers: { 'x-api-key': KEY }, payload: { type, payload } });
    return { status: res.statusCode, body: res.json() as Record<string, unknown>, text: res.body };
  };

  const alert = (id: string, query: string) => ({ id, name: id, source: 'market', query, priceMin: null, priceMax: 50, conditions: [], includeWords: [], excludeWords: [], notify: [], active: true, createdAt: 1, updatedAt: 1 });

  it('answers 503 NO_SCRAPING_COOKIES without a credential', async () => {
    const r = await execute('check-alerts', { alerts: [alert('a', 'veste')] });
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ success: false, error: 'NO_SCRAPING_COOKIES', httpStatus: 503 });
  });

  it('answers the seed fields on success', async () => {
    await store.credentials.set('scraping', COOKIE, 'cli');
    const r = await execute('check-alerts', { alerts: [alert('a', 'veste')] });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      success: true,
      data: {
        matches: [{ alertId: 'a', item: { id: '7', title: 'Veste cuir', price: 40, currency: null, url: null, condition: null, brand: null, photo: null } }],
        alertsChecked: 1,
        itemsChecked: 1,
        failed: [],
      },
    });
  });

  it('answers an upstream block as 403 UPSTREAM_FORBIDDEN (the coordinator bans on it)', async () => {
    await store.credentials.set('scraping', COOKIE, 'cli');
    const r = await execute('check-alerts', { alerts: [alert('a', 'veste'), alert('b', 'forbidden')] });
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ success: false, error: 'UPSTREAM_FORBIDDEN', httpStatus: 403 });
    expect(r.text).not.toContain('s3cret');
  });

  it('answers a refused scrape host as 400 HOST_NOT_ALLOWED', async () => {
    const r = await execute('scrape', { url: 'http://127.0.0.3:1/' });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ success: false, error: 'HOST_NOT_ALLOWED', httpStatus: 400 });
  });
});
