/**
 * The lock interface every backend meets (Redis for several hosts, a file for one host), and the
 * helpers they share: holder tokens, key names, the conservative expiry estimate.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { VigieError } from '../errors.js';

/** A lock held by this process. */
export interface LockGrant {
  /** The lock's name as given to `acquire` (e.g. `leader`); backends add their prefix. */
  key: string;
  /** `<host>:<pid>:<random hex>`: names the holder, unique per grant. */
  token: string;
  /** Strictly higher than the number of every earlier grant of this key. */
  fencing: number;
  /**
   * Local clock (ms since epoch) after which the holder must assume the lock is gone. Counted
   * from the request's start, less a drift allowance: the lock may live longer, never shorter.
   */
  expiresAt: number;
}

/** What a backend knows about a lock, whoever holds it. */
export interface LockInfo {
  /** The holder's token, or null when the lock is free (never taken, released or expired). */
  holder: string | null;
  /** Time left on the holder's lease, or null when free. */
  ttlMs: number | null;
  /** The number of the latest grant (the holder's, when there is one); null if never granted. */
  fencing: number | null;
}

export interface AcquireOptions {
  /**
   * The grant's fencing number will be above this. A store that remembers the highest number it
   * has seen passes it here, so that a Redis that lost its counter (restart without persistence)
   * cannot hand out numbers the store would refuse.
   */
  fencingFloor?: number;
}

/** A mutual-exclusion lock with leases and fencing numbers. */
export interface LockBackend {
  readonly kind: 'redis' | 'file';
  /** Takes the lock for `ttlMs`; null when someone else holds it. */
  acquire(key: string, ttlMs: number, opts?: AcquireOptions): Promise<LockGrant | null>;
  /** Resets the lease to `ttlMs`; null when `grant` no longer holds the lock (expired, taken). */
  extend(grant: LockGrant, ttlMs: number): Promise<LockGrant | null>;
  /** Frees the lock; false when `grant` was not the holder any more (nothing is changed then). */
  release(grant: LockGrant): Promise<boolean>;
  /** Who holds the lock, for how long, and the latest fencing number. */
  inspect(key: string): Promise<LockInfo>;
  /** Closes connections; the backend is unusable afterwards. */
  close(): Promise<void>;
}

/** A clock in ms since the epoch; tests pass a fake one. */
export { systemClock, type Clock } from '../util/clock.js';

/** Default lease of singleton jobs (REDIS_LOCK_TTL_SECONDS = 300). */
export const DEFAULT_LOCK_TTL_MS = 300_000;
/** Default leadership lease of coordinators. */
export const DEFAULT_LEASE_MS = 15_000;
/** Default key prefix (`vigie:leader`, `vigie:poller_lock`). */
export const DEFAULT_LOCK_PREFIX = 'vigie';

/** Error code when the backend cannot be reached or used (Redis down, lock folder unwritable). */
export const LOCK_BACKEND_UNAVAILABLE = 'LOCK_BACKEND_UNAVAILABLE' as const;

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,199}$/;

/** Throws unless `name` is a usable lock name (letters, digits, `_ . : -`; also a file name). */
export function assertLockName(name: string): void {
  if (!NAME.test(name) || name.includes('..')) {
    throw new VigieError(
      'LOCK_NAME_INVALID',
      `Lock name ${JSON.stringify(name)} is not valid: use 1 to 200 letters, digits, "_", ".", ":" or "-", not starting with "." or "-".`,
      400,
    );
  }
}

/** Throws unless `ttlMs` is a whole number of ms ≥ 1. */
export function assertTtl(ttlMs: number): void {
  if (!Number.isInteger(ttlMs) || ttlMs < 1) {
    throw new VigieError('LOCK_TTL_INVALID', `Lock TTL must be a whole number of milliseconds ≥ 1, got ${ttlMs}.`, 400);
  }
}

/** This process's name in tokens: `<host>:<pid>`. */
export function holderIdentity(): string {
  return `${hostname().replace(/:/g, '_')}:${process.pid}`;
}

/**
 * A fresh holder token `<host>:<pid>:<16 random hex>`. The random part keeps two processes with
 * the same pid in different containers (pid 1 in both, often) apart.
 */
export function newToken(): string {
  return `${holderIdentity()}:${randomBytes(8).toString('hex')}`;
}

/** Host and pid named by a token, when it has the usual shape. */
export function parseToken(token: string): { host: string; pid: number } | null {
  const m = /^(.*):(\d+):[0-9a-f]+$/.exec(token);
  return m ? { host: m[1]!, pid: Number(m[2]) } : null;
}

/**
 * The holder's expiry estimate for a lease of `ttlMs` requested at `startedAt`: counted from the
 * request's start (the server's clock starts later) and less a drift allowance (1 % + 2 ms, as
 * Redlock does) for clocks that run at slightly different rates.
 */
export function conservativeExpiry(startedAt: number, ttlMs: number): number {
  return startedAt + ttlMs - Math.floor(ttlMs * 0.01) - 2;
}
