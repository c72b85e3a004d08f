import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCheckAlertsHandler, type CheckAlertsDeps } from '../../src/worker/commands/check-alerts.js';
import type { Sleep } from '../../src/alerts/pacer.js';
import { createSources } from '../../src/alerts/sources/index.js';
import type { CheckAlertsResult } from '../../src/wire/check-alerts.js';
import { VigieError } from '../../src/errors.js';
import { clearSecrets } from '../../src/observability/secrets.js';
import type { Alert } from '../../src/store/index.js';
import { json, makeCtx, startServer, type LocalServer, type TestCtx } from './local-server.js';

const COOKIE = 'session=s3cret-scraping-cookie-42; cf_clearance=0ther-s3cret';

/** The upstream: `q` picks the behaviour. */
let upstream: LocalServer;
const catalogue = [
  { id: 1, title: 'Veste en cuir noir', price: '45', status: 'Très bon état' },
  { id: 2, title: 'Veste en cuir abîmée', price: '20', status: 'Satisfaisant' },
  { id: 3, title: 'Veste en jean', price: '15', status: 'Neuf' },
  { id: 3, title: 'Veste en jean', price: '15', status: 'Neuf' }, // listed twice by the upstream
  { id: 4, title: 'Veste en cuir marron', price: '120', status: 'Neuf' },
];

beforeAll(async () => {
  upstream = await startServer((req, res) => {
    const q = new URL(req.url, 'http://x').searchParams.get('q');
    if (q === 'forbidden') return json(res, { error: 'blocked' }, 403);
    if (q === 'limited') return json(res, {}, 429, { 'retry-after': '3' });
    if (q === 'boom') return json(res, {}, 500);
    if (q === 'hang') return; // never answers
    json(res, { items: catalogue });
  });
});

afterAll(async () => {
  await upstream.close();
});

let t: TestCtx;
beforeEach(async () => {
  t = await makeCtx();
});
afterEach(async () => {
  await t.cleanup();
  clearSecrets();
});

function alert(id: string, patch: Partial<Alert> = {}): Alert {
  return {
    id, name: id, source: 'market', query: 'veste', priceMin: null, priceMax: null,
    conditions: [], includeWords: [], excludeWords: [], notify: [], active: true, createdAt: 0, updatedAt: 0,
    ...patch,
  };
}

function handler(delays: number[] = [], extra: Partial<CheckAlertsDeps> = {}) {
  const sleep: Sleep = async (ms, signal) => {
    signal?.throwIfAborted();
    delays.push(ms);
  };
  return createCheckAlertsHandler({
    sources: createSources({ market: { type: 'http-json', url: `${upstream.url}/search?q={query}`, itemsPath: 'items', fields: { condition: 'status' } } }),
    pacing: { minDelayMs: 12_000, maxDelayMs: 25_000 },
    random: () => 0.5,
    sleep,
    ...extra,
  });
}

describe('check-alerts handler', () => {
  it('queries each alert paced, filters items and answers the candidates', async () => {
    await t.store.credentials.set('scraping', COOKIE, 'cli');
    const delays: number[] = [];
    const before = upstream.requests.length;
    const result = (await handler(delays)({
      alerts: [
        alert('cuir', { includeWords: ['cuir'], excludeWords: ['ABIMEE'], priceMax: 100 }),
        alert('neuf', { conditions: ['neuf'] }),
        alert('all'),
      ],
    }, t.ctx)) as CheckAlertsResult;

    expect(result.alertsChecked).toBe(3);
    expect(result.itemsChecked).toBe(15);
    expect(result.failed).toEqual([]);
    expect(result.matches.map((m) => `${m.alertId}:${m.item.id}`)).toEqual(['cuir:1', 'neuf:3', 'neuf:4', 'all:1', 'all:2', 'all:3', 'all:4']);
    expect(result.matches[0]!.item).toMatchObject({ id: '1', title: 'Veste en cuir noir', price: 45, condition: 'Très bon état' });
    // One request per alert, the credential from the store sent each time, paced between them.
    const seen = upstream.requests.slice(before);
    expect(seen).toHaveLength(3);
    for (const r of seen) expect(r.headers.cookie).toBe(COOKIE);
    expect(delays).toEqual([18_500, 18_500]);
    // Logs: one line per alert and a summary, never the credential.
    const logs = t.logs();
    expect(logs.match(/"msg":"alert checked"/g)).toHaveLength(3);
    expect(logs).toContain('check-alerts done: 3/3 alert(s) checked');
    expect(logs).not.toContain('s3cret');
  });

  it('answers NO_SCRAPING_COOKIES (503) before any upstream request', async () => {
    const before = upstream.requests.length;
    await expect(handler()({ alerts: [alert('a')] }, t.ctx)).rejects.toMatchObject({ code: 'NO_SCRAPING_COOKIES', httpStatus: 503 });
    expect(upstream.requests.length - before).toBe(0);
  });

  it('reads the credential named by SCRAPING_CREDENTIAL', async () => {
    const other = await makeCtx({ scrapingCredential: 'market-cookies' });
    try {
      await other.store.credentials.set('scraping', 'wrong=credential-value', 'cli');
      await expect(handler()({ alerts: [alert('a')] }, other.ctx)).rejects.toMatchObject({ code: 'NO_SCRAPING_COOKIES' });
      await other.store.credentials.set('market-cookies', COOKIE, 'cli');
      const before = upstream.requests.length;
      await handler()({ alerts: [alert('a')] }, other.ctx);
      expect(upstream.requests[before]!.headers.cookie).toBe(COOKIE);
    } finally {
      await other.cleanup();
    }
  });

  it('rejects a bad payload with 400 INVALID_COMMAND naming the field, before reading credentials', async () => {
    const h = handler();
    await expect(h(undefined, t.ctx)).rejects.toMatchObject({ code: 'INVALID_COMMAND', httpStatus: 400 });
    await expect(h({}, t.ctx)).rejects.toMatchObject({ code: 'INVALID_COMMAND', message: expect.stringContaining('payload.alerts') });
    await expect(h({ alerts: [alert('a'), { ...alert('b'), priceMin: 'cheap' }] }, t.ctx)).rejects.toMatchObject({
      code: 'INVALID_COMMAND',
      message: expect.stringContaining('payload.alerts.1.priceMin'),
    });
    await expect(h({ alerts: [{ id: 'x', query: 'q' }] }, t.ctx)).rejects.toMatchObject({ message: expect.stringContaining('payload.alerts.0.source') });
  });

  it('accepts alerts with only the fields it needs', async () => {
    await t.store.credentials.set('scraping', COOKIE, 'cli');
    const result = (await handler()({ alerts: [{ id: 'min', source: 'market', query: 'veste', futureField: 1 }] }, t.ctx)) as CheckAlertsResult;
    expect(result.alertsChecked).toBe(1);
    expect(result.matches).toHaveLength(4);
  });

  it('reports failed alerts (unknown source, 429 after retries, 5xx) and checks the others', async () => {
    await t.store.credentials.set('scraping', COOKIE, 'cli');
    const delays: number[] = [];
    const before = upstream.requests.length;
    const result = (await handler(delays, { rateLimit: { maxRetries: 1 } })({
      alerts: [
        alert('ghost', { source: 'nowhere' }),
        alert('limited', { query: 'limited' }),
        alert('boom', { query: 'boom' }),
        alert('ok', { includeWords: ['noir'] }),
      ],
    }, t.ctx)) as CheckAlertsResult;

    expect(result.alertsChecked).toBe(1);
    expect(result.itemsChecked).toBe(5);
    expect(result.matches.map((m) => `${m.alertId}:${m.item.id}`)).toEqual(['ok:1']);
    expect(result.failed).toEqual([
      { alertId: 'ghost', error: expect.stringMatching(/^UNKNOWN_SOURCE: no source "nowhere" on this worker \(sources here: market\)/) },
      { alertId: 'limited', error: expect.stringMatching(/^UPSTREAM_RATE_LIMITED: .*HTTP 429/) },
      { alertId: 'boom', error: expect.stringMatching(/^UPSTREAM_ERROR: .*HTTP 500/) },
    ]);
    // limited: first try + 1 retry; boom: 1; ok: 1. The unknown source made no request and took no pacing slot.
    expect(upstream.requests.length - before).toBe(4);
    // Pacing before 'boom' and 'ok', the Retry-After wait (3 s) between the two 'limited' tries.
    expect(delays).toEqual([3000, 18_500, 18_500]);
    expect(t.logs()).not.toContain('s3cret');
  });

  it('aborts the whole command with 403 on an upstream 401/403, so that the coordinator bans this worker', async () => {
    await t.store.credentials.set('scraping', COOKIE, 'cli');
    const before = upstream.requests.length;
    const err = await handler()({ alerts: [alert('ok'), alert('blocked', { query: 'forbidden' }), alert('never')] }, t.ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VigieError);
    expect(err).toMatchObject({ code: 'UPSTREAM_FORBIDDEN', httpStatus: 403, status: 403 });
    expect((err as Error).message).not.toContain('s3cret');
    expect(upstream.requests.length - before).toBe(2); // the third alert was not queried
  });

  it('stops at once when the command is abandoned during a pause', async () => {
    await t.store.credentials.set('scraping', COOKIE, 'cli');
    const reason = new VigieError('SHUTTING_DOWN', 'The worker is shutting down.', 503);
    const before = upstream.requests.length;
    const h = handler([], {
      sleep: async (_ms, signal) => {
        t.controller.abort(reason);
        signal?.throwIfAborted();
      },
    });
    await expect(h({ alerts: [alert('a'), alert('b'), alert('c')] }, t.ctx)).rejects.toBe(reason);
    expect(upstream.requests.length - before).toBe(1);
  });

  it('stops at once when the command is abandoned during a request', async () => {
    await t.store.credentials.set('scraping', COOKIE, 'cli');
    const reason = new VigieError('COMMAND_TIMEOUT', 'too slow', 504);
    const before = upstream.requests.length;
    const pending = handler()({ alerts: [alert('hang', { query: 'hang' }), alert('b')] }, t.ctx);
    while (upstream.requests.length === before) await new Promise((r) => setTimeout(r, 5));
    t.controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(upstream.requests.length - before).toBe(1);
  });

  it('reports the alerts it cannot reach before the deadline instead of timing out', async () => {
    const short = await makeCtx({ deadlineMs: 8000 });
    try {
      await short.store.credentials.set('scraping', COOKIE, 'cli');
      const delays: number[] = [];
      const result = (await handler(delays)({ alerts: [alert('first'), alert('second'), alert('third')] }, short.ctx)) as CheckAlertsResult;
      // The first goes at once; the pause before the second (18.5 s) would end past the deadline.
      expect(result.alertsChecked).toBe(1);
      expect(result.failed.map((f) => f.alertId)).toEqual(['second', 'third']);
      expect(result.failed[0]!.error).toMatch(/^DEADLINE: /);
      expect(delays).toEqual([]);
    } finally {
      await short.cleanup();
    }
  });
});
