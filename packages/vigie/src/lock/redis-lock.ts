import { redisReady } from '../util/redis-ready.js';
import { maskUrl, scrub, urlSecrets } from '../observability/secrets.js';
/**
 * The lock on one Redis instance: `SET key token NX PX ttl` with a fencing counter, released and
 * extended by compare-and-delete / compare-and-extend scripts (scripts/*.lua.ts). Every call
 * settles within `timeoutMs`: a Redis that is down or silent is an error, never a wait.
 */
import type { Redis } from 'ioredis';
import { lazyModule } from '../lazy-module.js';
import { VigieError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { withDeadline } from '../util/deadline.js';
import { SCRIPTS, type LuaScript } from './scripts/index.js';
import {
  assertLockName,
  assertTtl,
  conservativeExpiry,
  DEFAULT_LOCK_PREFIX,
  LOCK_BACKEND_UNAVAILABLE,
  newToken,
  systemClock,
  type AcquireOptions,
  type Clock,
  type LockBackend,
  type LockGrant,
  type LockInfo,
} from './types.js';

const ioredis = lazyModule<typeof import('ioredis')>('ioredis');

export interface RedisLockOptions {
  /** redis:// or rediss:// URL (REDIS_URL). */
  url: string;
  /** Key prefix: locks are `<prefix>:<name>`, counters `<prefix>:<name>:fencing`. Default `vigie`. */
  prefix?: string;
  /** Bound on every call, connection included. Default 2000 ms. */
  timeoutMs?: number;
  /** The setting the URL came from, named in errors. Default `REDIS_URL`. */
  urlSetting?: string;
  clock?: Clock;
  logger?: Logger;
}

const DEFAULT_TIMEOUT_MS = 2000;

/** Runs a script by EVALSHA, falling back to EVAL when the server answers NOSCRIPT. */
export async function evalScript(client: Redis, script: LuaScript, keys: string[], args: Array<string | number>): Promise<unknown> {
  try {
    return await client.evalsha(script.sha, script.numberOfKeys, ...keys, ...args);
  } catch (err) {
    if (!/NOSCRIPT/.test(String((err as Error | undefined)?.message))) throw err;
    return await client.eval(script.lua, script.numberOfKeys, ...keys, ...args);
  }
}

/** A `LockBackend` on Redis (one instance; not Redlock). */
export class RedisLock implements LockBackend {
  readonly kind = 'redis' as const;
  private readonly client: Redis;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly where: string;
  private readonly urlSetting: string;
  private readonly secrets: string[];
  private lastError: Error | undefined;
  private wasReady = false;
  private down = false;
  private closed = false;

  constructor(private readonly opts: RedisLockOptions) {
    this.prefix = opts.prefix ?? DEFAULT_LOCK_PREFIX;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.clock = opts.clock ?? systemClock;
    this.where = maskUrl(opts.url);
    this.urlSetting = opts.urlSetting ?? 'REDIS_URL';
    this.secrets = urlSecrets(opts.url);
    this.client = new (ioredis().Redis)(opts.url, {
      connectionName: 'vigie-lock',
      connectTimeout: this.timeoutMs,
      commandTimeout: this.timeoutMs,
      // Fail now rather than queue: a lock answer that comes late is worse than none.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // A lock command resent after a reconnect could act twice without its caller knowing.
      autoResendUnfulfilledCommands: false,
      autoResubscribe: false,
      retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 10), 2000),
      lazyConnect: false,
    });
    this.client.on('error', (err: Error) => {
      this.lastError = err;
    });
    this.client.on('close', () => {
      if (this.closed || !this.wasReady || this.down) return;
      this.down = true;
      this.opts.logger?.warn(
        { lock: 'redis', redis: this.where, err: this.lastError ? this.scrub(this.lastError.message) : undefined },
        'Redis lock backend: connection lost',
      );
    });
    this.client.on('ready', () => {
      if (this.down) this.opts.logger?.info({ lock: 'redis', redis: this.where }, 'Redis lock backend: reconnected');
      this.down = false;
      this.wasReady = true;
      this.lastError = undefined;
    });
  }

  async acquire(key: string, ttlMs: number, opts: AcquireOptions = {}): Promise<LockGrant | null> {
    assertLockName(key);
    assertTtl(ttlMs);
    const token = newToken();
    const startedAt = this.clock.now();
    const fencing = await this.call('acquire', (c) =>
      evalScript(c, SCRIPTS.acquire, [this.lockKey(key), this.fencingKey(key)], [token, ttlMs, Math.max(0, Math.floor(opts.fencingFloor ?? 0))]),
    );
    if (fencing === null || fencing === undefined) return null;
    return { key, token, fencing: Number(fencing), expiresAt: conservativeExpiry(startedAt, ttlMs) };
  }

  async extend(grant: LockGrant, ttlMs: number): Promise<LockGrant | null> {
    assertTtl(ttlMs);
    const startedAt = this.clock.now();
    const ok = await this.call('extend', (c) => evalScript(c, SCRIPTS.extend, [this.lockKey(grant.key)], [grant.token, ttlMs]));
    if (Number(ok) !== 1) return null;
    return { ...grant, expiresAt: conservativeExpiry(startedAt, ttlMs) };
  }

  async release(grant: LockGrant): Promise<boolean> {
    const ok = await this.call('release', (c) => evalScript(c, SCRIPTS.release, [this.lockKey(grant.key)], [grant.token]));
    return Number(ok) === 1;
  }

  async inspect(key: string): Promise<LockInfo> {
    assertLockName(key);
    const reply = await this.call('inspect', (c) => evalScript(c, SCRIPTS.inspect, [this.lockKey(key), this.fencingKey(key)], []));
    const [holder, ttl, fencing] = reply as [string, number, string];
    const held = holder !== '';
    return {
      holder: held ? holder : null,
      // PTTL -1 (no expiry: set by hand) is reported as null, like a free lock's.
      ttlMs: held && Number(ttl) >= 0 ? Number(ttl) : null,
      fencing: fencing === '' ? null : Number(fencing),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.client.status === 'ready') {
      await withDeadline(this.timeoutMs, () => this.client.quit()).catch(() => undefined);
    }
    // Also stops a pending reconnection timer.
    this.client.disconnect();
  }

  /** The Redis key of a lock (as `redis-cli GET` sees it). */
  lockKey(name: string): string {
    return `${this.prefix}:${name}`;
  }

  /** The Redis key of a lock's fencing counter. */
  fencingKey(name: string): string {
    return `${this.prefix}:${name}:fencing`;
  }

  private async call<T>(op: string, fn: (client: Redis) => Promise<T>): Promise<T> {
    if (this.closed) throw this.unavailable(op, new Error('the lock backend is closed'));
    try {
      return await withDeadline(
        this.timeoutMs,
        async (signal) => {
          await this.ready(signal);
          return fn(this.client);
        },
        () => new Error(`no answer within ${this.timeoutMs} ms`),
      );
    } catch (err) {
      if (err instanceof VigieError) throw err;
      throw this.unavailable(op, err);
    }
  }

  /** Resolves once connected; rejects at once when the last attempt failed (no waiting on a dead server). */
  private ready(signal: AbortSignal): Promise<void> {
    return redisReady(this.client, () => this.lastError, signal);
  }

  private unavailable(op: string, err: unknown): VigieError {
    const reason = this.scrub((err as Error | undefined)?.message || String(err));
    return new VigieError(
      LOCK_BACKEND_UNAVAILABLE,
      `Lock ${op} failed: Redis at ${this.where} (${this.urlSetting}) is unavailable: ${reason}. ` +
        `Check that Redis is running and that ${this.urlSetting} points at it.`,
      503,
    );
  }

  private scrub(text: string): string {
    return scrub(text, this.secrets);
  }
}

/** A Redis lock backend (connects at once, in the background). */
export function createRedisLock(opts: RedisLockOptions): RedisLock {
  return new RedisLock(opts);
}
