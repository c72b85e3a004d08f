// One conformance suite for every lock backend: Redis (real, at REDIS_TEST_URL), the file lock
// (a temp folder), and the in-memory fake the leader tests use (so that the fake cannot drift from
// the real ones). Two backend instances on the same store are two processes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { itWhen } from '../helpers/conditional.js';
import { hasCode } from '../../src/errors.js';
import { FileLock } from '../../src/lock/file-lock.js';
import { RedisLock } from '../../src/lock/redis-lock.js';
import { newToken, type LockBackend, type LockGrant } from '../../src/lock/types.js';
import { redisUrl } from '../helpers/services.js';
import { captureLogger, MemoryLock, MemoryLockServer, sleep, uniquePrefix } from './helpers.js';
import { cleanupPrefix } from './redis-test-utils.js';

interface Harness {
  /** A new backend instance on the shared store: another process's view. */
  instance(): LockBackend;
  close(): Promise<void>;
}

interface HarnessFactory {
  name: string;
  skip: boolean;
  make(): Promise<Harness>;
}

const REDIS = await redisUrl();

function tracking(make: () => LockBackend, extra: () => Promise<void> = async () => {}): Harness {
  const made: LockBackend[] = [];
  return {
    instance() {
      const b = make();
      made.push(b);
      return b;
    },
    async close() {
      await Promise.all(made.map((b) => b.close()));
      await extra();
    },
  };
}

const factories: HarnessFactory[] = [
  {
    name: 'redis',
    skip: !REDIS,
    async make() {
      const prefix = uniquePrefix('conf');
      return tracking(
        () => new RedisLock({ url: REDIS!, prefix, timeoutMs: 2000 }),
        () => cleanupPrefix(REDIS!, prefix),
      );
    },
  },
  {
    name: 'file',
    skip: false,
    async make() {
      const dataDir = await mkdtemp(join(tmpdir(), 'vigie-lock-conf-'));
      const { logger } = captureLogger();
      return tracking(
        () => new FileLock({ dataDir, logger }),
        () => rm(dataDir, { recursive: true, force: true }),
      );
    },
  },
  {
    name: 'memory (test fake)',
    skip: false,
    async make() {
      const server = new MemoryLockServer();
      return tracking(() => new MemoryLock(server));
    },
  },
];

let keyCounter = 0;
/** A fresh lock name per test, so that tests never see each other's grants. */
const freshKey = () => `conf_${++keyCounter}`;

/** A grant naming the same lock and number but another holder's token (a forged or stale view). */
const forged = (g: LockGrant): LockGrant => ({ ...g, token: newToken() });

for (const f of factories) {
  describe.skipIf(f.skip)(`lock conformance: ${f.name}`, () => {
    let h: Harness;
    let a: LockBackend;
    let b: LockBackend;

    beforeAll(async () => {
      h = await f.make();
      a = h.instance();
      b = h.instance();
    });
    afterAll(async () => {
      await h?.close();
    });

    it('grants a free lock, with a token naming host and pid, and refuses it to everyone else', async () => {
      const key = freshKey();
      const startedAt = Date.now();
      const g = await a.acquire(key, 5000);
      const returnedAt = Date.now();
      expect(g).not.toBeNull();
      expect(g!.key).toBe(key);
      expect(g!.token).toMatch(new RegExp(`^.+:${process.pid}:[0-9a-f]{16}$`));
      expect(g!.fencing).toBeGreaterThanOrEqual(1);
      // Counted from the request's start, less a drift allowance (the store's side is checked by inspect).
      expect(g!.expiresAt).toBeLessThan(returnedAt + 5000);
      expect(g!.expiresAt).toBeGreaterThan(startedAt + 4000);
      expect(await b.acquire(key, 5000)).toBeNull();
      // Not re-entrant either: a second acquire by the same process is another holder.
      expect(await a.acquire(key, 5000)).toBeNull();
      await a.release(g!);
    });

    it('lets only the holder extend', async () => {
      const key = freshKey();
      const g = (await a.acquire(key, 2000))!;
      expect(await b.extend(forged(g), 20_000)).toBeNull();
      expect(await a.extend(forged(g), 20_000)).toBeNull();
      expect((await b.inspect(key)).ttlMs!).toBeLessThanOrEqual(2000);

      const before = Date.now();
      const e = await b.extend(g, 20_000); // any process holding the token is the holder
      expect(e).not.toBeNull();
      expect(e!.token).toBe(g.token);
      expect(e!.fencing).toBe(g.fencing);
      expect(e!.expiresAt).toBeGreaterThan(g.expiresAt);
      expect(e!.expiresAt).toBeLessThanOrEqual(Date.now() + 20_000);
      expect(e!.expiresAt).toBeGreaterThan(before + 19_000);
      const info = await b.inspect(key);
      expect(info.holder).toBe(g.token);
      expect(info.ttlMs!).toBeGreaterThan(2000);
      expect(info.ttlMs!).toBeLessThanOrEqual(20_000);
      await a.release(e!);
    });

    it('lets only the holder release, and only once', async () => {
      const key = freshKey();
      const g = (await a.acquire(key, 5000))!;
      expect(await b.release(forged(g))).toBe(false);
      expect((await a.inspect(key)).holder).toBe(g.token);
      expect(await b.acquire(key, 5000)).toBeNull();

      expect(await a.release(g)).toBe(true);
      expect(await a.release(g)).toBe(false);
      expect((await a.inspect(key)).holder).toBeNull();
      const g2 = await b.acquire(key, 5000);
      expect(g2).not.toBeNull();
      // The first holder's stale grant cannot free the new holder's lock.
      expect(await a.release(g)).toBe(false);
      expect((await a.inspect(key)).holder).toBe(g2!.token);
      await b.release(g2!);
    });

    it('gives every grant a fencing number above all earlier ones', async () => {
      const key = freshKey();
      const seen: number[] = [];
      for (let i = 0; i < 6; i++) {
        const who = i % 2 === 0 ? a : b;
        const g = (await who.acquire(key, 5000))!;
        expect(g).not.toBeNull();
        seen.push(g.fencing);
        await who.release(g);
      }
      for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThan(seen[i - 1]!);
      // An extension keeps the number; it is a grant that moves it.
      const g = (await a.acquire(key, 5000))!;
      expect((await a.extend(g, 5000))!.fencing).toBe(g.fencing);
      expect(g.fencing).toBeGreaterThan(seen.at(-1)!);
      await a.release(g);
    });

    it('frees the lock when the lease expires; the old holder can then neither extend nor release', async () => {
      const key = freshKey();
      const old = (await a.acquire(key, 300))!;
      expect(await b.acquire(key, 300)).toBeNull();
      await sleep(450);
      expect((await b.inspect(key)).holder).toBeNull();
      const next = await b.acquire(key, 5000);
      expect(next).not.toBeNull();
      expect(next!.fencing).toBeGreaterThan(old.fencing);
      expect(await a.extend(old, 5000)).toBeNull();
      expect(await a.release(old)).toBe(false);
      expect((await a.inspect(key)).holder).toBe(next!.token);
      await b.release(next!);
    });

    it('does not revive an expired lease, even when nobody took the lock', async () => {
      const key = freshKey();
      const old = (await a.acquire(key, 200))!;
      await sleep(350);
      expect(await a.extend(old, 5000)).toBeNull();
      expect((await a.inspect(key)).holder).toBeNull();
    });

    it('inspects holder, lease left and the latest fencing number', async () => {
      const key = freshKey();
      expect(await b.inspect(key)).toEqual({ holder: null, ttlMs: null, fencing: null });
      const g = (await a.acquire(key, 5000))!;
      const info = await b.inspect(key);
      expect(info.holder).toBe(g.token);
      expect(info.fencing).toBe(g.fencing);
      expect(info.ttlMs!).toBeGreaterThan(4000);
      expect(info.ttlMs!).toBeLessThanOrEqual(5000);
      // The store's expiry is never earlier than the holder's own estimate.
      expect(Date.now() + info.ttlMs! + 1).toBeGreaterThanOrEqual(g.expiresAt);
      await a.release(g);
      expect(await b.inspect(key)).toEqual({ holder: null, ttlMs: null, fencing: g.fencing });
    });

    it('grants to exactly one of many concurrent contenders, fresh and after expiry', async () => {
      const key = freshKey();
      const contenders = [a, b, h.instance(), h.instance(), h.instance(), h.instance()];
      const race = async (ttl: number) =>
        (await Promise.all(contenders.flatMap((c) => [c.acquire(key, ttl), c.acquire(key, ttl)]))).filter((g) => g !== null);
      const first = await race(400);
      expect(first).toHaveLength(1);
      await sleep(550);
      const second = await race(5000);
      expect(second).toHaveLength(1);
      expect(second[0]!.fencing).toBeGreaterThan(first[0]!.fencing);
      await a.release(second[0]!);
    });

    it('keeps fencing numbers above a given floor', async () => {
      const key = freshKey();
      const g1 = (await a.acquire(key, 5000))!;
      await a.release(g1);
      const floor = g1.fencing + 1000;
      const g2 = (await b.acquire(key, 5000, { fencingFloor: floor }))!;
      expect(g2.fencing).toBeGreaterThan(floor);
      await b.release(g2);
      const g3 = (await a.acquire(key, 5000))!;
      expect(g3.fencing).toBeGreaterThan(g2.fencing);
      await a.release(g3);
    });

    it('keeps locks of different names apart', async () => {
      const k1 = freshKey();
      const k2 = freshKey();
      const g1 = (await a.acquire(k1, 5000))!;
      const g2 = await b.acquire(k2, 5000);
      expect(g2).not.toBeNull();
      expect(await b.release({ ...g1, key: k2 })).toBe(false);
      expect((await a.inspect(k1)).holder).toBe(g1.token);
      await a.release(g1);
      await b.release(g2!);
    });

    itWhen(!f.name.startsWith('memory'))('refuses bad names and TTLs with typed errors', async () => {
      await expect(a.acquire('../etc', 1000)).rejects.toSatisfy((e) => hasCode(e, 'LOCK_NAME_INVALID'));
      await expect(a.acquire('', 1000)).rejects.toSatisfy((e) => hasCode(e, 'LOCK_NAME_INVALID'));
      await expect(a.acquire('ok', 0)).rejects.toSatisfy((e) => hasCode(e, 'LOCK_TTL_INVALID'));
      await expect(a.acquire('ok', 1.5)).rejects.toSatisfy((e) => hasCode(e, 'LOCK_TTL_INVALID'));
    });
  });
}
