// Reads need the key (issue 12 §5): a real coordinator and a real worker process on loopback.
// Every GET route is listed here, open or keyed; a static check over the route files makes a new
// GET route fail this test until it is listed (and so decided). And `/metrics` of both passes
// `promtool check metrics` (Debian package `prometheus`) with no warning.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestFleet, FLEET_KEY, post, type TestFleet } from '../helpers/fleet.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** GET routes anyone may call. */
const OPEN = { coordinator: ['/api/health'], worker: ['/api/health', '/api/v1/worker/health'] };
/** GET routes that need the key: they return fleet, alert, match, run, credential, config data or metrics. */
const KEYED = {
  coordinator: [
    '/api/v1/worker/main/stats',
    '/api/v1/worker/main/workers',
    '/api/v1/config/runtime',
    '/api/v1/alerts',
    '/api/v1/alerts/:id',
    '/api/v1/alerts/runs',
    '/api/v1/matches',
    '/api/v1/token/status',
    '/metrics',
  ],
  worker: ['/metrics'],
};

/** The GET paths declared in the route files of a folder (`app.get('/path'` or `app.get<…>('/path'`). */
function declaredGets(folder: string): string[] {
  const out: string[] = [];
  for (const f of readdirSync(join(SRC, folder)).filter((n) => n.endsWith('.ts'))) {
    const text = readFileSync(join(SRC, folder, f), 'utf8');
    for (const m of text.matchAll(/\bapp\.get(?:<[^>]*>)?\(\s*'([^']+)'/g)) out.push(m[1]!);
  }
  return out;
}

describe('every GET route is classified (open or keyed)', () => {
  it('lists each GET route of the coordinator, the worker and the shared app exactly once', () => {
    const shared = declaredGets('http');
    expect(shared).toEqual(['/metrics']);
    expect([...declaredGets('coordinator'), ...shared].sort()).toEqual([...OPEN.coordinator, ...KEYED.coordinator].sort());
    expect([...declaredGets('worker'), ...shared].sort()).toEqual([...OPEN.worker, ...KEYED.worker].sort());
  });
});

describe('reads need the key', () => {
  let fleet: TestFleet;
  let coordinator: string;
  let worker: string;
  let alertId: string;
  beforeAll(async () => {
    fleet = createTestFleet();
    worker = (await fleet.startWorker('w1', '127.0.0.1')).url;
    coordinator = (await fleet.startCoordinator()).url;
    // Some traffic, so that labelled series (worker ids, outcomes) exist in /metrics.
    expect((await post(`${coordinator}/api/v1/worker/main/execute`, { type: 'custom', payload: { name: 'echo', data: 'hi' } })).status).toBe(200);
    const created = await post(`${coordinator}/api/v1/alerts`, { name: 'Cheap Nike', source: 'market', query: 'nike', notify: [{ channel: 'log' }] });
    expect(created.status).toBe(201);
    alertId = String((created.body.alert as { id: string }).id);
  }, 60_000);
  afterAll(async () => fleet?.stopAll());

  const path = (p: string) => p.replace(':id', alertId);

  it('answers 401 UNAUTHORIZED in the error shape to a GET without a key or with a wrong one', async () => {
    for (const [base, routes] of [[coordinator, KEYED.coordinator], [worker, KEYED.worker]] as const) {
      for (const p of routes) {
        const res = await fetch(`${base}${path(p)}`);
        expect(res.status, p).toBe(401);
        expect(await res.json(), p).toMatchObject({ success: false, error: 'UNAUTHORIZED', code: 'UNAUTHORIZED', httpStatus: 401 });
        const wrong = await fetch(`${base}${path(p)}`, { headers: { 'x-api-key': 'not-the-key-0123456789' } });
        expect(wrong.status, p).toBe(401);
      }
    }
  });

  it('serves the same GETs with x-api-key, and /metrics with a Bearer token (as Prometheus sends it)', async () => {
    for (const [base, routes] of [[coordinator, KEYED.coordinator], [worker, KEYED.worker]] as const) {
      for (const p of routes) {
        const res = await fetch(`${base}${path(p)}`, { headers: { 'x-api-key': FLEET_KEY } });
        expect(res.status, p).toBe(200);
      }
      const scraped = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${FLEET_KEY}` } });
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain('vigie_process_cpu_seconds_total');
      expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer not-the-key-0123456789' } })).status).toBe(401);
    }
  });

  it('keeps health open', async () => {
    for (const p of OPEN.coordinator) expect((await fetch(`${coordinator}${p}`)).status, p).toBe(200);
    for (const p of OPEN.worker) expect((await fetch(`${worker}${p}`)).status, p).toBe(200);
  });

  describe('/metrics passes promtool check metrics', () => {
    const promtool = findPromtool();
    it.skipIf(!promtool)(`with no warning, on the coordinator and on the worker${promtool ? '' : ' (skipped: promtool not installed; apt-get install prometheus)'}`, async () => {
      for (const base of [coordinator, worker]) {
        const text = await (await fetch(`${base}/metrics`, { headers: { 'x-api-key': FLEET_KEY } })).text();
        const lint = spawnSync(promtool!, ['check', 'metrics'], { input: text, encoding: 'utf8' });
        expect(`${lint.stdout}${lint.stderr}`, base).toBe('');
        expect(lint.status, base).toBe(0);
      }
      const coordinatorText = await (await fetch(`${coordinator}/metrics`, { headers: { 'x-api-key': FLEET_KEY } })).text();
      // The linter saw labelled series, not only the process metrics.
      expect(coordinatorText).toMatch(/vigie_dispatch_total\{outcome="ok"\} 1/);
    });
  });
});

describe('VIGIE_PUBLIC_READ=true on a loopback coordinator', () => {
  let fleet: TestFleet;
  let coordinator: string;
  beforeAll(async () => {
    fleet = createTestFleet();
    await fleet.startWorker('w1', '127.0.0.1');
    coordinator = (await fleet.startCoordinator({ VIGIE_PUBLIC_READ: 'true' })).url;
  }, 60_000);
  afterAll(async () => fleet?.stopAll());

  it('serves reads without a key, and still refuses writes without one', async () => {
    for (const p of ['/api/v1/worker/main/stats', '/api/v1/alerts', '/api/v1/matches', '/metrics']) {
      expect((await fetch(`${coordinator}${p}`)).status, p).toBe(200);
    }
    const write = await fetch(`${coordinator}/api/v1/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', source: 'market' }) });
    expect(write.status).toBe(401);
  });
});

/** promtool's path, or undefined (the test says skipped) — an error under VIGIE_REQUIRE_SERVICES=1. */
function findPromtool(): string | undefined {
  const probe = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  if (probe.status === 0) return 'promtool';
  const why = 'promtool is not installed (Debian: apt-get install prometheus)';
  if (process.env.VIGIE_REQUIRE_SERVICES === '1') throw new Error(`VIGIE_REQUIRE_SERVICES=1 but ${why}`);
  console.warn(`[vigie tests] SKIPPING the promtool check of /metrics: ${why}; set VIGIE_REQUIRE_SERVICES=1 to make this an error.`);
  return undefined;
}
