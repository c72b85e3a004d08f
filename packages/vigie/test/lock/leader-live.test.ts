// LeaderElector in real time on the real backends: two coordinators on one Redis, Redis going
// away (or going silent) under the leader, and two electors on the file lock.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FileLock } from '../../src/lock/file-lock.js';
import { LeaderElector } from '../../src/lock/leader.js';
import { RedisLock } from '../../src/lock/redis-lock.js';
import type { LockBackend } from '../../src/lock/types.js';
import { redisUrl } from '../helpers/services.js';
import { captureLogger, SwitchableBackend, TcpProxy, uniquePrefix, until } from './helpers.js';
import { cleanupPrefix, rawRedis } from './redis-test-utils.js';

const HAS_REDIS_SERVER = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

/** A private redis-server on a free loopback port, to be killed under a leader. */
async function privateRedis(): Promise<{ url: string; child: ChildProcess; kill(): Promise<void> }> {
  const port = await new Promise<number>((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  const probe = rawRedis(url);
  try {
    expect(await until(() => probe.status === 'ready', 5000)).toBe(true);
  } finally {
    probe.disconnect();
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    child,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

const REDIS = await redisUrl();
const LEASE = 1500;
const RENEW = 500;

interface Live {
  elector: LeaderElector;
  electedAt: number[];
  demoted: Array<{ at: number; reason: string }>;
}

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function live(backend: LockBackend, key: string): Live {
  const { logger } = captureLogger();
  const out: Live = {
    electedAt: [],
    demoted: [],
    elector: new LeaderElector({
      backend,
      key,
      leaseMs: LEASE,
      renewEveryMs: RENEW,
      logger,
      onElected: () => {
        out.electedAt.push(Date.now());
      },
      onDemoted: (reason) => {
        out.demoted.push({ at: Date.now(), reason });
      },
    }),
  };
  cleanup.push(() => out.elector.stop());
  return out;
}

/** Two electors on `make()` backends: one leads; stopping it hands over within a renewal period. */
async function handOver(make: () => LockBackend, key: string): Promise<void> {
  const a = live(make(), key);
  const b = live(make(), key);
  a.elector.start();
  b.elector.start();
  expect(await until(() => a.elector.isLeader() || b.elector.isLeader(), 2000)).toBe(true);
  await new Promise((r) => setTimeout(r, 2 * RENEW));
  expect([a, b].filter((x) => x.elector.isLeader())).toHaveLength(1);
  const [leader, follower] = a.elector.isLeader() ? [a, b] : [b, a];
  const fencing = leader.elector.currentFencing()!;
  expect(follower.elector.status()).toMatchObject({ role: 'follower', holder: leader.elector.status().holder, fencing });

  await leader.elector.stop();
  const stoppedAt = Date.now();
  expect(leader.demoted.map((d) => d.reason)).toEqual(['stopped']);
  expect(await until(() => follower.elector.isLeader(), RENEW + 1000)).toBe(true);
  // renewEveryMs + 10 % jitter, plus room for a loaded machine.
  expect(follower.electedAt[0]! - stoppedAt).toBeLessThan(RENEW + 50 + 700);
  expect(follower.elector.currentFencing()!).toBeGreaterThan(fencing);
}

describe.skipIf(!REDIS)('LeaderElector on a real Redis', () => {
  const prefix = uniquePrefix('leader');
  afterAll(async () => {
    await cleanupPrefix(REDIS!, prefix);
  });
  const redis = (url = REDIS!) => {
    const lock = new RedisLock({ url, prefix, timeoutMs: 300 });
    cleanup.push(() => lock.close());
    return lock;
  };

  it('elects one of two coordinators; when the leader stops, the other leads within renewEveryMs', async () => {
    await handOver(() => redis(), 'handover');
  });

  for (const outage of ['stopped', 'silent'] as const) {
    it(`Redis ${outage} under the leader: it steps down before its lease ends, and only then does another lead`, async () => {
      const proxy = await TcpProxy.start(REDIS!);
      cleanup.push(() => proxy.close());
      const key = `outage_${outage}`;
      const recorded = new SwitchableBackend(redis(proxy.urlFor(REDIS!)));
      const a = live(recorded, key);
      a.elector.start();
      expect(await until(() => a.elector.isLeader(), 2000)).toBe(true);
      const b = live(redis(), key); // reaches Redis directly: it survives the outage
      b.elector.start();
      await new Promise((r) => setTimeout(r, 2 * RENEW + 100));
      expect(a.elector.isLeader()).toBe(true);
      expect(b.elector.isLeader()).toBe(false);

      if (outage === 'stopped') await proxy.stop();
      else proxy.silence();

      expect(await until(() => a.demoted.length > 0, 3 * LEASE)).toBe(true);
      // The last renewal that succeeded (one may have been on its way when Redis went).
      const last = recorded.grants.at(-1)!;
      const demotedAt = a.demoted[0]!.at;
      expect(demotedAt).toBeLessThan(last.expiresAt);
      expect(a.elector.isLeader()).toBe(false);

      expect(await until(() => b.elector.isLeader(), 3 * LEASE)).toBe(true);
      expect(b.electedAt[0]!).toBeGreaterThan(demotedAt);
      // Redis held the old lease to its end: the new leader came after it, with a higher number.
      expect(b.electedAt[0]!).toBeGreaterThanOrEqual(last.expiresAt);
      expect(b.elector.currentFencing()!).toBeGreaterThan(last.fencing);
    });
  }
});

describe.skipIf(!HAS_REDIS_SERVER)('LeaderElector on a redis-server that is killed', () => {
  it('steps down before its lease ends', async () => {
    const server = await privateRedis();
    cleanup.push(() => server.kill());
    const lock = new RedisLock({ url: server.url, timeoutMs: 300 });
    cleanup.push(() => lock.close());
    const recorded = new SwitchableBackend(lock);
    const a = live(recorded, 'leader');
    a.elector.start();
    expect(await until(() => a.elector.isLeader(), 2000)).toBe(true);
    await new Promise((r) => setTimeout(r, RENEW + 100)); // at least one renewal
    expect(recorded.grants.length).toBeGreaterThan(1);
    await server.kill();
    expect(await until(() => a.demoted.length > 0, 3 * LEASE)).toBe(true);
    const last = recorded.grants.at(-1)!;
    expect(a.demoted[0]!.at).toBeLessThan(last.expiresAt);
    expect(a.elector.isLeader()).toBe(false);
    expect(a.elector.status().role).toBe('follower');
  });
});

describe('LeaderElector on the file lock (one host)', () => {
  let dataDir: string;
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('elects one of two electors in one process; when the leader stops, the other leads within renewEveryMs', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'vigie-leader-file-'));
    const { logger } = captureLogger();
    await handOver(() => new FileLock({ dataDir, logger }), 'leader');
  });
});
