import { redisReady } from '../util/redis-ready.js';
import { maskUrl, scrub, urlSecrets } from '../observability/secrets.js';
/**
 * Run-time settings in one Redis hash, `<prefix>settings` (values JSON-encoded, so
 * `redis-cli HGETALL vigie:config:settings` shows them), shared by every coordinator. A change is
 * published on `<prefix>changed`; every subscriber then re-reads the hash. The message is only
 * a wake-up call (pub/sub may drop it), so the store also re-reads now and then.
 *
 * Every call settles within `timeoutMs`: a Redis that is down or silent is an error at once,
 * never a wait, and the error names REDIS_URL without its password.
 */
import type { Redis, RedisOptions } from 'ioredis';
import { lazyModule } from '../lazy-module.js';
import { VigieError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { withDeadline } from '../util/deadline.js';
import { CONFIG_STORE_UNAVAILABLE, decodeValue, type ConfigBackend } from './types.js';

const ioredis = lazyModule<typeof import('ioredis')>('ioredis');

/** Default key prefix (CONFIG_STORE_REDIS_PREFIX). */
export const DEFAULT_CONFIG_PREFIX = 'vigie:config:';

export interface RedisBackendOptions {
  /** redis:// or rediss:// URL (REDIS_URL). */
  url: string;
  /** Key prefix (CONFIG_STORE_REDIS_PREFIX): the hash is `<prefix>settings`, the channel `<prefix>changed`. */
  prefix?: string;
  /** Bound on every call, connection included. Default 2000 ms. */
  timeoutMs?: number;
  logger?: Logger;
}

const DEFAULT_TIMEOUT_MS = 2000;

/** A `ConfigBackend` on Redis: one hash, one pub/sub channel. */
export class RedisConfigBackend implements ConfigBackend {
  readonly kind = 'redis' as const;
  /** The hash holding the settings. */
  readonly hashKey: string;
  /** The channel a change is announced on. */
  readonly channel: string;
  /** REDIS_URL with its password masked, for messages. */
  readonly where: string;
  private readonly timeoutMs: number;
  private readonly secrets: string[];
  private readonly client: Redis;
  private readonly subscribers = new Set<Redis>();
  private lastError: Error | undefined;
  private closed = false;

  constructor(private readonly opts: RedisBackendOptions) {
    const prefix = opts.prefix ?? DEFAULT_CONFIG_PREFIX;
    this.hashKey = `${prefix}settings`;
    this.channel = `${prefix}changed`;
    this.where = maskUrl(opts.url);
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.secrets = urlSecrets(opts.url);
    this.client = new (ioredis().Redis)(opts.url, this.clientOptions('vigie-config'));
    this.client.on('error', (err: Error) => {
      this.lastError = err;
    });
    this.client.on('ready', () => {
      this.lastError = undefined;
    });
  }

  async getAll(): Promise<Record<string, unknown>> {
    const raw = await this.call('read', (c) => c.hgetall(this.hashKey));
    const out: Record<string, unknown> = {};
    for (const [key, text] of Object.entries(raw)) out[key] = decodeValue(text);
    return out;
  }

  async set(key: string, value: unknown): Promise<void> {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`config store: ${key} has no JSON form`);
    await this.call('write', (c) => c.multi().hset(this.hashKey, key, text).publish(this.channel, JSON.stringify({ op: 'set', key })).exec().then(checkExec));
  }

  async unset(key: string): Promise<void> {
    await this.call('write', (c) => c.multi().hdel(this.hashKey, key).publish(this.channel, JSON.stringify({ op: 'unset', key })).exec().then(checkExec));
  }

  /**
   * Subscribes on a connection of its own (a subscribed connection can do nothing else). It keeps
   * reconnecting while Redis is away and resubscribes by itself; each reconnection also calls
   * `onChange`, since changes made meanwhile were announced to nobody. When Redis is down now,
   * this still resolves (after the timeout) and the subscription starts once Redis is back.
   */
  async subscribe(onChange: () => void): Promise<() => void> {
    if (this.closed) throw this.unavailable('subscribe', new Error('the backend is closed'));
    const sub = new (ioredis().Redis)(this.opts.url, {
      ...this.clientOptions('vigie-config-sub'),
      // The SUBSCRIBE waits for the connection instead of failing, and is replayed after a drop.
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      // Resubscribed by the 'ready' handler below, which must know when it is done.
      autoResubscribe: false,
      commandTimeout: undefined,
    });
    this.subscribers.add(sub);
    let subscribed = false;
    let live = false;
    let interrupted = false;
    let stopping = false;
    // Failures are reported once per outage, on the drop of a live connection (a server that
    // stops cleanly emits no error); the reconnection attempts' errors are expected meanwhile.
    sub.on('error', () => undefined);
    sub.on('close', () => {
      if (live && !stopping && !this.closed) {
        this.opts.logger?.warn({ redis: this.where }, 'config store: change feed from Redis interrupted; reconnecting');
        interrupted = true;
      }
      live = false;
    });
    sub.on('ready', () => {
      if (interrupted) this.opts.logger?.info({ redis: this.where }, 'config store: change feed from Redis restored');
      interrupted = false;
      live = true;
      if (!subscribed) return;
      // Changes made while the feed was down were announced to nobody, so re-read; but only once
      // the channel is subscribed again (a change announced after the re-read then reaches us)
      // and the command connection, which the re-read goes through, is back too: it reconnects
      // on its own schedule and a read sent before would fail with nothing to retry it.
      sub
        .subscribe(this.channel)
        .then(() => this.commandConnection())
        .then(onChange, () => undefined);
    });
    sub.on('message', (channel: string) => {
      if (channel === this.channel) onChange();
    });
    const stop = () => {
      stopping = true;
      if (!this.subscribers.delete(sub)) return;
      void closeClient(sub, this.timeoutMs);
    };
    try {
      await withDeadline(this.timeoutMs, () => sub.subscribe(this.channel), () => new Error(`no answer within ${this.timeoutMs} ms`));
    } catch (err) {
      this.opts.logger?.warn(
        { redis: this.where, err: this.scrub((err as Error).message) },
        'config store: cannot subscribe to changes in Redis yet; run-time changes will reach this process once Redis answers',
      );
    }
    subscribed = true;
    return stop;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const all = [this.client, ...this.subscribers];
    this.subscribers.clear();
    await Promise.all(all.map((c) => closeClient(c, this.timeoutMs)));
  }

  private clientOptions(connectionName: string): RedisOptions {
    return {
      connectionName,
      connectTimeout: this.timeoutMs,
      commandTimeout: this.timeoutMs,
      // Fail now rather than queue: an operator's command and a coordinator's refresh both want an answer or an error.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      // ioredis waits this long for a dead socket to close on disconnect(), holding a one-shot
      // command's process open for nothing.
      disconnectTimeout: 200,
      retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 10), 5000),
    };
  }

  private async call<T>(op: string, fn: (client: Redis) => Promise<T>): Promise<T> {
    if (this.closed) throw this.unavailable(op, new Error('the backend is closed'));
    try {
      return await withDeadline(
        this.timeoutMs,
        async () => {
          await this.ready();
          return fn(this.client);
        },
        () => new Error(`no answer within ${this.timeoutMs} ms`),
      );
    } catch (err) {
      if (err instanceof VigieError) throw err;
      throw this.unavailable(op, err);
    }
  }

  /** Resolves when the command connection is ready, waiting for its reconnection; rejects once the backend is closed. */
  private commandConnection(): Promise<void> {
    if (this.client.status === 'ready') return Promise.resolve();
    // 'end': no reconnection will come, and the 'end' event below has already fired.
    if (this.closed || this.client.status === 'end') return Promise.reject(new Error('the backend is closed'));
    return new Promise((resolve, reject) => {
      const onReady = (): void => {
        this.client.off('end', onEnd);
        resolve();
      };
      const onEnd = (): void => {
        this.client.off('ready', onReady);
        reject(new Error('the backend is closed'));
      };
      this.client.once('ready', onReady);
      this.client.once('end', onEnd);
    });
  }

  /** Resolves once connected; rejects at once when the last attempt failed (no waiting on a dead server). */
  private ready(): Promise<void> {
    return redisReady(this.client, () => this.lastError);
  }

  private unavailable(op: string, err: unknown): VigieError {
    const reason = this.scrub((err as Error | undefined)?.message || String(err));
    return new VigieError(
      CONFIG_STORE_UNAVAILABLE,
      `Config store ${op} failed: Redis at ${this.where} (REDIS_URL) is unavailable: ${reason}. ` +
        'Check that Redis is running and that REDIS_URL points at it.',
      503,
    );
  }

  private scrub(text: string): string {
    return scrub(text, this.secrets);
  }
}

/** A Redis config backend (connects at once, in the background). */
export function createRedisBackend(opts: RedisBackendOptions): RedisConfigBackend {
  return new RedisConfigBackend(opts);
}

/** MULTI/EXEC answers each command's error in place: surface the first. */
function checkExec(replies: Array<[Error | null, unknown]> | null): void {
  if (replies === null) throw new Error('transaction aborted');
  for (const [err] of replies) if (err) throw err;
}

async function closeClient(client: Redis, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') {
    await withDeadline(timeoutMs, () => client.quit()).catch(() => undefined);
  }
  // Also stops a pending reconnection timer.
  client.disconnect();
}
