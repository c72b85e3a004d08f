import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileBackend, RUNTIME_CONFIG_FILE } from '../../src/config-store/file-backend.js';
import type { RuntimeKey, RuntimeSettings } from '../../src/config-store/runtime-keys.js';
import { createConfigStore, type ConfigStore, type ConfigStoreOptions } from '../../src/config-store/store.js';
import { CONFIG_STORE_UNAVAILABLE } from '../../src/config-store/types.js';
import { ConfigError, VigieError } from '../../src/errors.js';
import { redisUrl } from '../helpers/services.js';
import { tempDir } from '../helpers/vigie-process.js';
import { captureLogger, DEAD_REDIS, MemoryBackend, rawRedis, uniquePrefix, waitFor } from './helpers.js';

const REDIS = await redisUrl();

const BASE = { lbStrategy: 'random', maxRetries: 3, requestDelayMinMs: 12_000, requestDelayMaxMs: 25_000 };

/** Tracks what a test opens, so that every store, folder and Redis key is cleaned up. */
const opened: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of opened.splice(0).reverse()) await close();
});

function dataDir(): string {
  const d = tempDir('vigie-config-store-');
  opened.push(d.cleanup);
  return d.path;
}

async function open(opts: Partial<ConfigStoreOptions> & { dataDir: string }) {
  const log = captureLogger();
  const store = await createConfigStore({
    mode: 'redis_first',
    prefix: 'unused:',
    logger: log.logger,
    base: BASE,
    watchIntervalMs: 50,
    ...opts,
  });
  opened.push(() => store.close());
  return { store, log };
}

function prefix(): string {
  const p = uniquePrefix();
  if (REDIS) {
    const raw = rawRedis(REDIS, p);
    opened.push(raw.cleanup);
  }
  return p;
}

async function setError(store: ConfigStore, key: string, value: unknown): Promise<VigieError> {
  const err = await store.set(key, value).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VigieError);
  return err as VigieError;
}

describe('config store: validation', () => {
  it('stores a valid value typed, by camelCase key or env name', async () => {
    const { store } = await open({ dataDir: dataDir() });
    expect(await store.set('maxRetries', '5')).toBe(5);
    expect(await store.set('LB_STRATEGY', 'least-used')).toBe('least-used');
    expect(await store.set('failoverRegions', 'cdg,lhr')).toEqual(['cdg', 'lhr']);
    expect(await store.all()).toEqual({ maxRetries: 5, lbStrategy: 'least-used', failoverRegions: ['cdg', 'lhr'] });
    expect(await store.get('maxRetries')).toBe(5);
    expect(store.effective().maxRetries).toBe(5);
    expect(store.effective().workerBanDurationMs).toBeUndefined();
  });

  it('refuses a bad value naming the key, the value and what is allowed, and stores nothing', async () => {
    const { store } = await open({ dataDir: dataDir() });
    const err = await setError(store, 'maxRetries', 'lots');
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain('maxRetries');
    expect(err.message).toContain('lots');
    expect(err.message).toContain('Allowed: integer 1–20');
    expect(await store.all()).toEqual({});
  });

  it('refuses a secret, an unknown key and a start-up-only setting', async () => {
    const { store } = await open({ dataDir: dataDir() });
    expect((await setError(store, 'apiKey', 'k-123456')).message).toMatch(/apiKey.*secret/);
    expect((await setError(store, 'TELEGRAM_BOT_TOKEN', 'x')).message).toMatch(/telegramBotToken.*secret/);
    expect((await setError(store, 'notASetting', 1)).message).toContain('Unknown setting "notASetting"');
    expect((await setError(store, 'dataDir', '/tmp')).message).toContain('cannot change at run time');
    await expect(store.unset('apiKey')).rejects.toBeInstanceOf(ConfigError);
    await expect(store.get('nope' as RuntimeKey)).rejects.toBeInstanceOf(ConfigError);
    expect(await store.all()).toEqual({});
  });

  it('refuses request delays that cross, given the static config', async () => {
    const { store } = await open({ dataDir: dataDir() });
    const err = await setError(store, 'requestDelayMinMs', 30_000);
    expect(err.message).toContain('requestDelayMinMs (30000) is above requestDelayMaxMs (25000)');
    await store.set('requestDelayMaxMs', 40_000);
    await store.set('requestDelayMinMs', 30_000);
    // Unsetting the max would bring back 25000, below the stored min.
    await expect(store.unset('requestDelayMaxMs')).rejects.toThrow(/above requestDelayMaxMs/);
    expect(await store.all()).toEqual({ requestDelayMinMs: 30_000, requestDelayMaxMs: 40_000 });
  });

  it('ignores an invalid stored value with one warning, never failing the read', async () => {
    const dir = dataDir();
    const file = createFileBackend({ dataDir: dir });
    opened.push(() => file.close());
    await file.replace({ maxRetries: 'lots', lbStrategy: 'p2c-ewma', bogus: 1, apiKey: 'leaked?' });
    const { store, log } = await open({ dataDir: dir });
    expect(await store.all()).toEqual({ lbStrategy: 'p2c-ewma' });
    expect(await store.all()).toEqual({ lbStrategy: 'p2c-ewma' });
    const warnings = log.lines().filter((l) => l.level === 40).map((l) => String(l.msg));
    expect(warnings.filter((m) => m.includes('maxRetries'))).toHaveLength(1);
    expect(warnings.some((m) => m.includes('"bogus" is not a run-time setting'))).toBe(true);
    expect(warnings.some((m) => m.includes('"apiKey" is not a run-time setting'))).toBe(true);
    expect(log.text()).not.toContain('leaked?');
  });
});

describe('config store: on one host, without Redis', () => {
  for (const mode of ['redis_first', 'file_first'] as const) {
    it(`${mode}: uses the file, says once that settings are local, and another store on the host sees changes live`, async () => {
      const dir = dataDir();
      const a = await open({ dataDir: dir, mode });
      const b = await open({ dataDir: dir, mode });
      const seen: Array<{ settings: RuntimeSettings; changed: RuntimeKey[] }> = [];
      b.store.onChange((settings, changed) => seen.push({ settings, changed }));

      await a.store.set('lbStrategy', 'p2c-ewma');
      expect(a.store.source()).toBe('file');
      expect(JSON.parse(readFileSync(join(dir, RUNTIME_CONFIG_FILE), 'utf8')).settings).toEqual({ lbStrategy: 'p2c-ewma' });
      await waitFor(() => seen.length >= 1, 10_000, 'change seen by the other store');
      expect(seen[0]).toEqual({ settings: { lbStrategy: 'p2c-ewma' }, changed: ['lbStrategy'] });
      expect(b.store.current()).toEqual({ lbStrategy: 'p2c-ewma' });
      expect(b.store.effective().lbStrategy).toBe('p2c-ewma');

      await a.store.unset('lbStrategy');
      await waitFor(() => seen.length >= 2, 10_000, 'unset seen by the other store');
      expect(seen[1]).toEqual({ settings: {}, changed: ['lbStrategy'] });
      expect(b.store.effective().lbStrategy).toBe('random');

      const local = a.log.lines().filter((l) => String(l.msg).includes('local to this host'));
      expect(local).toHaveLength(1);
    });
  }

  it('stops telling a listener once it unsubscribes, and after close', async () => {
    const dir = dataDir();
    const a = await open({ dataDir: dir, mode: 'file_first' });
    const b = await open({ dataDir: dir, mode: 'file_first' });
    let calls = 0;
    const off = b.store.onChange(() => calls++);
    await a.store.set('maxRetries', 4);
    await waitFor(() => calls === 1);
    off();
    await a.store.set('maxRetries', 5);
    await waitFor(() => b.store.current().maxRetries === 5);
    expect(calls).toBe(1);
    await b.store.close();
    await expect(b.store.set('maxRetries', 6)).rejects.toMatchObject({ code: CONFIG_STORE_UNAVAILABLE });
  });

  it('a listener that throws does not stop the others', async () => {
    const { store, log } = await open({ dataDir: dataDir() });
    let called = false;
    store.onChange(() => {
      throw new Error('listener bug');
    });
    store.onChange(() => (called = true));
    await store.set('maxRetries', 4);
    expect(called).toBe(true);
    expect(log.text()).toContain('listener bug');
  });
});

describe('config store: redis_first falling back and recovering (in-memory Redis stand-in)', () => {
  it('reads the file copy with one WARNING while Redis is down, refuses writes, and returns to Redis', async () => {
    const dir = dataDir();
    const redis = new MemoryBackend();
    const { store, log } = await open({ dataDir: dir, redisUrl: 'redis://stand-in', backends: { redis } });
    await store.set('maxRetries', 6);
    expect(store.source()).toBe('redis');

    redis.down = true;
    expect(await store.all()).toEqual({ maxRetries: 6 });
    expect(await store.all()).toEqual({ maxRetries: 6 });
    expect(store.source()).toBe('file');
    expect(log.lines().filter((l) => String(l.msg).includes('Redis is unreachable'))).toHaveLength(1);
    const err = await setError(store, 'maxRetries', 7);
    expect(err.code).toBe(CONFIG_STORE_UNAVAILABLE);
    expect(err.message).toContain('file_first');

    redis.down = false;
    redis.data.maxRetries = 8;
    expect(await store.all()).toEqual({ maxRetries: 8 });
    expect(store.source()).toBe('redis');
    expect(log.text()).toContain('Redis answers again');
    // The copy follows Redis again.
    expect(JSON.parse(readFileSync(join(dir, RUNTIME_CONFIG_FILE), 'utf8')).settings).toEqual({ maxRetries: 8 });
  });

  it('re-reads periodically, so a lost announcement is caught up', async () => {
    const redis = new MemoryBackend();
    const { store } = await open({ dataDir: dataDir(), redisUrl: 'redis://stand-in', backends: { redis }, refreshIntervalMs: 100 });
    redis.data.lbStrategy = 'health-based'; // written behind the store's back, no announcement
    await waitFor(() => store.current().lbStrategy === 'health-based', 10_000, 'periodic re-read');
  });

  it('starts (static config applies) even when neither Redis nor the file can be read', async () => {
    const redis = new MemoryBackend();
    redis.down = true;
    const dir = dataDir();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, RUNTIME_CONFIG_FILE), 'garbage');
    const { store, log } = await open({ dataDir: dir, redisUrl: 'redis://stand-in', backends: { redis } });
    expect(store.current()).toEqual({});
    expect(store.effective().lbStrategy).toBe('random');
    expect(log.text()).toContain('the static config applies');
    await expect(store.all()).rejects.toMatchObject({ code: CONFIG_STORE_UNAVAILABLE });
  });
});

describe.skipIf(!REDIS)('config store on Redis', () => {
  it('redis_first: a change reaches a store of another process live, through Redis', async () => {
    const p = prefix();
    const a = await open({ dataDir: dataDir(), redisUrl: REDIS, prefix: p });
    const b = await open({ dataDir: dataDir(), redisUrl: REDIS, prefix: p });
    const seen: RuntimeKey[][] = [];
    b.store.onChange((_s, changed) => seen.push(changed));
    await a.store.set('alertCheckIntervalMs', '120000');
    await waitFor(() => seen.length === 1, 10_000, 'change through Redis');
    expect(seen[0]).toEqual(['alertCheckIntervalMs']);
    expect(b.store.current()).toEqual({ alertCheckIntervalMs: 120_000 });
    expect(b.store.source()).toBe('redis');
  });

  it('redis_first: a store that cannot reach Redis reads the file copy the first one kept in sync', async () => {
    const p = prefix();
    const dir = dataDir();
    const first = await open({ dataDir: dir, redisUrl: REDIS, prefix: p });
    await first.store.set('lbStrategy', 'p2c-ewma');
    await first.store.set('failoverRegions', 'ams,fra');
    await first.store.close();

    const cut = await open({ dataDir: dir, redisUrl: DEAD_REDIS, prefix: p, timeoutMs: 1000 });
    expect(await cut.store.all()).toEqual({ lbStrategy: 'p2c-ewma', failoverRegions: ['ams', 'fra'] });
    expect(cut.store.source()).toBe('file');
    const warning = cut.log.lines().find((l) => String(l.msg).includes('Redis is unreachable'));
    expect(warning?.level).toBe(40);
    expect(cut.log.text()).not.toContain('s3cret-pass-word');

    const err = await setError(cut.store, 'lbStrategy', 'random');
    expect(err.code).toBe(CONFIG_STORE_UNAVAILABLE);
    expect(err.message).toContain('REDIS_URL');
    expect(err.message).not.toContain('s3cret-pass-word');
    // The refused write did not touch the copy.
    expect(JSON.parse(readFileSync(join(dir, RUNTIME_CONFIG_FILE), 'utf8')).settings.lbStrategy).toBe('p2c-ewma');
  });

  it('file_first: the file is the reference and Redis gets a copy of each write', async () => {
    const p = prefix();
    const dir = dataDir();
    const raw = rawRedis(REDIS!, p);
    opened.push(() => raw.redis.quit().then(() => undefined));
    const { store } = await open({ dataDir: dir, redisUrl: REDIS, prefix: p, mode: 'file_first' });
    await store.set('maxRetries', 7);
    expect(store.source()).toBe('file');
    expect(JSON.parse(readFileSync(join(dir, RUNTIME_CONFIG_FILE), 'utf8')).settings).toEqual({ maxRetries: 7 });
    expect(await raw.redis.hget(`${p}settings`, 'maxRetries')).toBe('7');
    // Redis is not read in file_first: a value there alone does not count.
    await raw.redis.hset(`${p}settings`, 'lbStrategy', '"least-used"');
    expect(await store.all()).toEqual({ maxRetries: 7 });
    await store.unset('maxRetries');
    expect(await raw.redis.hexists(`${p}settings`, 'maxRetries')).toBe(0);
  });

  it('file_first: a Redis copy that fails is a WARNING, the change is kept', async () => {
    const dir = dataDir();
    const { store, log } = await open({ dataDir: dir, redisUrl: DEAD_REDIS, mode: 'file_first', timeoutMs: 1000 });
    await store.set('maxRetries', 9);
    expect(await store.all()).toEqual({ maxRetries: 9 });
    const warning = log.lines().find((l) => String(l.msg).includes('copy to Redis failed'));
    expect(warning?.level).toBe(40);
    expect(log.text()).not.toContain('s3cret-pass-word');
  });
});
