import { backoffDelay } from '@vigie/client';

/** How long to wait before trying a notification again. */
export interface BackoffOptions {
  /** Shortest wait (default 1 s). */
  baseMs?: number;
  /** Longest computed wait (default 10 min). */
  maxMs?: number;
  /** Longest wait a receiver's retry-after may impose (default 1 h): a bogus header must not park an entry for days. */
  retryAfterCapMs?: number;
  /** Uniform in [0, 1); default Math.random. */
  random?: () => number;
}

/**
 * The wait after failed attempt number `attempt` (1 for the first): the receiver's
 * `retryAfterMs` when it gave one (capped), else exponential backoff with full jitter,
 * uniform between `baseMs` and min(maxMs, baseMs × 2^attempt), so that many entries failing
 * together (a receiver down) do not all come back at the same instant.
 */
export function retryDelayMs(attempt: number, retryAfterMs: number | undefined, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? 1000;
  const max = Math.max(base, opts.maxMs ?? 600_000);
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs)) {
    return Math.min(Math.max(0, Math.ceil(retryAfterMs)), opts.retryAfterCapMs ?? 3_600_000);
  }
  return backoffDelay(Math.max(1, attempt), { baseMs: base, maxMs: max, jitter: 'full' }, opts.random ?? Math.random);
}
