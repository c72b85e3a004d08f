import { describe, expect, it } from 'vitest';
import { createRoundRobinBalancer } from '../../../src/coordinator/balancer/round-robin.js';
import {
  classifyFailure,
  decideRetry,
  nextCandidate,
  type AttemptFailure,
  type FailureClass,
} from '../../../src/coordinator/policy/retry-plan.js';

describe('classifyFailure', () => {
  const retryableCases: [AttemptFailure, string][] = [
    [{ kind: 'network', code: 'ECONNREFUSED' }, 'NETWORK_ERROR'],
    [{ kind: 'timeout' }, 'TIMEOUT'],
    [{ kind: 'http', status: 408 }, 'TIMEOUT'],
    [{ kind: 'http', status: 500 }, 'WORKER_ERROR'],
    [{ kind: 'http', status: 502 }, 'WORKER_ERROR'],
    [{ kind: 'http', status: 503, error: 'NO_SCRAPING_COOKIES' }, 'WORKER_ERROR'],
    [{ kind: 'http', status: 504 }, 'WORKER_ERROR'],
    [{ kind: 'http', status: 429 }, 'RATE_LIMITED'],
  ];
  it.each(retryableCases)('%j is retryable elsewhere (%s)', (failure, reason) => {
    expect(classifyFailure(failure)).toEqual({ retryable: true, reason, banCandidate: false });
  });

  it.each([401, 403])('%i is retryable elsewhere after the ban decision', (status) => {
    expect(classifyFailure({ kind: 'http', status })).toEqual({ retryable: true, reason: 'WORKER_UNAUTHORIZED', banCandidate: true });
  });

  const finalCases: [AttemptFailure, string][] = [
    [{ kind: 'http', status: 400 }, 'BAD_REQUEST'],
    [{ kind: 'http', status: 404 }, 'BAD_REQUEST'],
    [{ kind: 'http', status: 413 }, 'BAD_REQUEST'],
    [{ kind: 'http', status: 422 }, 'BAD_REQUEST'],
    [{ kind: 'http', status: 501 }, 'COMMAND_NOT_SUPPORTED'],
    [{ kind: 'http', status: 400, error: 'COMMAND_NOT_SUPPORTED' }, 'COMMAND_NOT_SUPPORTED'],
    [{ kind: 'http', status: 500, error: 'COMMAND_NOT_SUPPORTED' }, 'COMMAND_NOT_SUPPORTED'],
    [{ kind: 'validation', error: 'payload.alerts: required' }, 'VALIDATION_ERROR'],
  ];
  it.each(finalCases)('%j is final: it would fail the same everywhere (%s)', (failure, reason) => {
    expect(classifyFailure(failure)).toEqual({ retryable: false, reason, banCandidate: false });
  });
});

describe('nextCandidate', () => {
  it('never returns a worker already tried, and undefined once all were tried', () => {
    const balancer = createRoundRobinBalancer();
    const available = ['a', 'b', 'c'];
    const tried = new Set<string>();
    for (let attempt = 0; attempt < 3; attempt++) {
      const next = nextCandidate(available, tried, balancer, attempt);
      expect(next).toBeDefined();
      expect(tried.has(next!)).toBe(false);
      tried.add(next!);
    }
    expect(tried).toEqual(new Set(available));
    expect(nextCandidate(available, tried, balancer, 3)).toBeUndefined();
  });

  it('lets the balancer choose among the untried workers only', () => {
    const seen: (readonly string[])[] = [];
    const spy = { pick: (c: readonly string[]) => (seen.push(c), c[c.length - 1]) };
    expect(nextCandidate(['a', 'b', 'c'], new Set(['c']), spy, 0)).toBe('b');
    expect(seen).toEqual([['a', 'b']]);
  });
});

describe('decideRetry', () => {
  const retryable: FailureClass = { retryable: true, reason: 'TIMEOUT', banCandidate: false };
  const base = { failure: retryable, attempts: 1, maxAttempts: 3, untriedLeft: 2, budgetAllows: true };

  it('retries a retryable failure while attempts, workers and budget remain', () => {
    expect(decideRetry(base)).toEqual({ retry: true });
  });

  it('names why it stops, most fundamental cause first', () => {
    const finalFailure: FailureClass = { retryable: false, reason: 'BAD_REQUEST', banCandidate: false };
    expect(decideRetry({ ...base, failure: finalFailure, attempts: 3, untriedLeft: 0, budgetAllows: false })).toEqual({ retry: false, reason: 'FINAL_ERROR' });
    expect(decideRetry({ ...base, attempts: 3, untriedLeft: 0, budgetAllows: false })).toEqual({ retry: false, reason: 'MAX_ATTEMPTS' });
    expect(decideRetry({ ...base, untriedLeft: 0, budgetAllows: false })).toEqual({ retry: false, reason: 'NO_WORKER_LEFT' });
    expect(decideRetry({ ...base, budgetAllows: false })).toEqual({ retry: false, reason: 'RETRY_BUDGET_EXHAUSTED' });
  });

  it('treats MAX_RETRIES as tries in all, the first included (the seed: 3 tries)', () => {
    expect(decideRetry({ ...base, attempts: 2 })).toEqual({ retry: true });
    expect(decideRetry({ ...base, attempts: 3 })).toMatchObject({ retry: false, reason: 'MAX_ATTEMPTS' });
  });
});
