import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { FLEET_KEY, get, post, TEST_PLUGIN } from '../helpers/fleet.js';
import { freePort, HAS_REDIS_SERVER, PrivateRedis, tempPgDatabase } from '../helpers/private-services.js';
import { postgresUrl } from '../helpers/services.js';
import { runVigie, spawnVigie, tempDir, type VigieProcess } from '../helpers/vigie-process.js';

// Two coordinators on one PostgreSQL and one Redis (a private redis-server, so that stopping it
// disturbs no other test), with short intervals: 1 s slots, a 3 s leadership lease.
const pgUrl = await postgresUrl();
const INTERVAL = 1000;
const LEASE = 3000;
const RENEW = LEASE / 3;

interface Health { leadership: { role: 'leader' | 'follower'; fencing: number | null; holder: string | null } }
interface Run { slotKey: string | null; fencingToken: number | null; status: string; startedAt: number }

describe.skipIf(!pgUrl || !HAS_REDIS_SERVER)('two coordinators, one leader', () => {
  const dir = tempDir('vigie-lead-');
  let db: { url: string; drop(): Promise<void> };
  let redis: PrivateRedis;
  let worker: VigieProcess;
  const coordinators: Array<{ proc: VigieProcess; url: string; host: string }> = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await tempPgDatabase(pgUrl!);
    redis = new PrivateRedis(await freePort());
    await redis.start();
    const plugin = join(dir.path, 'plugin.mjs');
    writeFileSync(plugin, TEST_PLUGIN);
    const store = await openStore({ dataDir: dir.path, databaseUrl: db.url });
    await store.alerts.create({ name: 'a', source: 'test', query: 'x' });
    await store.close();
    worker = spawnVigie(['worker', '--id', 'w1', '--host', '127.0.0.2', '--port', '0', '--plugin', plugin], {
      VIGIE_API_KEY: FLEET_KEY, DATABASE_URL: db.url, SEEN_FILE: join(dir.path, 'seen.jsonl'), PER_ALERT_MS: '600', WORKER_ID: 'w1',
    });
    const { url: workerUrl } = await worker.waitForLog((l) => l.msg === 'worker listening');
    const file = join(dir.path, 'coordinators.json');
    writeFileSync(file, JSON.stringify({ workers: [{ id: 'w1', url: workerUrl }] }));
    env = {
      VIGIE_API_KEY: FLEET_KEY, DATABASE_URL: db.url, REDIS_URL: redis.url, VIGIE_DATA_DIR: dir.path,
      ALERT_CHECK_INTERVAL_MS: String(INTERVAL), ALERT_INITIAL_DELAY_MS: '0', LEADER_LEASE_MS: String(LEASE),
      HEALTH_CHECK_INTERVAL_MS: '1000', CONFIG_STORE_REDIS_PREFIX: 'lead-test:config:',
    };
    for (const host of ['127.0.0.10', '127.0.0.11']) {
      const proc = spawnVigie(['coordinator', '--config', file, '--host', host, '--port', '0'], env);
      const { url } = await proc.waitForLog((l) => l.msg === 'coordinator listening', 20_000);
      coordinators.push({ proc, url: String(url), host });
    }
  }, 60_000);

  afterAll(async () => {
    for (const c of coordinators) {
      c.proc.child.kill('SIGCONT');
      await c.proc.stop('SIGKILL');
    }
    await worker?.stop('SIGKILL');
    await redis?.stop();
    await db?.drop();
    dir.cleanup();
  });

  const health = (c: { url: string }) => get<Health>(`${c.url}/api/health`);
  async function runs(): Promise<Run[]> {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    const r = await c.query('select slot_key, fencing_token, status, started_at from alert_runs order by started_at');
    await c.end();
    return r.rows.map((x) => ({ slotKey: x.slot_key, fencingToken: x.fencing_token === null ? null : Number(x.fencing_token), status: x.status, startedAt: Number(x.started_at) }));
  }
  async function leaderOf(list = coordinators): Promise<(typeof coordinators)[number]> {
    const end = Date.now() + 15_000;
    while (Date.now() < end) {
      for (const c of list) {
        try {
          if ((await health(c)).leadership.role === 'leader') return c;
        } catch {
          // stopped or killed
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('no leader');
  }
  async function waitForRuns(n: number, timeoutMs: number): Promise<Run[]> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const r = await runs();
      if (r.length >= n || Date.now() > end) return r;
      await new Promise((res) => setTimeout(res, 200));
    }
  }
  function expectEachSlotOnce(list: Run[]): void {
    const keys = list.map((r) => r.slotKey);
    expect(new Set(keys).size).toBe(keys.length);
  }

  it('runs each of 20 slots exactly once, on the leader only', async () => {
    const leader = await leaderOf();
    const follower = coordinators.find((c) => c !== leader)!;
    expect((await health(follower)).leadership.role).toBe('follower');
    const list = await waitForRuns(21, 40_000);
    expect(list.length).toBeGreaterThanOrEqual(21);
    expectEachSlotOnce(list);
    // Consecutive slots: none skipped, none doubled.
    const starts = list.slice(-20).map((r) => Number(r.slotKey!.split(':').at(-1)));
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBe(INTERVAL);
    // `vigie lock status` shows the same holder and fencing number as the leader's health.
    const status = await runVigie(['lock', 'status'], env);
    expect(status.code, status.stderr).toBe(0);
    const lock = JSON.parse(status.stdout) as { held: boolean; holder: string; fencing: number; backend: string };
    const lead = (await health(leader)).leadership;
    expect(lock).toMatchObject({ held: true, backend: 'redis', holder: lead.holder, fencing: lead.fencing });
    // A follower refuses what needs the leader.
    expect((await post(`${follower.url}/api/v1/alerts/run-once`, {})).body.error).toBe('NOT_LEADER');
  }, 60_000);

  it('after kill -9 of the leader, the other leads within lease + one renewal and the next slot runs', async () => {
    const leader = await leaderOf();
    const other = coordinators.find((c) => c !== leader)!;
    const before = (await health(leader)).leadership.fencing!;
    const killedAt = Date.now();
    await leader.proc.stop('SIGKILL');
    coordinators.splice(coordinators.indexOf(leader), 1);
    expect(await leaderOf([other])).toBe(other);
    const tookOver = Date.now() - killedAt;
    expect(tookOver).toBeLessThan(LEASE + RENEW + 1500); // 1.5 s for polling and scheduling
    const fencing = (await health(other)).leadership.fencing!;
    expect(fencing).toBeGreaterThan(before);
    const end = Date.now() + 10_000;
    let next: Run | undefined;
    while (!next && Date.now() < end) {
      next = (await runs()).find((r) => r.fencingToken === fencing && r.status === 'ok');
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(next).toBeDefined();
    expectEachSlotOnce(await runs());

    // Bring a second coordinator back for the next tests.
    const file = join(dir.path, 'coordinators.json');
    const proc = spawnVigie(['coordinator', '--config', file, '--host', '127.0.0.12', '--port', '0'], env);
    const { url } = await proc.waitForLog((l) => l.msg === 'coordinator listening', 20_000);
    coordinators.push({ proc, url: String(url), host: '127.0.0.12' });
  }, 60_000);

  it('a leader paused past its lease has its stale writes refused after SIGCONT, and no slot runs twice', async () => {
    const leader = await leaderOf();
    const other = coordinators.find((c) => c !== leader)!;
    // Pause the leader in the middle of a cycle (the worker takes 600 ms over each batch).
    const cycles = leader.proc.output().split('alert cycle started').length;
    await leader.proc.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('alert cycle started') && leader.proc.output().split('alert cycle started').length > cycles, 10_000);
    leader.proc.child.kill('SIGSTOP');
    expect(await leaderOf([other])).toBe(other);
    const newFencing = (await health(other)).leadership.fencing!;
    // The new leader has written under its fence before the old one wakes.
    const end = Date.now() + 10_000;
    while (Date.now() < end && !(await runs()).some((r) => r.fencingToken === newFencing)) await new Promise((r) => setTimeout(r, 200));
    leader.proc.child.kill('SIGCONT');
    // Its cycle resumes and tries to record under the old fence: refused, logged, counted.
    await leader.proc.waitForLog((l) => typeof l.msg === 'string' && l.msg.includes('stale write rejected'), 15_000);
    const metrics = await (await fetch(`${leader.url}/metrics`, { headers: { 'x-api-key': FLEET_KEY } })).text();
    expect(metrics).toMatch(/vigie_cycle_writes_refused_total\{code="FENCED"\} [1-9]/);
    expectEachSlotOnce(await runs());
    expect((await health(leader)).leadership.role).toBe('follower');
  }, 60_000);

  it('a run-time setting changed with the CLI reaches every coordinator without a restart', async () => {
    const set = await runVigie(['config', 'set', 'maxRetries', '5'], env);
    expect(set.code, set.stderr).toBe(0);
    for (const c of coordinators) {
      const end = Date.now() + 10_000;
      let value: unknown;
      while (Date.now() < end && value !== 5) {
        value = (await get<{ settings: Record<string, unknown> }>(`${c.url}/api/v1/config/runtime`)).settings.maxRetries;
        if (value !== 5) await new Promise((r) => setTimeout(r, 100));
      }
      expect(value).toBe(5);
    }
  }, 30_000);

  it('Redis stopped under a leader: it steps down before its lease ends and no cycle runs until Redis is back', async () => {
    const leader = await leaderOf();
    await redis.stop();
    const stoppedAt = Date.now();
    const end = stoppedAt + LEASE + 2000;
    let role = 'leader';
    while (Date.now() < end && role === 'leader') {
      role = (await health(leader)).leadership.role;
      if (role === 'leader') await new Promise((r) => setTimeout(r, 100));
    }
    expect(role).toBe('follower');
    expect(Date.now() - stoppedAt).toBeLessThan(LEASE + 500);
    // No cycle while nobody leads.
    await new Promise((r) => setTimeout(r, 500));
    const count = (await runs()).length;
    await new Promise((r) => setTimeout(r, 3 * INTERVAL));
    expect((await runs()).length).toBe(count);
    // Redis back: a leader again, cycles again.
    await redis.start();
    await leaderOf();
    const after = await waitForRuns(count + 2, 15_000);
    expect(after.length).toBeGreaterThanOrEqual(count + 2);
    expectEachSlotOnce(after);
  }, 60_000);
});
