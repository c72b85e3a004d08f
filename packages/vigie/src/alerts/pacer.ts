import { isUpstreamError, UpstreamError } from './sources/types.js';

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** The real sleep: a timer, cleared on abort. */
export const sleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export interface PacerOptions {
  minDelayMs: number;
  maxDelayMs: number;
  /** In [0, 1); Math.random by default (tests pass a seeded one). */
  random?: () => number;
  sleep?: Sleep;
}

/** Spaces one command's requests to a source so that they do not look like a burst. */
export interface Pacer {
  /** Waits before a request: nothing before the first, a random delay in [min, max] before each other. Resolves with the delay waited. */
  beforeRequest(signal?: AbortSignal): Promise<number>;
  /** The delay the next `beforeRequest` would draw, without waiting (for deadline planning); consumed by that call. */
  peekDelay(): number;
  /** Requests paced so far. */
  readonly requests: number;
}

/** A random delay in [min, max] (inclusive), from `random()` in [0, 1). */
export function pacingDelay(minDelayMs: number, maxDelayMs: number, random: () => number): number {
  const lo = Math.min(minDelayMs, maxDelayMs);
  const hi = Math.max(minDelayMs, maxDelayMs);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.min(hi, lo + Math.floor(r * (hi - lo + 1)));
}

/** A pacer for one command (the first request goes at once: the previous command's pause is not ours to know). */
export function createPacer(opts: PacerOptions): Pacer {
  const random = opts.random ?? Math.random;
  const wait = opts.sleep ?? sleep;
  let requests = 0;
  let next: number | undefined;
  const draw = () => (next ??= pacingDelay(opts.minDelayMs, opts.maxDelayMs, random));
  return {
    get requests() {
      return requests;
    },
    peekDelay: () => (requests === 0 ? 0 : draw()),
    async beforeRequest(signal) {
      const ms = requests === 0 ? 0 : draw();
      next = undefined;
      requests++;
      if (ms > 0) await wait(ms, signal);
      return ms;
    },
  };
}

export interface RateLimitRetryOptions {
  /** Retries after the first try (default 2). */
  maxRetries?: number;
  /** Longest wait honoured for one `Retry-After` (default 120000); a longer ask is waited this long. */
  maxRetryAfterMs?: number;
  /** Wait when the 429 carries no `Retry-After` (the pacing max, default 25000). */
  fallbackDelayMs?: number;
  sleep?: Sleep;
  signal?: AbortSignal;
  /** Epoch ms after which no wait may end: the last 429 is thrown instead of waiting past it. */
  deadline?: number;
  now?: () => number;
  /** Told of each retry before its wait (for logs). */
  onRetry?: (info: { attempt: number; delayMs: number; error: UpstreamError }) => void;
}

/**
 * Runs `fn`, and on UPSTREAM_RATE_LIMITED waits what the upstream asked (`Retry-After`, capped)
 * and tries again, up to `maxRetries` times; then the last 429 is thrown. Other errors pass through.
 */
export async function withRateLimitRetry<T>(fn: (attempt: number) => Promise<T>, opts: RateLimitRetryOptions = {}): Promise<T> {
  const maxRetries = opts.maxRetries ?? 2;
  const cap = opts.maxRetryAfterMs ?? 120_000;
  const fallback = opts.fallbackDelayMs ?? 25_000;
  const wait = opts.sleep ?? sleep;
  const now = opts.now ?? Date.now;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!isUpstreamError(err, 'UPSTREAM_RATE_LIMITED') || attempt >= maxRetries) throw err;
      const delayMs = Math.min(err.retryAfterMs ?? fallback, cap);
      if (opts.deadline !== undefined && now() + delayMs >= opts.deadline) throw err;
      opts.onRetry?.({ attempt: attempt + 1, delayMs, error: err });
      await wait(delayMs, opts.signal);
    }
  }
}
