import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeFlyServer } from '../../src/remediation/providers/fly/fake-server.js';
import { FLEET_KEY, get, post } from '../helpers/fleet.js';
import { freePort, HAS_REDIS_SERVER, PrivateRedis, tempPgDatabase } from '../helpers/private-services.js';
import { postgresUrl } from '../helpers/services.js';
import { spawnVigie, tempDir, type VigieProcess } from '../helpers/vigie-process.js';

/**
 * The fly provider under the ladder, across a leader change, with real coordinator processes
 * (one PostgreSQL, a private Redis) and the fake Machines API: a region move is held after it
 * created the new machine (its wait for `started` is slowed), the leader is killed (SIGKILL),
 * and the next leader records the step as failed, naming the machine it had created.
 */
const pgUrl = await postgresUrl();
const TOKEN = 'fly-secret-token-4f8a2c9e1b7d';
const LEASE = 3000;

interface HistoryRow { workerId: string; step: string; ok: boolean; error: string | null; fromValue: string | null }
interface Health { leadership: { role: 'leader' | 'follower' } }

describe.skipIf(!pgUrl || !HAS_REDIS_SERVER)('fly provider: a step interrupted by the leader\'s death', () => {
  const dir = tempDir('vigie-fly-lead-');
  let db: { url: string; drop(): Promise<void> };
  let redis: PrivateRedis;
  let fly: FakeFlyServer;
  const coordinators: Array<{ proc: VigieProcess; url: string }> = [];

  beforeAll(async () => {
    db = await tempPgDatabase(pgUrl!);
    redis = new PrivateRedis(await freePort());
    await redis.start();
    fly = await FakeFlyServer.start({ token: TOKEN, transitionMs: 20 });
    const machine = fly.machines.addMachine('vigie-workers', { region: 'cdg', config: { image: 'registry.fly.io/vigie:1' } });
    const file = join(dir.path, 'coordinators.json');
    // Nothing listens at the worker's url: the step's outcome does not depend on it here.
    writeFileSync(file, JSON.stringify({ workers: [{ id: 'w1', url: 'http://127.0.0.9:9', region: 'cdg', flyApp: 'vigie-workers', machineId: machine.id }] }));
    const env = {
      VIGIE_API_KEY: FLEET_KEY, DATABASE_URL: db.url, REDIS_URL: redis.url, VIGIE_DATA_DIR: dir.path,
      LEADER_LEASE_MS: String(LEASE), ALERT_INITIAL_DELAY_MS: '600000', HEALTH_CHECK_INTERVAL_MS: '60000', CONFIG_STORE_REDIS_PREFIX: 'fly-lead-test:config:',
      MACHINE_PROVIDER: 'fly', FLY_API_URL: fly.url, FLY_API_TOKEN: TOKEN, FAILOVER_REGIONS: 'cdg,iad', LOG_LEVEL: 'debug',
    };
    for (const host of ['127.0.0.12', '127.0.0.13']) {
      const proc = spawnVigie(['coordinator', '--config', file, '--host', host, '--port', '0'], env);
      const { url } = await proc.waitForLog((l) => l.msg === 'coordinator listening', 60_000);
      coordinators.push({ proc, url: String(url) });
    }
  }, 120_000);

  afterAll(async () => {
    for (const c of coordinators) await c.proc.stop('SIGKILL');
    await fly?.close();
    await redis?.stop();
    await db?.drop();
    dir.cleanup();
  });

  async function leader(list = coordinators): Promise<(typeof coordinators)[number]> {
    const end = Date.now() + 60_000;
    while (Date.now() < end) {
      for (const c of list) {
        try {
          if ((await get<Health>(`${c.url}/api/health`)).leadership.role === 'leader') return c;
        } catch {
          // killed, or not up
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('no leader');
  }

  it('the next leader records the step as failed (interrupted), names the machine it created, and the token is in no log line', async () => {
    const first = await leader();
    // Hold the move once the new machine exists: its wait for `started` answers late.
    fly.inject({ kind: 'slow', delayMs: 120_000, count: 10, match: '/wait' });
    const trigger = await post(`${first.url}/api/v1/failover/trigger`, { workerId: 'w1', step: 'region' });
    expect(trigger.status).toBe(202);
    // The step is recorded as under way, with the checkpoint of the machine it created.
    const end = Date.now() + 30_000;
    let created: string | undefined;
    while (!created && Date.now() < end) {
      created = fly.machines.list('vigie-workers').find((m) => m.region === 'iad')?.id;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(created).toBeTruthy();
    await first.proc.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('failover: move to a region'), 10_000);
    await new Promise((r) => setTimeout(r, 300)); // the checkpoint's transaction commits before the wait starts
    const status = await get<{ workers: Array<{ workerId: string; inProgress: { step: string } | null }> }>(`${first.url}/api/v1/failover/status`);
    expect(status.workers[0]!.inProgress).toMatchObject({ step: 'region' });

    await first.proc.stop('SIGKILL');
    const rest = coordinators.filter((c) => c !== first);
    const next = await leader(rest);
    let history: HistoryRow[] = [];
    const until = Date.now() + 60_000;
    while (history.length === 0 && Date.now() < until) {
      history = (await get<{ failovers: HistoryRow[] }>(`${next.url}/api/v1/failover/history`)).failovers;
      if (history.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(history[0]).toMatchObject({ workerId: 'w1', step: 'region', ok: false, fromValue: 'http://127.0.0.9:9' });
    expect(history[0]!.error).toMatch(/^interrupted: the leader that began it \(fencing \d+\) stopped mid-step/);
    expect(history[0]!.error).toContain(created!);
    const after = await get<{ workers: Array<{ inProgress: unknown }> }>(`${next.url}/api/v1/failover/status`);
    expect(after.workers[0]!.inProgress).toBeNull();
    // A new step on the worker may start again (nothing left under way): the operator's trigger is accepted.
    fly.clearFaults();
    expect((await post(`${next.url}/api/v1/failover/trigger`, { workerId: 'w1', step: 'restart' })).status).toBe(202);

    for (const c of coordinators) expect(c.proc.output()).not.toContain(TOKEN);
  }, 180_000);
});
