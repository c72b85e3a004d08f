/**
 * The config store: run-time settings (runtime-keys.ts) that an operator changes with
 * `vigie config set` and that reach every coordinator without a restart.
 *
 * - `redis_first` (default): Redis is where settings are read and written. Each good read is
 *   copied to `<dataDir>/runtime-config.json`, so that when Redis is down the store still has
 *   the last known values (read with a WARNING); writes then fail, since a change only Redis
 *   would have missed would be lost for the other hosts.
 * - `file_first`: the file is where settings are read and written; Redis, if configured, gets a
 *   copy of each write (best effort, WARNING on failure) so that a later switch to redis_first
 *   finds them there.
 * - No REDIS_URL: both modes use the file, and settings are local to this host.
 *
 * Nothing stored can crash a coordinator: a value that does not validate is logged once and
 * ignored, and a backend that cannot answer leaves the last known values in place.
 */
import type { Logger } from '../observability/logger.js';
import { ConfigError, VigieError } from '../errors.js';
import { createFileBackend, type FileConfigBackend } from './file-backend.js';
import { createRedisBackend } from './redis-backend.js';
import {
  crossFieldProblem,
  effectiveRuntime,
  isRuntimeKey,
  parseRuntimeValue,
  runtimeKey,
  type EffectiveRuntime,
  type RuntimeKey,
  type RuntimeSettings,
  type RuntimeValue,
} from './runtime-keys.js';
import { CONFIG_STORE_UNAVAILABLE, sameValue, type ConfigBackend } from './types.js';

export type ConfigStoreMode = 'redis_first' | 'file_first';

/** Called with the store's settings (only the keys set) and the keys whose value changed. */
export type ConfigChangeListener = (settings: RuntimeSettings, changed: RuntimeKey[]) => void;

export interface ConfigStoreOptions {
  /** CONFIG_STORE_MODE. */
  mode: ConfigStoreMode;
  /** REDIS_URL; unset: the file only. */
  redisUrl?: string | undefined;
  /** CONFIG_STORE_REDIS_PREFIX, e.g. `vigie:config:`. */
  prefix: string;
  /** The file is `<dataDir>/runtime-config.json`. */
  dataDir: string;
  logger: Logger;
  /**
   * The static config (file, env, defaults): what a run-time key is worth when the store has no
   * value, used for `effective()` and for cross-field checks (requestDelayMinMs ≤ requestDelayMaxMs).
   */
  base?: Partial<Record<RuntimeKey, unknown>>;
  /** Follow changes made elsewhere (subscribe, periodic re-read). Default true; a one-shot CLI command passes false. */
  watch?: boolean;
  /** Re-read period, in case a change announcement was lost. Default 30000 ms; 0: never. */
  refreshIntervalMs?: number;
  /** Bound on every backend call. Default 2000 ms (Redis), 5000 ms (file). */
  timeoutMs?: number;
  /** How often the file is looked at for changes by other processes. Default 500 ms. */
  watchIntervalMs?: number;
  /** Backends to use instead of building them from the options (tests). */
  backends?: { file?: FileConfigBackend; redis?: ConfigBackend };
}

/** Run-time settings with their backends, kept current. */
export interface ConfigStore {
  readonly mode: ConfigStoreMode;
  /** Whether a Redis backend is configured (REDIS_URL set). */
  readonly hasRedis: boolean;
  /** The stored value of one run-time setting (fresh read), undefined when not set. Throws ConfigError for a key that is not one. */
  get<K extends RuntimeKey>(key: K): Promise<RuntimeValue<K> | undefined>;
  /** Every valid stored setting (fresh read); throws only when no backend can answer. */
  all(): Promise<RuntimeSettings>;
  /** The settings as last read, without I/O. */
  current(): RuntimeSettings;
  /** Every run-time key's value now: the store's, else the static config's (`base`). */
  effective(): EffectiveRuntime;
  /** Validates `raw` (text from the CLI or a typed value) and stores it; resolves with the stored value. */
  set(key: string, raw: unknown): Promise<unknown>;
  /** Removes a stored value (the static config's applies again). */
  unset(key: string): Promise<void>;
  /** Which backend answered last. */
  source(): 'redis' | 'file';
  /** Calls `listener` after each change of the settings, wherever it was made. Returns the function that stops it. */
  onChange(listener: ConfigChangeListener): () => void;
  /** Stops following changes and closes the backends. */
  close(): Promise<void>;
}

const DEFAULT_REFRESH_MS = 30_000;

/** Opens the config store and reads it once (a read failure is logged, not thrown). */
export async function createConfigStore(opts: ConfigStoreOptions): Promise<ConfigStore> {
  const store = new Store(opts);
  await store.start();
  return store;
}

class Store implements ConfigStore {
  readonly mode: ConfigStoreMode;
  readonly hasRedis: boolean;
  private readonly file: FileConfigBackend;
  private readonly redis: ConfigBackend | undefined;
  private readonly logger: Logger;
  private readonly base: Partial<Record<RuntimeKey, unknown>>;
  private readonly listeners = new Set<ConfigChangeListener>();
  private readonly warned = new Set<string>();
  private settings: RuntimeSettings = {};
  private lastSource: 'redis' | 'file';
  private redisDown = false;
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<RuntimeSettings> | undefined;
  private queued: Promise<RuntimeSettings> | undefined;
  private loaded = false;
  private closed = false;

  constructor(private readonly opts: ConfigStoreOptions) {
    this.mode = opts.mode;
    this.logger = opts.logger.child({ component: 'config-store' });
    this.base = opts.base ?? {};
    this.file =
      opts.backends?.file ??
      createFileBackend({ dataDir: opts.dataDir, timeoutMs: opts.timeoutMs, watchIntervalMs: opts.watchIntervalMs });
    this.redis =
      opts.backends?.redis ??
      (opts.redisUrl ? createRedisBackend({ url: opts.redisUrl, prefix: opts.prefix, timeoutMs: opts.timeoutMs, logger: this.logger }) : undefined);
    this.hasRedis = this.redis !== undefined;
    this.lastSource = this.redisPrimary() ? 'redis' : 'file';
  }

  async start(): Promise<void> {
    if (!this.redis) {
      this.logger.info(
        { mode: this.mode, file: this.file.path },
        'config store: no REDIS_URL, run-time settings are local to this host (kept in the data folder)',
      );
    }
    try {
      await this.reload();
    } catch (err) {
      this.logger.error({ err: messageOf(err) }, 'config store: cannot read run-time settings; the static config applies until it can');
    }
    if (this.opts.watch === false) return;
    const primary = this.redisPrimary() ? this.redis! : this.file;
    this.unsubscribe = await primary.subscribe(() => this.refreshQuietly());
    const every = this.opts.refreshIntervalMs ?? DEFAULT_REFRESH_MS;
    if (every > 0) {
      this.timer = setInterval(() => this.refreshQuietly(), every);
      this.timer.unref();
    }
  }

  async get<K extends RuntimeKey>(key: K): Promise<RuntimeValue<K> | undefined> {
    const k = runtimeKey(key) as K;
    return (await this.reload())[k];
  }

  all(): Promise<RuntimeSettings> {
    return this.reload();
  }

  current(): RuntimeSettings {
    return { ...this.settings };
  }

  effective(): EffectiveRuntime {
    return effectiveRuntime(this.base, this.settings);
  }

  async set(name: string, raw: unknown): Promise<unknown> {
    const key = runtimeKey(name);
    const value = parseRuntimeValue(key, raw);
    await this.write(key, (stored) => ({ ...stored, [key]: value }), (b) => b.set(key, value));
    return value;
  }

  async unset(name: string): Promise<void> {
    const key = runtimeKey(name);
    await this.write(
      key,
      (stored) => {
        const next = { ...stored };
        delete next[key];
        return next;
      },
      (b) => b.unset(key),
    );
  }

  source(): 'redis' | 'file' {
    return this.lastSource;
  }

  onChange(listener: ConfigChangeListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.unsubscribe?.();
    this.listeners.clear();
    await Promise.allSettled([this.inflight, this.queued]);
    await Promise.all([this.file.close(), this.redis?.close()]);
  }

  private redisPrimary(): boolean {
    return this.mode === 'redis_first' && this.redis !== undefined;
  }

  /** Checks the change against the stored values, writes it to the primary backend, mirrors it, re-reads. */
  private async write(
    key: RuntimeKey,
    next: (stored: RuntimeSettings) => RuntimeSettings,
    apply: (backend: ConfigBackend) => Promise<void>,
  ): Promise<void> {
    if (this.closed) throw new VigieError(CONFIG_STORE_UNAVAILABLE, 'The config store is closed.', 503);
    const primary = this.redisPrimary() ? this.redis! : this.file;
    const stored = this.validate(await this.forWrite(() => primary.getAll()));
    const problem = crossFieldProblem(effectiveRuntime(this.base, next(stored)));
    if (problem) throw new ConfigError(problem);
    await this.forWrite(() => apply(primary));
    if (primary === this.file && this.redis) {
      try {
        await apply(this.redis);
      } catch (err) {
        this.logger.warn({ key, err: messageOf(err) }, 'config store: copy to Redis failed (file_first: the file holds the change); run `vigie config migrate` once Redis is back');
      }
    }
    try {
      await this.reload();
    } catch (err) {
      this.logger.warn({ err: messageOf(err) }, 'config store: re-read after a change failed');
    }
  }

  /** A write to the primary; in redis_first a Redis error says why there is no fallback. */
  private async forWrite<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (this.redisPrimary() && err instanceof VigieError && err.code === CONFIG_STORE_UNAVAILABLE) {
        throw new VigieError(
          CONFIG_STORE_UNAVAILABLE,
          `${err.message} In redis_first mode run-time settings are changed in Redis only, so that every coordinator sees the change; ` +
            'retry once Redis answers, or set CONFIG_STORE_MODE=file_first to change the settings of this host alone.',
          503,
          { cause: err },
        );
      }
      throw err;
    }
  }

  /** Re-reads now, or right after the read in progress (one that started before a change may miss it). */
  private reload(): Promise<RuntimeSettings> {
    if (!this.inflight) {
      this.inflight = this.read().finally(() => {
        this.inflight = undefined;
      });
      return this.inflight;
    }
    this.queued ??= this.inflight
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.reload();
      });
    return this.queued;
  }

  private refreshQuietly(): void {
    if (this.closed) return;
    this.reload().catch((err: unknown) => {
      this.warnOnce(`refresh:${messageOf(err)}`, { err: messageOf(err) }, 'config store: cannot re-read run-time settings; keeping the last known values');
    });
  }

  private async read(): Promise<RuntimeSettings> {
    let settings: RuntimeSettings;
    if (this.redisPrimary()) {
      settings = await this.readRedisFirst();
    } else {
      settings = this.validate(await this.file.getAll());
      this.lastSource = 'file';
    }
    this.apply(settings);
    return { ...settings };
  }

  private async readRedisFirst(): Promise<RuntimeSettings> {
    try {
      const settings = this.validate(await this.redis!.getAll());
      this.lastSource = 'redis';
      if (this.redisDown) this.logger.info('config store: Redis answers again; run-time settings read from Redis');
      this.redisDown = false;
      await this.file.replace(settings).catch((err: unknown) => {
        this.warnOnce(`sync:${messageOf(err)}`, { err: messageOf(err) }, 'config store: cannot keep the file copy of the settings in sync');
      });
      return settings;
    } catch (err) {
      let settings: RuntimeSettings;
      try {
        settings = this.validate(await this.file.getAll());
      } catch (fileErr) {
        throw new VigieError(
          CONFIG_STORE_UNAVAILABLE,
          `${messageOf(err)} The file copy cannot be read either: ${messageOf(fileErr)}`,
          503,
          { cause: err },
        );
      }
      if (!this.redisDown) {
        this.logger.warn(
          { err: messageOf(err), file: this.file.path },
          'config store: Redis is unreachable; using the last known run-time settings from the file copy (changes are refused until Redis is back)',
        );
      }
      this.redisDown = true;
      this.lastSource = 'file';
      return settings;
    }
  }

  /** The valid run-time settings among stored ones; the others are logged once and ignored. */
  private validate(raw: Record<string, unknown>): RuntimeSettings {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(raw)) {
      if (!isRuntimeKey(key)) {
        this.warnOnce(`key:${key}`, { key }, `config store: "${key}" is not a run-time setting; ignored (remove it with \`vigie config unset\` or from the store)`);
        continue;
      }
      try {
        out[key] = parseRuntimeValue(key, value);
      } catch (err) {
        this.warnOnce(`value:${key}:${JSON.stringify(value)}`, { key }, `config store: ${messageOf(err)} Stored value ignored.`);
      }
    }
    const settings = out as RuntimeSettings;
    const problem = crossFieldProblem(effectiveRuntime(this.base, settings));
    if (problem) {
      this.warnOnce(`cross:${problem}`, {}, `config store: ${problem} The stored request delays are ignored.`);
      delete settings.requestDelayMinMs;
      delete settings.requestDelayMaxMs;
    }
    return settings;
  }

  /** Makes `settings` current and tells listeners what changed. */
  private apply(settings: RuntimeSettings): void {
    const before = this.settings;
    const changed = (Object.keys({ ...before, ...settings }) as RuntimeKey[]).filter((k) => !sameValue(before[k], settings[k]));
    const first = !this.loaded;
    this.loaded = true;
    if (changed.length === 0) return;
    this.settings = { ...settings };
    if (first) {
      this.logger.info({ settings, source: this.lastSource }, `run-time settings from the ${this.lastSource} store: ${changed.join(', ')}`);
    } else {
      this.logger.info({ changed, source: this.lastSource }, `run-time settings changed: ${changed.join(', ')}`);
    }
    for (const listener of [...this.listeners]) {
      try {
        listener(this.current(), changed);
      } catch (err) {
        this.logger.error({ err: messageOf(err) }, 'config store: a change listener failed');
      }
    }
  }

  private warnOnce(id: string, fields: Record<string, unknown>, msg: string): void {
    if (this.warned.has(id)) return;
    this.warned.add(id);
    this.logger.warn(fields, msg);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
