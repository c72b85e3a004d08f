// One conformance suite for every config store backend (Redis, file): what the store relies on.
// "Another process's view" is a second backend instance over the same Redis prefix or data
// folder, with its own connections and watchers.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileBackend, RUNTIME_CONFIG_FILE } from '../../src/config-store/file-backend.js';
import { createRedisBackend } from '../../src/config-store/redis-backend.js';
import { CONFIG_STORE_CORRUPT, CONFIG_STORE_UNAVAILABLE, type ConfigBackend } from '../../src/config-store/types.js';
import { VigieError } from '../../src/errors.js';
import { redisUrl } from '../helpers/services.js';
import { tempDir } from '../helpers/vigie-process.js';
import { DEAD_REDIS, rawRedis, uniquePrefix, waitFor } from './helpers.js';

const REDIS = await redisUrl();

interface Harness {
  /** Two instances over the same storage, as two processes would have. */
  one: ConfigBackend;
  other: ConfigBackend;
  cleanup(): Promise<void>;
}

interface Factory {
  name: string;
  skip: boolean;
  make(): Promise<Harness>;
}

const factories: Factory[] = [
  {
    name: 'file',
    skip: false,
    async make() {
      const dir = tempDir('vigie-config-store-');
      const one = createFileBackend({ dataDir: dir.path, watchIntervalMs: 50 });
      const other = createFileBackend({ dataDir: dir.path, watchIntervalMs: 50 });
      return {
        one,
        other,
        async cleanup() {
          await Promise.all([one.close(), other.close()]);
          dir.cleanup();
        },
      };
    },
  },
  {
    name: 'redis',
    skip: !REDIS,
    async make() {
      const prefix = uniquePrefix();
      const raw = rawRedis(REDIS!, prefix);
      const one = createRedisBackend({ url: REDIS!, prefix });
      const other = createRedisBackend({ url: REDIS!, prefix });
      return {
        one,
        other,
        async cleanup() {
          await Promise.all([one.close(), other.close()]);
          await raw.cleanup();
        },
      };
    },
  },
];

for (const f of factories) {
  describe.skipIf(f.skip)(`config backend conformance: ${f.name}`, () => {
    let h: Harness | undefined;
    const open = async () => (h = await f.make());
    afterEach(async () => {
      await h?.cleanup();
      h = undefined;
    });

    it('starts empty', async () => {
      const { one } = await open();
      expect(await one.getAll()).toEqual({});
    });

    it('set, read back, unset', async () => {
      const { one, other } = await open();
      await one.set('maxRetries', 5);
      await one.set('lbStrategy', 'p2c-ewma');
      expect(await one.getAll()).toEqual({ maxRetries: 5, lbStrategy: 'p2c-ewma' });
      // Another instance reads the same storage.
      expect(await other.getAll()).toEqual({ maxRetries: 5, lbStrategy: 'p2c-ewma' });
      await one.set('maxRetries', 6);
      expect((await other.getAll()).maxRetries).toBe(6);
      await other.unset('maxRetries');
      expect(await one.getAll()).toEqual({ lbStrategy: 'p2c-ewma' });
      // Removing what is not there is not an error.
      await one.unset('maxRetries');
      expect(await one.getAll()).toEqual({ lbStrategy: 'p2c-ewma' });
    });

    it('round-trips numbers, booleans (false too), lists (empty too) and text that looks like a number', async () => {
      const { one, other } = await open();
      const values: Record<string, unknown> = {
        healthCheckIntervalMs: 120_000,
        enableFailover: false,
        failoverRegions: ['cdg', 'iad'],
        failoverApps: [],
        telegramChatId: '-100123456',
        logLevel: 'debug',
      };
      for (const [k, v] of Object.entries(values)) await one.set(k, v);
      const read = await other.getAll();
      expect(read).toEqual(values);
      expect(typeof read.telegramChatId).toBe('string');
      expect(read.enableFailover).toBe(false);
    });

    it('keeps writes of one instance that come at once (no lost update)', async () => {
      const { one } = await open();
      await Promise.all([one.set('maxRetries', 4), one.set('lbStrategy', 'least-used'), one.set('enableFailover', true)]);
      expect(await one.getAll()).toEqual({ maxRetries: 4, lbStrategy: 'least-used', enableFailover: true });
    });

    it('tells a subscriber of another instance about a set and an unset', async () => {
      const { one, other } = await open();
      let calls = 0;
      const stop = await other.subscribe(() => calls++);
      await one.set('lbStrategy', 'round-robin');
      await waitFor(() => calls >= 1, 10_000, 'change notification after set');
      expect((await other.getAll()).lbStrategy).toBe('round-robin');
      const afterSet = calls;
      await one.unset('lbStrategy');
      await waitFor(() => calls > afterSet, 10_000, 'change notification after unset');
      expect(await other.getAll()).toEqual({});

      stop();
      const afterStop = calls;
      await one.set('lbStrategy', 'random');
      await new Promise((r) => setTimeout(r, 600));
      expect(calls).toBe(afterStop);
    });

    it('refuses calls once closed, with CONFIG_STORE_UNAVAILABLE', async () => {
      const { one } = await open();
      await one.close();
      await expect(one.getAll()).rejects.toMatchObject({ code: CONFIG_STORE_UNAVAILABLE });
      await expect(one.set('maxRetries', 2)).rejects.toMatchObject({ code: CONFIG_STORE_UNAVAILABLE });
    });
  });
}

describe.skipIf(!REDIS)('redis backend specifics', () => {
  it('keeps one JSON-encoded hash <prefix>settings, and reads text set by hand as text', async () => {
    const prefix = uniquePrefix();
    const raw = rawRedis(REDIS!, prefix);
    const backend = createRedisBackend({ url: REDIS!, prefix });
    try {
      await backend.set('maxRetries', 5);
      await backend.set('failoverRegions', ['cdg']);
      expect(await raw.redis.hgetall(`${prefix}settings`)).toEqual({ maxRetries: '5', failoverRegions: '["cdg"]' });
      await raw.redis.hset(`${prefix}settings`, 'lbStrategy', 'p2c-ewma');
      expect((await backend.getAll()).lbStrategy).toBe('p2c-ewma');
    } finally {
      await backend.close();
      await raw.cleanup();
    }
  });

  it('announces a change on <prefix>changed', async () => {
    const prefix = uniquePrefix();
    const raw = rawRedis(REDIS!, prefix);
    const sub = raw.redis.duplicate();
    const backend = createRedisBackend({ url: REDIS!, prefix });
    try {
      const messages: string[] = [];
      sub.on('message', (_c: string, m: string) => messages.push(m));
      await sub.subscribe(`${prefix}changed`);
      await backend.set('maxRetries', 2);
      await waitFor(() => messages.length === 1, 10_000, 'published message');
      expect(JSON.parse(messages[0]!)).toEqual({ op: 'set', key: 'maxRetries' });
    } finally {
      await sub.quit();
      await backend.close();
      await raw.cleanup();
    }
  });
});

describe('redis backend without a server', () => {
  it('fails within its bound with CONFIG_STORE_UNAVAILABLE naming REDIS_URL, never its password', async () => {
    const backend = createRedisBackend({ url: DEAD_REDIS, timeoutMs: 1000 });
    try {
      const started = Date.now();
      const err = (await backend.getAll().catch((e: unknown) => e)) as VigieError;
      expect(Date.now() - started).toBeLessThan(5000);
      expect(err).toBeInstanceOf(VigieError);
      expect(err.code).toBe(CONFIG_STORE_UNAVAILABLE);
      expect(err.message).toContain('REDIS_URL');
      expect(err.message).toContain('127.0.0.1:1');
      expect(err.message).not.toContain('s3cret-pass-word');
      await expect(backend.set('maxRetries', 2)).rejects.toMatchObject({ code: CONFIG_STORE_UNAVAILABLE });
      // Subscribing still resolves (the feed starts once Redis answers) and its stop works.
      const stop = await backend.subscribe(() => undefined);
      stop();
    } finally {
      await backend.close();
    }
  });
});

describe('file backend specifics', () => {
  it('writes <dataDir>/runtime-config.json whole, leaving no temp file', async () => {
    const dir = tempDir('vigie-config-store-');
    const backend = createFileBackend({ dataDir: join(dir.path, 'nested') });
    try {
      await backend.set('maxRetries', 5);
      await backend.set('lbStrategy', 'least-used');
      const path = join(dir.path, 'nested', RUNTIME_CONFIG_FILE);
      expect(backend.path).toBe(path);
      const content = JSON.parse(readFileSync(path, 'utf8')) as { settings: unknown };
      expect(content.settings).toEqual({ maxRetries: 5, lbStrategy: 'least-used' });
      expect(readdirSync(join(dir.path, 'nested'))).toEqual([RUNTIME_CONFIG_FILE]);
    } finally {
      await backend.close();
      dir.cleanup();
    }
  });

  it('says which file is corrupt and how to recover, and replace() repairs it', async () => {
    const dir = tempDir('vigie-config-store-');
    const backend = createFileBackend({ dataDir: dir.path });
    try {
      const path = join(dir.path, RUNTIME_CONFIG_FILE);
      writeFileSync(path, '{ not json');
      const err = (await backend.getAll().catch((e: unknown) => e)) as VigieError;
      expect(err.code).toBe(CONFIG_STORE_CORRUPT);
      expect(err.message).toContain(path);
      expect(await backend.replace({ maxRetries: 4 })).toBe(true);
      expect(await backend.getAll()).toEqual({ maxRetries: 4 });
      // Same content: the file is left alone (watchers are not woken for nothing).
      expect(await backend.replace({ maxRetries: 4 })).toBe(false);
      expect(existsSync(path)).toBe(true);
    } finally {
      await backend.close();
      dir.cleanup();
    }
  });
});
