// Redis-specific behaviour: the seed's key layout, fail-fast when Redis is down or silent (with
// the password kept out of every message), recovery, and the EVALSHA → EVAL fallback.
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { VigieError } from '../../src/errors.js';
import { evalScript, RedisLock } from '../../src/lock/redis-lock.js';
import { luaScript } from '../../src/lock/scripts/index.js';
import { redisUrl } from '../helpers/services.js';
import { captureLogger, TcpProxy, uniquePrefix, until } from './helpers.js';
import { cleanupPrefix, rawRedis } from './redis-test-utils.js';

const REDIS = await redisUrl();
const PASSWORD = 's3cret-Pa55word';

/** Expects `p` to reject with LOCK_BACKEND_UNAVAILABLE naming REDIS_URL, without the password. */
async function expectUnavailable(p: Promise<unknown>): Promise<VigieError> {
  const err = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VigieError);
  const v = err as VigieError;
  expect(v.code).toBe('LOCK_BACKEND_UNAVAILABLE');
  expect(v.httpStatus).toBe(503);
  expect(v.message).toContain('REDIS_URL');
  expect(v.message).not.toContain(PASSWORD);
  expect(String(v.stack)).not.toContain(PASSWORD);
  return v;
}

describe('Redis lock with Redis down', () => {
  it('fails fast with LOCK_BACKEND_UNAVAILABLE and no password, for every call', async () => {
    const { logger, text } = captureLogger();
    const lock = new RedisLock({ url: `redis://default:${PASSWORD}@127.0.0.1:1/0`, timeoutMs: 1500, logger });
    try {
      const started = Date.now();
      const err = await expectUnavailable(lock.acquire('leader', 1000));
      expect(err.message).toContain('redis://default:****@127.0.0.1:1/0');
      // Refused connections are answered at once, not after the timeout.
      expect(Date.now() - started).toBeLessThan(1400);
      const grant = { key: 'leader', token: 'h:1:00', fencing: 1, expiresAt: Date.now() + 1000 };
      await expectUnavailable(lock.extend(grant, 1000));
      await expectUnavailable(lock.release(grant));
      await expectUnavailable(lock.inspect('leader'));
      expect(Date.now() - started).toBeLessThan(5 * 1500);
    } finally {
      const closing = Date.now();
      await lock.close();
      expect(Date.now() - closing).toBeLessThan(500);
    }
    expect(text()).not.toContain(PASSWORD);
    await expectUnavailable(lock.inspect('leader'));
  });
});

describe.skipIf(!REDIS)('Redis lock on a real Redis', () => {
  const prefix = uniquePrefix('redis');
  const closers: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });
  afterAll(async () => {
    await cleanupPrefix(REDIS!, prefix);
  });

  it("keeps the seed's layout: GET <prefix>:<name> shows the holder; the counter sits beside it", async () => {
    const lock = new RedisLock({ url: REDIS!, prefix });
    const raw = rawRedis(REDIS!);
    closers.push(() => lock.close(), () => raw.quit());
    const g = (await lock.acquire('poller_lock', 300_000))!;
    expect(lock.lockKey('poller_lock')).toBe(`${prefix}:poller_lock`);
    expect(await raw.get(`${prefix}:poller_lock`)).toBe(g.token);
    expect(await raw.get(`${prefix}:poller_lock:fencing`)).toBe(String(g.fencing));
    const pttl = await raw.pttl(`${prefix}:poller_lock`);
    expect(pttl).toBeGreaterThan(290_000);
    expect(pttl).toBeLessThanOrEqual(300_000);
    // The counter outlives the lock: the next grant's number still rises.
    expect(await raw.pttl(`${prefix}:poller_lock:fencing`)).toBe(-1);
    expect(await lock.release(g)).toBe(true);
    expect(await raw.exists(`${prefix}:poller_lock`)).toBe(0);
    expect(await raw.get(`${prefix}:poller_lock:fencing`)).toBe(String(g.fencing));
  });

  it('fails within its timeout when Redis accepts but never answers', async () => {
    const proxy = await TcpProxy.start(REDIS!);
    const lock = new RedisLock({ url: proxy.urlFor(REDIS!), prefix, timeoutMs: 400 });
    closers.push(() => proxy.close(), () => lock.close());
    const g = (await lock.acquire('silent', 5000))!;
    expect(g).not.toBeNull();
    proxy.silence();
    const started = Date.now();
    await expectUnavailable(lock.extend(g, 5000));
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(350);
    expect(took).toBeLessThan(1500);
  });

  it('fails fast while Redis is gone and works again once it is back', async () => {
    const { logger, lines } = captureLogger();
    const proxy = await TcpProxy.start(REDIS!);
    const lock = new RedisLock({ url: proxy.urlFor(REDIS!), prefix, timeoutMs: 1000, logger });
    closers.push(() => proxy.close(), () => lock.close());
    const g = (await lock.acquire('comeback', 10_000))!;
    await proxy.stop();
    const started = Date.now();
    await expectUnavailable(lock.extend(g, 10_000));
    expect(Date.now() - started).toBeLessThan(1200);
    proxy.resume();
    // ioredis reconnects in the background (backoff ≤ 2 s); calls succeed again without a new client.
    let back: Awaited<ReturnType<RedisLock['extend']>> = null;
    const ok = await until(() => back !== null, 8000, async () => {
      back = await lock.extend(g, 10_000).catch(() => null);
    });
    expect(ok).toBe(true);
    expect(back!.fencing).toBe(g.fencing);
    expect(await lock.release(g)).toBe(true);
    const msgs = lines().map((l) => String(l.msg));
    expect(msgs).toContain('Redis lock backend: connection lost');
    expect(msgs).toContain('Redis lock backend: reconnected');
  });

  it('runs a script the server has never seen (EVALSHA answers NOSCRIPT, EVAL follows)', async () => {
    const raw = rawRedis(REDIS!);
    closers.push(() => raw.quit());
    const marker = randomBytes(8).toString('hex');
    const script = luaScript('probe', `-- KEYS: none; ARGV[1]: a value echoed back\nreturn '${marker}:' .. ARGV[1]`, 0);
    expect(await raw.script('EXISTS', script.sha)).toEqual([0]);
    expect(await evalScript(raw, script, [], ['x'])).toBe(`${marker}:x`);
    expect(await raw.script('EXISTS', script.sha)).toEqual([1]);
    expect(await evalScript(raw, script, [], ['y'])).toBe(`${marker}:y`);
  });
});
