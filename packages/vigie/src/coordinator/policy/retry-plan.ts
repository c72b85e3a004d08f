import type { Balancer } from '../balancer/types.js';

/** How one attempt on a worker failed, as the dispatcher saw it. */
export type AttemptFailure =
  /** Connection refused or reset, DNS, TLS: the request may not have reached the worker. */
  | { kind: 'network'; code?: string }
  /** No answer within `WORKER_REQUEST_TIMEOUT_MS`. */
  | { kind: 'timeout' }
  /** The worker answered with an error status; `error` is the body's error code, if any. */
  | { kind: 'http'; status: number; error?: string }
  /** The command was rejected before leaving the coordinator (bad type, bad payload). */
  | { kind: 'validation'; error?: string };

export type FailureReason =
  | 'NETWORK_ERROR'
  | 'TIMEOUT'
  | 'WORKER_ERROR'
  | 'WORKER_UNAUTHORIZED'
  | 'RATE_LIMITED'
  | 'COMMAND_NOT_SUPPORTED'
  | 'BAD_REQUEST'
  | 'VALIDATION_ERROR';

export interface FailureClass {
  /** True when another worker may well succeed where this one failed. */
  retryable: boolean;
  reason: FailureReason;
  /** True for 401/403: hand the worker to `decideBan` before retrying elsewhere. */
  banCandidate: boolean;
}

/**
 * Sorts a failure into retryable on another worker or final. Retryable: what depends on the
 * worker — its network, its load (timeout, 5xx, 429), its address being blocked (401/403,
 * after the ban decision). Final: what depends on the request — 400, 404, 413, other 4xx,
 * 501 or `COMMAND_NOT_SUPPORTED`, validation errors — which would fail the same everywhere,
 * so retrying them only burns the retry budget.
 */
export function classifyFailure(failure: AttemptFailure): FailureClass {
  switch (failure.kind) {
    case 'network':
      return retryable('NETWORK_ERROR');
    case 'timeout':
      return retryable('TIMEOUT');
    case 'validation':
      return final('VALIDATION_ERROR');
    case 'http':
      return classifyStatus(failure.status, failure.error);
  }
}

function classifyStatus(status: number, error: string | undefined): FailureClass {
  if (error === 'COMMAND_NOT_SUPPORTED' || status === 501) return final('COMMAND_NOT_SUPPORTED');
  if (status === 401 || status === 403) return { retryable: true, reason: 'WORKER_UNAUTHORIZED', banCandidate: true };
  if (status === 429) return retryable('RATE_LIMITED');
  // 408: the worker gave up waiting on us; another worker may not.
  if (status === 408) return retryable('TIMEOUT');
  if (status >= 500) return retryable('WORKER_ERROR');
  return final('BAD_REQUEST');
}

function retryable(reason: FailureReason): FailureClass {
  return { retryable: true, reason, banCandidate: false };
}

function final(reason: FailureReason): FailureClass {
  return { retryable: false, reason, banCandidate: false };
}

/** A worker of `available` not in `tried`, chosen by the balancer, or undefined if none is left. */
export function nextCandidate(
  available: readonly string[],
  tried: ReadonlySet<string>,
  balancer: Pick<Balancer, 'pick'>,
  now: number,
): string | undefined {
  // The first attempt (nothing tried yet) picks among them all, without a copy.
  const untried = tried.size === 0 ? available : available.filter((id) => !tried.has(id));
  return untried.length === 0 ? undefined : balancer.pick(untried, now);
}

export type RetryVerdict =
  | { retry: true }
  | { retry: false; reason: 'FINAL_ERROR' | 'MAX_ATTEMPTS' | 'NO_WORKER_LEFT' | 'RETRY_BUDGET_EXHAUSTED' };

/**
 * Whether to try again after a failed attempt, with the reason to report when not. Checked in
 * this order so the reason names the most fundamental cause: a final error would fail
 * anywhere; `maxAttempts` is `MAX_RETRIES` (tries in all, the first included); then whether an
 * untried worker exists; the budget last, since it is only consulted for a real retry.
 */
export function decideRetry(input: {
  failure: FailureClass;
  attempts: number;
  maxAttempts: number;
  untriedLeft: number;
  budgetAllows: boolean;
}): RetryVerdict {
  if (!input.failure.retryable) return { retry: false, reason: 'FINAL_ERROR' };
  if (input.attempts >= input.maxAttempts) return { retry: false, reason: 'MAX_ATTEMPTS' };
  if (input.untriedLeft <= 0) return { retry: false, reason: 'NO_WORKER_LEFT' };
  if (!input.budgetAllows) return { retry: false, reason: 'RETRY_BUDGET_EXHAUSTED' };
  return { retry: true };
}
