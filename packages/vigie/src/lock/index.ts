/**
 * Locks: a Redis lock with fencing numbers for several hosts, a file lock for one host, leader
 * election and singleton jobs on top of either.
 */
import { ConfigError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { FileLock } from './file-lock.js';
import { RedisLock } from './redis-lock.js';
import { DEFAULT_LOCK_PREFIX, parseToken, type Clock, type LockBackend } from './types.js';

export * from './types.js';
export { decide, electorTiming, stepDownTime, type Decision, type ElectorEvent, type ElectorState, type ElectorTiming } from './election.js';
export { createFileLock, FILE_LOCK_WARNING, FileLock, type FileLockOptions } from './file-lock.js';
export { LEADERSHIP_LOST, LeaderElector, type LeaderElectorOptions, type LeaderStatus } from './leader.js';
export { createRedisLock, RedisLock, type RedisLockOptions } from './redis-lock.js';
export { LOCK_LOST, runExclusive, type ExclusiveResult, type RunExclusiveOptions } from './singleton.js';

export interface CreateLockBackendOptions {
  /** REDIS_URL: Redis when set (several hosts), else the file lock (one host, with a WARNING). */
  redisUrl?: string;
  /** Redis key prefix; default `vigie` (the file lock keeps one folder per name under the data dir). */
  prefix?: string;
  /** The file lock lives in `<dataDir>/locks/`. */
  dataDir: string;
  logger: Logger;
  /** Forces a backend; `redis` without a URL is a configuration error. */
  mode?: 'redis' | 'file';
  /** Bound on every lock call (Redis default 2000 ms, file 5000 ms). */
  timeoutMs?: number;
  clock?: Clock;
}

/** The lock backend for this deployment: Redis when a URL is given, else the file lock. */
export function createLockBackend(opts: CreateLockBackendOptions): LockBackend {
  const mode = opts.mode ?? (opts.redisUrl ? 'redis' : 'file');
  if (mode === 'redis') {
    if (!opts.redisUrl) throw new ConfigError('The Redis lock needs REDIS_URL (e.g. redis://127.0.0.1:6379); unset the lock mode to use the file lock on one host.');
    return new RedisLock({
      url: opts.redisUrl,
      prefix: opts.prefix ?? DEFAULT_LOCK_PREFIX,
      logger: opts.logger,
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.clock ? { clock: opts.clock } : {}),
    });
  }
  return new FileLock({
    dataDir: opts.dataDir,
    logger: opts.logger,
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
}

/** One lock as `vigie lock status` shows it. */
export interface LockStatusView {
  key: string;
  backend: 'redis' | 'file';
  held: boolean;
  holder: string | null;
  /** Host and pid named by the holder's token. */
  host: string | null;
  pid: number | null;
  fencing: number | null;
  ttlMs: number | null;
}

/** Reads one lock for display (`vigie lock status`, /health). */
export async function lockStatus(backend: LockBackend, key: string): Promise<LockStatusView> {
  const info = await backend.inspect(key);
  const who = info.holder ? parseToken(info.holder) : null;
  return {
    key,
    backend: backend.kind,
    held: info.holder !== null,
    holder: info.holder,
    host: who?.host ?? null,
    pid: who?.pid ?? null,
    fencing: info.fencing,
    ttlMs: info.ttlMs,
  };
}
