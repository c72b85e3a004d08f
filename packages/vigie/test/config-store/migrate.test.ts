import { afterEach, describe, expect, it } from 'vitest';
import { createFileBackend } from '../../src/config-store/file-backend.js';
import { migrateToRedis, REDIS_REQUIRED, verifyInRedis, type MigrateOptions } from '../../src/config-store/migrate.js';
import { createRedisBackend } from '../../src/config-store/redis-backend.js';
import { redisUrl } from '../helpers/services.js';
import { tempDir } from '../helpers/vigie-process.js';
import { DEAD_REDIS, rawRedis, uniquePrefix } from './helpers.js';

const REDIS = await redisUrl();

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A file store holding `fileSettings`, an empty Redis prefix, and a raw connection to look at it. */
async function setup(fileSettings: Record<string, unknown>) {
  const dir = tempDir('vigie-config-migrate-');
  cleanups.push(dir.cleanup);
  const file = createFileBackend({ dataDir: dir.path });
  cleanups.push(() => file.close());
  await file.replace(fileSettings);
  const prefix = uniquePrefix();
  const raw = rawRedis(REDIS!, prefix);
  cleanups.push(raw.cleanup);
  const redis = createRedisBackend({ url: REDIS!, prefix });
  cleanups.push(() => redis.close());
  const hash = `${prefix}settings`;
  return { file, redis, raw: raw.redis, hash };
}

const CONFIG = { lbStrategy: 'random', maxRetries: 3, healthCheckIntervalMs: 60_000, enableFailover: false };

describe.skipIf(!REDIS)('config migrate to Redis', () => {
  it('copies the file store and the non-default static config, and verifies them', async () => {
    const { file, redis, raw, hash } = await setup({ lbStrategy: 'p2c-ewma', failoverRegions: ['ams'] });
    const report = await migrateToRedis({
      file, redis, mode: 'redis_first', verify: true,
      // healthCheckIntervalMs differs from its default: copied; maxRetries is the default: not.
      config: { ...CONFIG, lbStrategy: 'least-used', healthCheckIntervalMs: 120_000 },
    });
    expect(report.redis).toBe('written');
    expect(report.copied).toEqual([
      { key: 'lbStrategy', value: 'p2c-ewma', from: 'file' },
      { key: 'failoverRegions', value: ['ams'], from: 'file' },
      { key: 'healthCheckIntervalMs', value: 120_000, from: 'config' },
    ]);
    expect(report.verified).toBe(true);
    expect(report.mismatches).toEqual([]);
    expect(report.ok).toBe(true);
    expect(await raw.hgetall(hash)).toEqual({ lbStrategy: '"p2c-ewma"', failoverRegions: '["ams"]', healthCheckIntervalMs: '120000' });

    // A second run has nothing left to copy and still verifies.
    const again = await migrateToRedis({ file, redis, mode: 'redis_first', verify: true, config: { ...CONFIG, healthCheckIntervalMs: 120_000 } });
    expect(again.copied).toEqual([]);
    expect(again.skipped.map((s) => s.reason)).toEqual(Array(3).fill('already in Redis with this value'));
    expect(again.ok).toBe(true);
  });

  it('never overwrites a run-time value in Redis with the static config; the file wins only in file_first', async () => {
    const { file, redis, raw, hash } = await setup({ maxRetries: 5 });
    await raw.hset(hash, 'maxRetries', '9', 'lbStrategy', '"round-robin"');
    const config = { ...CONFIG, lbStrategy: 'least-used' };

    const redisFirst = await migrateToRedis({ file, redis, mode: 'redis_first', config, verify: true });
    expect(redisFirst.copied).toEqual([]);
    expect(redisFirst.skipped.map((s) => s.key).sort()).toEqual(['lbStrategy', 'maxRetries']);
    expect(await raw.hgetall(hash)).toEqual({ maxRetries: '9', lbStrategy: '"round-robin"' });

    const fileFirst = await migrateToRedis({ file, redis, mode: 'file_first', config, verify: true });
    expect(fileFirst.copied).toEqual([{ key: 'maxRetries', value: 5, from: 'file' }]);
    expect(await raw.hgetall(hash)).toEqual({ maxRetries: '5', lbStrategy: '"round-robin"' });
    expect(fileFirst.ok).toBe(true);
  });

  it('skips invalid file values with the reason, falling back to the static config for that key', async () => {
    const { file, redis, raw, hash } = await setup({ maxRetries: 'lots', bogus: 1 });
    const report = await migrateToRedis({ file, redis, mode: 'redis_first', config: { ...CONFIG, maxRetries: 4 } });
    expect(report.copied).toEqual([{ key: 'maxRetries', value: 4, from: 'config' }]);
    expect(report.skipped).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: 'bogus', reason: 'not a run-time setting' }),
        expect.objectContaining({ key: 'maxRetries', reason: expect.stringContaining('integer 1–20') }),
      ]),
    );
    expect(await raw.hget(hash, 'maxRetries')).toBe('4');
    expect(report.verified).toBe(false);
  });

  it('--verify reports a value that Redis does not hold after the copy', async () => {
    const { file, redis, raw, hash } = await setup({ lbStrategy: 'p2c-ewma', maxRetries: 5 });
    const report = await migrateToRedis({
      file, redis, mode: 'redis_first', config: CONFIG, verify: true,
      beforeVerify: async () => {
        await raw.hset(hash, 'lbStrategy', '"random"');
        await raw.hdel(hash, 'maxRetries');
      },
    });
    expect(report.ok).toBe(false);
    expect(report.mismatches).toEqual([
      { key: 'lbStrategy', expected: 'p2c-ewma', actual: 'random' },
      { key: 'maxRetries', expected: 5, actual: undefined },
    ]);
  });

  it('verifyInRedis compares every expected value', async () => {
    const { redis, raw, hash } = await setup({});
    await raw.hset(hash, 'failoverRegions', '["cdg","iad"]', 'enableFailover', 'false');
    expect(await verifyInRedis(redis, { failoverRegions: ['cdg', 'iad'], enableFailover: false })).toEqual([]);
    expect(await verifyInRedis(redis, { failoverRegions: ['iad', 'cdg'], enableFailover: true })).toEqual([
      { key: 'failoverRegions', expected: ['iad', 'cdg'], actual: ['cdg', 'iad'] },
      { key: 'enableFailover', expected: true, actual: false },
    ]);
  });
});

describe('config migrate without Redis', () => {
  async function fileOnly() {
    const dir = tempDir('vigie-config-migrate-');
    cleanups.push(dir.cleanup);
    const file = createFileBackend({ dataDir: dir.path });
    cleanups.push(() => file.close());
    await file.replace({ lbStrategy: 'p2c-ewma' });
    return file;
  }

  it('--require-redis fails with REDIS_REQUIRED when REDIS_URL is unset', async () => {
    const file = await fileOnly();
    const err = await migrateToRedis({ file, redis: undefined, mode: 'redis_first', config: CONFIG, requireRedis: true }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: REDIS_REQUIRED, httpStatus: 400 });
    expect((err as Error).message).toContain('REDIS_URL');
  });

  it('--require-redis fails with REDIS_REQUIRED when Redis does not answer, without showing its password', async () => {
    const file = await fileOnly();
    const redis = createRedisBackend({ url: DEAD_REDIS, timeoutMs: 1000 });
    cleanups.push(() => redis.close());
    const opts: MigrateOptions = { file, redis, mode: 'redis_first', config: CONFIG, requireRedis: true, verify: true };
    const err = await migrateToRedis(opts).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: REDIS_REQUIRED });
    expect((err as Error).message).not.toContain('s3cret-pass-word');
  });

  it('without --require-redis, does nothing and says why', async () => {
    const file = await fileOnly();
    const unset = await migrateToRedis({ file, redis: undefined, mode: 'redis_first', config: CONFIG });
    expect(unset.redis).toBe('not configured');
    expect(unset.copied).toEqual([]);
    expect(unset.skipped).toEqual([{ key: 'lbStrategy', from: 'file', reason: 'REDIS_URL is not set' }]);

    const redis = createRedisBackend({ url: DEAD_REDIS, timeoutMs: 1000 });
    cleanups.push(() => redis.close());
    const down = await migrateToRedis({ file, redis, mode: 'redis_first', config: CONFIG });
    expect(down.redis).toBe('unavailable');
    expect(down.copied).toEqual([]);
  });
});
