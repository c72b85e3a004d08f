// runExclusive: singleton jobs under a lock, on every backend, and (fake clock) what happens
// when the lock is lost or cannot be renewed while the job runs.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { itWhen } from '../helpers/conditional.js';
import { hasCode } from '../../src/errors.js';
import { FileLock } from '../../src/lock/file-lock.js';
import { RedisLock } from '../../src/lock/redis-lock.js';
import { runExclusive } from '../../src/lock/singleton.js';
import type { LockBackend } from '../../src/lock/types.js';
import { redisUrl } from '../helpers/services.js';
import { captureLogger, MemoryLock, MemoryLockServer, sleep, SwitchableBackend, uniquePrefix } from './helpers.js';
import { cleanupPrefix, rawRedis } from './redis-test-utils.js';

const REDIS = await redisUrl();

interface Setup {
  name: string;
  skip: boolean;
  make(): Promise<{ a: LockBackend; b: LockBackend; steal(name: string): Promise<void>; close(): Promise<void> }>;
}

const setups: Setup[] = [
  {
    name: 'redis',
    skip: !REDIS,
    async make() {
      const prefix = uniquePrefix('single');
      const a = new RedisLock({ url: REDIS!, prefix });
      const b = new RedisLock({ url: REDIS!, prefix });
      const raw = rawRedis(REDIS!);
      return {
        a,
        b,
        steal: async (name) => {
          await raw.set(`${prefix}:${name}`, 'elsewhere:1:00', 'PX', 60_000);
        },
        close: async () => {
          await Promise.all([a.close(), b.close(), raw.quit()]);
          await cleanupPrefix(REDIS!, prefix);
        },
      };
    },
  },
  {
    name: 'file',
    skip: false,
    async make() {
      const dataDir = await mkdtemp(join(tmpdir(), 'vigie-single-'));
      const { logger } = captureLogger();
      const a = new FileLock({ dataDir, logger });
      const b = new FileLock({ dataDir, logger });
      return {
        a,
        b,
        steal: async () => {
          throw new Error('not used');
        },
        close: () => rm(dataDir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'memory (test fake)',
    skip: false,
    async make() {
      const server = new MemoryLockServer();
      return {
        a: new MemoryLock(server),
        b: new MemoryLock(server),
        steal: async (name) => {
          server.locks.set(name, { token: 'elsewhere:1:00', expiresAt: Date.now() + 60_000 });
        },
        close: async () => {},
      };
    },
  },
];

for (const s of setups) {
  describe.skipIf(s.skip)(`runExclusive on ${s.name}`, () => {
    let env: Awaited<ReturnType<Setup['make']>>;
    beforeAll(async () => {
      env = await s.make();
    });
    afterAll(async () => {
      await env?.close();
    });

    it('runs the job under the lock, then frees it', async () => {
      const { logger, text } = captureLogger();
      let inside: unknown = 'not run';
      const r = await runExclusive(
        env.a,
        'job_a',
        5000,
        async (grant, signal) => {
          inside = await env.b.acquire('job_a', 5000);
          expect(signal.aborted).toBe(false);
          return grant.fencing * 10;
        },
        { logger },
      );
      expect(inside).toBeNull();
      expect(r).toEqual({ ran: true, value: expect.any(Number), fencing: expect.any(Number), lost: false });
      if (r.ran) expect(r.value).toBe(r.fencing * 10);
      expect((await env.b.inspect('job_a')).holder).toBeNull();
      expect(text()).toContain(`Singleton lock acquired (${env.a.kind}) job_a pid=${process.pid}`);
    });

    it('does not run the job while another process holds the lock', async () => {
      const held = (await env.b.acquire('job_b', 5000))!;
      const fn = vi.fn(async () => 1);
      expect(await runExclusive(env.a, 'job_b', 5000, fn)).toEqual({ ran: false });
      expect(fn).not.toHaveBeenCalled();
      expect((await env.a.inspect('job_b')).holder).toBe(held.token);
      await env.b.release(held);
    });

    it('frees the lock when the job throws, and rethrows', async () => {
      const boom = new Error('job failed');
      await expect(runExclusive(env.a, 'job_c', 5000, async () => Promise.reject(boom))).rejects.toBe(boom);
      expect((await env.b.inspect('job_c')).holder).toBeNull();
    });

    it('keeps the lock through a job longer than its TTL', async () => {
      const intruders: unknown[] = [];
      const r = await runExclusive(env.a, 'job_d', 800, async (_g, signal) => {
        for (let i = 0; i < 12; i++) {
          await sleep(120);
          intruders.push(await env.b.acquire('job_d', 800));
        }
        return signal.aborted;
      });
      expect(r).toMatchObject({ ran: true, value: false, lost: false });
      expect(intruders.every((g) => g === null)).toBe(true);
      expect((await env.b.inspect('job_d')).holder).toBeNull();
    });

    itWhen(s.name !== 'file')('aborts the job when the lock is taken from under it', async () => {
      const r = await runExclusive(env.a, 'job_e', 600, async (_g, signal) => {
        await env.steal('job_e');
        const started = Date.now();
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        expect(hasCode(signal.reason, 'LOCK_LOST')).toBe(true);
        return Date.now() - started;
      });
      expect(r).toMatchObject({ ran: true, lost: true });
      if (r.ran) expect(r.value).toBeLessThan(600); // found at the next renewal (every 200 ms)
      // The thief's lock is left alone.
      expect((await env.b.inspect('job_e')).holder).toBe('elsewhere:1:00');
    });
  });
}

describe('runExclusive when renewals fail (fake clock)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('aborts the job before the lease ends, and leaves no timer behind', async () => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
    const sick = new SwitchableBackend(new MemoryLock(new MemoryLockServer()));
    let abortedAt: number | undefined;
    let expiresAt = 0;
    const run = runExclusive(sick, 'job', 3000, async (grant, signal) => {
      expiresAt = grant.expiresAt;
      sick.mode = 'error';
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      abortedAt = Date.now();
      return 'stopped';
    });
    for (let i = 0; i < 500 && abortedAt === undefined; i++) await vi.advanceTimersByTimeAsync(10);
    const r = await run;
    expect(r).toMatchObject({ ran: true, value: 'stopped', lost: true });
    expect(abortedAt!).toBeLessThan(expiresAt);
    expect(abortedAt!).toBeGreaterThanOrEqual(expiresAt - 1000);
    expect(sick.calls.filter((c) => c === 'extend').length).toBeGreaterThan(1); // it retried first
    expect(vi.getTimerCount()).toBe(0);
  });

  it('passes an outside abort to the job and still frees the lock', async () => {
    const server = new MemoryLockServer();
    const lock = new MemoryLock(server);
    const outside = new AbortController();
    const r = runExclusive(
      lock,
      'job',
      3000,
      (_g, signal) =>
        new Promise<string>((resolve) => {
          signal.addEventListener('abort', () => resolve(String(signal.reason)), { once: true });
          outside.abort('shutdown');
        }),
      { signal: outside.signal },
    );
    expect(await r).toMatchObject({ ran: true, value: 'shutdown', lost: false });
    expect(server.live('job')).toBeUndefined();
  });
});
