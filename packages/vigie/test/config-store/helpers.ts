import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { CONFIG_STORE_UNAVAILABLE, type ConfigBackend } from '../../src/config-store/types.js';
import { VigieError } from '../../src/errors.js';

export { captureLogger } from '../helpers/capture-logger.js';

/** A prefix no other test (or test run) uses. */
export function uniquePrefix(): string {
  return `vigie-test:${randomBytes(6).toString('hex')}:config:`;
}

/** A plain Redis connection for looking behind the backend's back; `cleanup` deletes the prefix's keys and quits. */
export function rawRedis(url: string, prefix: string): { redis: Redis; cleanup: () => Promise<void> } {
  const redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  return {
    redis,
    async cleanup() {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    },
  };
}

/** Polls `check` until it is true; rejects after `timeoutMs` (generous: CI machines are slow). */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A URL where nothing listens (port 1 on loopback refuses at once). */
export const DEAD_REDIS = 'redis://:s3cret-pass-word@127.0.0.1:1';

/** An in-memory backend that can be switched off, for the store's decisions without real I/O. */
export class MemoryBackend implements ConfigBackend {
  readonly kind = 'redis' as const;
  down = false;
  readonly data: Record<string, unknown> = {};
  private readonly listeners = new Set<() => void>();
  closed = false;

  async getAll(): Promise<Record<string, unknown>> {
    this.check();
    return JSON.parse(JSON.stringify(this.data)) as Record<string, unknown>;
  }
  async set(key: string, value: unknown): Promise<void> {
    this.check();
    this.data[key] = JSON.parse(JSON.stringify(value));
    for (const l of this.listeners) l();
  }
  async unset(key: string): Promise<void> {
    this.check();
    delete this.data[key];
    for (const l of this.listeners) l();
  }
  async subscribe(onChange: () => void): Promise<() => void> {
    this.listeners.add(onChange);
    return () => this.listeners.delete(onChange);
  }
  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
  }
  private check(): void {
    if (this.down) throw new VigieError(CONFIG_STORE_UNAVAILABLE, 'Config store call failed: Redis at memory:// (REDIS_URL) is unavailable.', 503);
  }
}
