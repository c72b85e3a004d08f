// A running coordinator, cycles going, while its dependencies fail under it (issue 18 §1, issue
// 12 §2): its PostgreSQL backends terminated in a loop (pg_terminate_backend), its Redis killed
// and restarted, and its database cut off altogether (a TCP proxy in front of the shared
// PostgreSQL, which the test stops). It must never exit, answer 503 STORE_UNAVAILABLE (never a
// 500) while the database is away, and serve and run cycles again once it is back.
//
// Its own database (a temp one) and its own application_name: only its backends are terminated.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { FLEET_KEY, TEST_PLUGIN } from '../helpers/fleet.js';
import { freePort, HAS_REDIS_SERVER, PrivateRedis, tempPgDatabase } from '../helpers/private-services.js';
import { postgresUrl } from '../helpers/services.js';
import { spawnVigie, tempDir, type VigieProcess } from '../helpers/vigie-process.js';
import { sleep, TcpProxy } from '../lock/helpers.js';

const pgUrl = await postgresUrl();
const APP = `vigie-fault-${randomBytes(4).toString('hex')}`;
// Trust auth never asks for it, but the driver holds it: it must show up nowhere.
const DB_PASSWORD = 'pw-fault-Zq81x';

interface Run { id: string; status: string; startedAt: number; summary: Record<string, unknown> | null }

async function call(url: string, method = 'GET', body?: unknown): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
  const res = await fetch(url, {
    method,
    headers: { 'x-api-key': FLEET_KEY, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Left empty: the assertions on status and text say what was wrong.
  }
  return { status: res.status, body: parsed, text };
}

describe.skipIf(!pgUrl || !HAS_REDIS_SERVER)('coordinator under PostgreSQL and Redis faults', () => {
  const dir = tempDir('vigie-faults-');
  let db: { url: string; drop(): Promise<void> };
  let redis: PrivateRedis;
  let proxy: TcpProxy;
  let worker: VigieProcess;
  let coordinator: VigieProcess;
  let base: string;

  beforeAll(async () => {
    db = await tempPgDatabase(pgUrl!);
    redis = new PrivateRedis(await freePort());
    await redis.start();
    proxy = await TcpProxy.start(db.url);
    const store = await openStore({ dataDir: dir.path, databaseUrl: db.url });
    for (const name of ['a', 'b', 'c']) await store.alerts.create({ name, source: 'test', query: name });
    await store.close();
    const plugin = join(dir.path, 'plugin.mjs');
    writeFileSync(plugin, TEST_PLUGIN);
    worker = spawnVigie(['worker', '--id', 'w1', '--host', '127.0.0.2', '--port', '0', '--plugin', plugin], {
      VIGIE_API_KEY: FLEET_KEY, VIGIE_DATA_DIR: dir.path, SEEN_FILE: join(dir.path, 'seen.jsonl'), PER_ALERT_MS: '20', WORKER_ID: 'w1',
    });
    const { url: workerUrl } = await worker.waitForLog((l) => l.msg === 'worker listening');
    const file = join(dir.path, 'coordinator.json');
    writeFileSync(file, JSON.stringify({ workers: [{ id: 'w1', url: workerUrl }] }));
    const dbUrl = new URL(proxy.urlFor(db.url));
    dbUrl.searchParams.set('application_name', APP);
    dbUrl.searchParams.set('password', DB_PASSWORD);
    coordinator = spawnVigie(['coordinator', '--config', file, '--host', '127.0.0.12', '--port', '0'], {
      VIGIE_API_KEY: FLEET_KEY, DATABASE_URL: dbUrl.toString(), REDIS_URL: redis.url, VIGIE_DATA_DIR: dir.path,
      ALERT_CHECK_INTERVAL_MS: '400', ALERT_INITIAL_DELAY_MS: '0', LEADER_LEASE_MS: '3000', HEALTH_CHECK_INTERVAL_MS: '1000',
      CONFIG_STORE_REDIS_PREFIX: `${APP}:config:`,
    });
    base = String((await coordinator.waitForLog((l) => l.msg === 'coordinator listening', 20_000)).url);
  }, 60_000);

  afterAll(async () => {
    await coordinator?.stop('SIGKILL');
    await worker?.stop('SIGKILL');
    await proxy?.close();
    await redis?.stop();
    await db?.drop();
    dir.cleanup();
  });

  const alive = () => coordinator.child.exitCode === null && coordinator.child.signalCode === null;
  const runs = async () => ((await call(`${base}/api/v1/alerts/runs?limit=200`)).body.runs ?? []) as Run[];
  /** Waits for a cycle that started after `since` and ended ok. */
  async function okRunAfter(since: number, ms = 20_000): Promise<Run | undefined> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const res = await call(`${base}/api/v1/alerts/runs?limit=20`).catch(() => undefined);
      const ok = ((res?.body.runs ?? []) as Run[]).find((r) => r.startedAt > since && r.status === 'ok');
      if (ok) return ok;
      await sleep(200);
    }
    return undefined;
  }

  it('stays up while its PostgreSQL backends are terminated in a loop, then runs cycles again', async () => {
    expect(await okRunAfter(0)).toBeDefined();
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    const statuses: number[] = [];
    const bodies: string[] = [];
    let terminated = 0;
    let polling = true;
    // Reads and writes keep coming while the backends die.
    const poller = (async () => {
      for (let i = 0; polling; i++) {
        const res = await (i % 3 === 2 ? call(`${base}/api/v1/alerts`, 'POST', { name: `p${i}`, source: 'test', query: 'q' }) : call(`${base}/api/v1/alerts`)).catch(() => undefined);
        if (res) {
          statuses.push(res.status);
          if (res.status >= 500) bodies.push(res.text);
        }
        await sleep(50);
      }
    })();
    try {
      for (const end = Date.now() + 8000; Date.now() < end; ) {
        const { rows } = await admin.query<{ ok: boolean }>(
          'select pg_terminate_backend(pid) as ok from pg_stat_activity where datname = current_database() and application_name = $1 and pid <> pg_backend_pid()',
          [APP],
        );
        terminated += rows.filter((r) => r.ok).length;
        expect(alive(), coordinator.output().slice(-3000)).toBe(true);
        await sleep(300 + Math.random() * 900);
      }
    } finally {
      polling = false;
      await poller;
      await admin.end();
    }
    expect(terminated).toBeGreaterThan(0);
    expect(alive()).toBe(true);
    // While a query met a dead connection: 503 STORE_UNAVAILABLE, never a 500.
    expect(statuses.filter((s) => s !== 200 && s !== 201 && s !== 503)).toEqual([]);
    for (const b of bodies) expect(JSON.parse(b)).toMatchObject({ success: false, error: 'STORE_UNAVAILABLE', httpStatus: 503 });
    expect(statuses.filter((s) => s === 200 || s === 201).length).toBeGreaterThan(10);

    const after = Date.now();
    expect((await call(`${base}/api/v1/alerts`)).status).toBe(200);
    expect(await okRunAfter(after)).toBeDefined();
    expect(coordinator.output()).toContain('PostgreSQL connection lost; the pool replaces it');
    // Cycles that met a dead connection ended failed with the reason (or the janitor closes them).
    expect((await runs()).filter((r) => r.status === 'running' && r.startedAt < after - 60_000)).toEqual([]);
  }, 60_000);

  it('stays up while its Redis is killed, and leads again when it is back', async () => {
    await redis.stop();
    await sleep(2500);
    expect(alive(), coordinator.output().slice(-3000)).toBe(true);
    expect((await call(`${base}/api/v1/alerts`)).status).toBe(200);
    await redis.start();
    const back = Date.now();
    expect(await okRunAfter(back, 25_000)).toBeDefined();
    expect(alive()).toBe(true);
  }, 60_000);

  it('answers 503 STORE_UNAVAILABLE with the hint while the database is down, and serves again when it is back', async () => {
    await proxy.stop();
    try {
      // run-once may meet a scheduled cycle (409 CYCLE_IN_PROGRESS) for a moment: those fail fast now.
      let runOnce = await call(`${base}/api/v1/alerts/run-once`, 'POST', {});
      for (let i = 0; i < 50 && runOnce.body.error === 'CYCLE_IN_PROGRESS'; i++) {
        await sleep(100);
        runOnce = await call(`${base}/api/v1/alerts/run-once`, 'POST', {});
      }
      const answers = [
        runOnce,
        await call(`${base}/api/v1/alerts`),
        await call(`${base}/api/v1/alerts`, 'POST', { name: 'while-down', source: 'test', query: 'q' }),
        await call(`${base}/api/v1/alerts/some-id`, 'PATCH', { name: 'x' }),
        await call(`${base}/api/v1/alerts/runs`),
      ];
      for (const a of answers) {
        expect(a.status, a.text).toBe(503);
        expect(a.body).toMatchObject({ success: false, error: 'STORE_UNAVAILABLE', code: 'STORE_UNAVAILABLE', httpStatus: 503 });
        expect(String(a.body.message)).toContain('Check that PostgreSQL is running and reachable at DATABASE_URL');
        expect(a.text).not.toContain(DB_PASSWORD);
      }
      expect((await call(`${base}/api/health`)).status).toBe(503);
      // Commands need no database: they go on.
      const echo = await call(`${base}/api/v1/worker/main/execute`, 'POST', { type: 'custom', payload: { name: 'echo', data: 'still here' } });
      expect(echo.status, echo.text).toBe(200);
      expect(echo.body.data).toBe('still here');
      expect(alive()).toBe(true);
    } finally {
      proxy.resume();
    }
    const back = Date.now();
    let status = 0;
    for (const end = Date.now() + 15_000; Date.now() < end && status !== 200; await sleep(200)) status = (await call(`${base}/api/v1/alerts`)).status;
    expect(status).toBe(200);
    expect(await okRunAfter(back)).toBeDefined();
    expect(coordinator.output()).not.toContain(DB_PASSWORD);
  }, 60_000);
});
