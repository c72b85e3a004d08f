// The dashboard's reads, its page and its CORS, on the coordinator's own app (createHttpApp:
// the same key check, error shape and hooks) over a real SQLite store.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveConfig } from '../../src/config/live.js';
import { loadConfig } from '../../src/config/load.js';
import { registerDashboard } from '../../src/dashboard/index.js';
import { EventBus } from '../../src/events/bus.js';
import { createHttpApp } from '../../src/http/app.js';
import { createCoordinatorMetrics } from '../../src/observability/metrics.js';
import { openStore, type Store } from '../../src/store/index.js';
import { captureLogger } from '../helpers/capture-logger.js';

const KEY = 'dashboard-routes-key-0123456789';
const TOKEN = '987654:SECRET-bot-token';
const PAGE_ORIGIN = 'http://127.0.0.5:8080';

let app: FastifyInstance | undefined;
let store: Store | undefined;
const dirs: string[] = [];

async function setup(opts: { webDir?: string; allowedOrigins?: string[] } = {}): Promise<{ app: FastifyInstance; store: Store }> {
  const dir = mkdtempSync(join(tmpdir(), 'vigie-dashboard-'));
  dirs.push(dir);
  const config = loadConfig({
    cwd: dir,
    env: { VIGIE_API_KEY: KEY, TELEGRAM_BOT_TOKEN: TOKEN, DATABASE_URL: 'postgres://vigie:db-password@127.0.0.1:5432/vigie', VIGIE_DATA_DIR: dir },
  });
  store = await openStore({ dataDir: dir });
  app = createHttpApp({ logger: captureLogger().logger, bodyLimit: 1_000_000, apiKeys: [KEY], metrics: createCoordinatorMetrics().registry, timeouts: { headersMs: 10_000, requestMs: 30_000 } });
  await registerDashboard(app, {
    bus: new EventBus(),
    store,
    live: new LiveConfig(config),
    webDir: opts.webDir ?? join(dir, 'no-build'),
    ...(opts.allowedOrigins ? { allowedOrigins: opts.allowedOrigins } : {}),
  });
  await app.ready();
  return { app, store };
}

afterEach(async () => {
  await app?.close();
  await store?.close();
  app = undefined;
  store = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('dashboard reads', () => {
  it('answer the effective settings behind the key, secrets masked', async () => {
    const { app } = await setup();
    for (const headers of [{}, { 'x-api-key': 'wrong' }]) {
      const res = await app.inject({ url: '/api/v1/config', headers });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ success: false, code: 'UNAUTHORIZED' });
    }
    const res = await app.inject({ url: '/api/v1/config', headers: { 'x-api-key': KEY } });
    expect(res.statusCode).toBe(200);
    const { settings } = res.json() as { settings: Record<string, unknown> };
    expect(settings['apiKey']).toEqual(['****']);
    expect(settings['telegramBotToken']).toBe('****');
    expect(settings['databaseUrl']).toBe('postgres://vigie:****@127.0.0.1:5432/vigie');
    expect(res.body).not.toContain(KEY);
    expect(res.body).not.toContain('SECRET-bot-token');
    expect(res.body).not.toContain('db-password');
  });

  it('list the newest matches with where each notification stands, behind the key', async () => {
    const { app, store } = await setup();
    const alert = await store.alerts.create({ name: 'Lamps', source: 'market', query: 'lamp' });
    const older = (await store.matches.insertMatch({ alertId: alert.id, itemId: 'a', item: { title: 'Old lamp' }, createdAt: 1000 })).match;
    const newer = (await store.matches.insertMatch({ alertId: alert.id, itemId: 'b', item: { title: 'New lamp' }, createdAt: 2000 })).match;
    const sent = (await store.outbox.enqueue({ channel: 'telegram', target: { chatId: '1', token: TOKEN }, payload: {}, idempotencyKey: 'k1', matchId: older.id })).entry;
    await store.outbox.markSent(sent.id, 1500);
    await store.outbox.enqueue({ channel: 'webhook', target: {}, payload: {}, idempotencyKey: 'k2', matchId: newer.id });

    expect((await app.inject({ url: '/api/v1/dashboard/matches' })).statusCode).toBe(401);
    const res = await app.inject({ url: '/api/v1/dashboard/matches', headers: { 'x-api-key': KEY } });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { matches: Array<{ id: string; alertName: string; notifications: unknown[] }> };
    expect(body.matches.map((m) => m.id)).toEqual([newer.id, older.id]);
    expect(body.matches[0]).toMatchObject({ alertName: 'Lamps', notifications: [{ channel: 'webhook', status: 'pending', attempts: 0 }] });
    expect(body.matches[1]).toMatchObject({ notifications: [{ channel: 'telegram', status: 'sent', sentAt: 1500 }] });
    // Delivery targets may hold secrets (bot tokens): never in this answer.
    expect(res.body).not.toContain('SECRET-bot-token');

    const bad = await app.inject({ url: '/api/v1/dashboard/matches?limit=0', headers: { 'x-api-key': KEY } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'INVALID_QUERY' });
  });
});

describe('the page', () => {
  it('is served at / and /dashboard, assets under /dashboard/', async () => {
    const web = mkdtempSync(join(tmpdir(), 'vigie-web-'));
    dirs.push(web);
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>Vigie dashboard</title>');
    writeFileSync(join(web, 'app.js'), 'export {};');
    const { app } = await setup({ webDir: web });
    for (const url of ['/', '/dashboard', '/dashboard/']) {
      const res = await app.inject({ url });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('Vigie dashboard');
    }
    const js = await app.inject({ url: '/dashboard/app.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect((await app.inject({ url: '/dashboard/../package.json', headers: { 'x-api-key': KEY } })).statusCode).toBe(404);
    // Only the page is open: the reads beside it still need the key.
    expect((await app.inject({ url: '/api/v1/config' })).statusCode).toBe(401);
  });

  it('says how to build it when the bundle is missing', async () => {
    const { app } = await setup();
    const res = await app.inject({ url: '/' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build');
  });
});

describe('CORS for pages on other coordinators', () => {
  it('answers the preflight of an allowed origin (which carries no key) and nothing to others', async () => {
    const { app } = await setup({ allowedOrigins: [PAGE_ORIGIN] });
    const preflight = (origin: string) =>
      app.inject({ method: 'OPTIONS', url: '/api/v1/events', headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-api-key,last-event-id' } });
    const ok = await preflight(PAGE_ORIGIN);
    expect(ok.statusCode).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe(PAGE_ORIGIN);
    expect(String(ok.headers['access-control-allow-headers'])).toContain('x-api-key');
    expect(String(ok.headers['access-control-allow-headers'])).toContain('last-event-id');
    const other = await preflight('http://127.0.0.9:8080');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    // A real request still needs the key, and its answer carries the CORS headers.
    // A refused key still carries the CORS headers, so that the page can say "wrong key" rather
    // than "unreachable" (a browser hides an answer without them as a network error).
    const refused = await app.inject({ url: '/api/v1/config', headers: { origin: PAGE_ORIGIN, 'x-api-key': 'wrong' } });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['access-control-allow-origin']).toBe(PAGE_ORIGIN);
    expect(refused.json()).toMatchObject({ error: 'UNAUTHORIZED' });
    const read = await app.inject({ url: '/api/v1/config', headers: { origin: PAGE_ORIGIN, 'x-api-key': KEY } });
    expect(read.statusCode).toBe(200);
    expect(read.headers['access-control-allow-origin']).toBe(PAGE_ORIGIN);
  });

  it('is off without DASHBOARD_ALLOWED_ORIGINS, and refuses something that is not an origin', async () => {
    const { app } = await setup();
    const res = await app.inject({ url: '/api/v1/config', headers: { origin: PAGE_ORIGIN, 'x-api-key': KEY } });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    await app.close();
    await expect(setup({ allowedOrigins: ['http://127.0.0.5:8080/dashboard'] })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});
