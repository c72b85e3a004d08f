/**
 * Singleton jobs: run a function only where the named lock is held, renewing the lock in the
 * background and aborting the function's signal the moment the lock can no longer be counted on.
 */
import { VigieError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { systemClock, type Clock, type LockBackend, type LockGrant } from './types.js';

export interface RunExclusiveOptions {
  logger?: Logger;
  clock?: Clock;
  /** Aborts the job from outside (shutdown); the lock is still released. */
  signal?: AbortSignal;
  /** Renewal period; default ttlMs / 3. The job is aborted one period before an unrenewed lease ends. */
  renewEveryMs?: number;
  /** See `AcquireOptions.fencingFloor`. */
  fencingFloor?: number;
}

export type ExclusiveResult<T> =
  /** `lost`: the lock could not be kept to the end (the signal was aborted); the value is what `fn` returned anyway. */
  | { ran: true; value: T; fencing: number; lost: boolean }
  /** Someone else holds the lock: the job did not run. */
  | { ran: false };

/** Error code of the abort reason when the lock is lost under a running job. */
export const LOCK_LOST = 'LOCK_LOST' as const;

/**
 * Runs `fn` under the lock `name` (lease `ttlMs`, e.g. REDIS_LOCK_TTL_SECONDS × 1000), or not at
 * all when another process holds it. Backend errors on acquire are thrown (LOCK_BACKEND_UNAVAILABLE).
 */
export async function runExclusive<T>(
  backend: LockBackend,
  name: string,
  ttlMs: number,
  fn: (grant: LockGrant, signal: AbortSignal) => Promise<T>,
  opts: RunExclusiveOptions = {},
): Promise<ExclusiveResult<T>> {
  opts.signal?.throwIfAborted();
  const clock = opts.clock ?? systemClock;
  const log = opts.logger;
  const first = await backend.acquire(name, ttlMs, opts.fencingFloor === undefined ? {} : { fencingFloor: opts.fencingFloor });
  if (!first) {
    log?.debug({ lock: name, backend: backend.kind }, `Singleton lock ${name} is held elsewhere; skipping`);
    return { ran: false };
  }
  log?.info(
    { lock: name, backend: backend.kind, fencing: first.fencing, holder: first.token },
    `Singleton lock acquired (${backend.kind}) ${name} pid=${process.pid} fencing=${first.fencing}`,
  );

  const renewEveryMs = opts.renewEveryMs ?? Math.max(1, Math.floor(ttlMs / 3));
  const retryEveryMs = Math.max(10, Math.floor(renewEveryMs / 5));
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onParentAbort, { once: true });

  let grant = first;
  let lost = false;
  let done = false;
  let renewTimer: NodeJS.Timeout | undefined;
  let guardTimer: NodeJS.Timeout | undefined;
  let renewing: Promise<void> | undefined;

  const lose = (reason: string) => {
    if (lost || done) return;
    lost = true;
    clearTimeout(renewTimer);
    clearTimeout(guardTimer);
    log?.warn({ lock: name, fencing: first.fencing, reason }, `Singleton lock ${name} lost: ${reason}; aborting the job`);
    controller.abort(new VigieError(LOCK_LOST, `The lock ${name} was lost while the job ran: ${reason}.`, 409));
  };
  // Fires one renewal period before the lease ends, even while a renewal hangs.
  const armGuard = () => {
    clearTimeout(guardTimer);
    guardTimer = setTimeout(() => lose('no successful renewal before the lease ends'), Math.max(0, grant.expiresAt - renewEveryMs - clock.now()));
  };
  const scheduleRenewal = (inMs: number) => {
    clearTimeout(renewTimer);
    renewTimer = setTimeout(() => {
      renewing = renew().finally(() => (renewing = undefined));
    }, inMs);
  };
  const renew = async () => {
    if (lost || done) return;
    try {
      const next = await backend.extend(grant, ttlMs);
      if (lost || done) return;
      if (!next) return lose('expired, or taken by another holder');
      grant = next;
      armGuard();
      scheduleRenewal(renewEveryMs);
    } catch (err) {
      if (lost || done) return;
      const left = grant.expiresAt - renewEveryMs - clock.now();
      if (left <= 0) return lose(`cannot renew (${(err as Error).message})`);
      log?.warn({ lock: name, err: (err as Error).message }, `Singleton lock ${name}: renewal failed; retrying`);
      scheduleRenewal(Math.min(retryEveryMs, left));
    }
  };

  armGuard();
  scheduleRenewal(renewEveryMs);
  try {
    const value = await fn(first, controller.signal);
    return { ran: true, value, fencing: first.fencing, lost };
  } finally {
    done = true;
    clearTimeout(renewTimer);
    clearTimeout(guardTimer);
    opts.signal?.removeEventListener('abort', onParentAbort);
    await renewing;
    // Even after a loss: compare-and-delete frees it only if it is still ours.
    await backend.release(grant).catch((err: unknown) => {
      log?.warn({ lock: name, err: (err as Error).message }, `Singleton lock ${name}: release failed; it will expire`);
    });
  }
}
