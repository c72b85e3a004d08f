import { describe, expect, it } from 'vitest';
import {
  decideAfterAttempt,
  hasIdempotencyKey,
  isFailoverStatus,
  isIdempotentMethod,
  isReplayableBody,
  mayHaveReachedServer,
  parseRetryAfter,
  type RetryContext,
} from '../src/retry-policy.js';

const GET: RetryContext = { safeToResend: true, replayableBody: true, attemptsLeft: 2, maxRetryAfterMs: 10_000 };
const POST: RetryContext = { ...GET, safeToResend: false };

function refused(): Error {
  return new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
}

describe('method and header classification', () => {
  it('knows the idempotent methods, case-insensitively', () => {
    for (const m of ['GET', 'head', 'OPTIONS', 'put', 'DELETE']) expect(isIdempotentMethod(m)).toBe(true);
    for (const m of ['POST', 'patch', 'CONNECT']) expect(isIdempotentMethod(m)).toBe(false);
  });

  it('fails over on 500/502/503/504 only', () => {
    expect([500, 502, 503, 504].every(isFailoverStatus)).toBe(true);
    expect([400, 404, 429, 501, 505, 200].some(isFailoverStatus)).toBe(false);
  });

  it('finds a non-empty Idempotency-Key in every HeadersInit form', () => {
    expect(hasIdempotencyKey({ 'Idempotency-Key': 'k1' })).toBe(true);
    expect(hasIdempotencyKey(new Headers({ 'idempotency-key': 'k1' }))).toBe(true);
    expect(hasIdempotencyKey([['IDEMPOTENCY-KEY', 'k1']])).toBe(true);
    expect(hasIdempotencyKey({ 'Idempotency-Key': '' })).toBe(false);
    expect(hasIdempotencyKey({ 'x-other': 'k' })).toBe(false);
    expect(hasIdempotencyKey(undefined)).toBe(false);
  });

  it('treats streams as bodies that cannot be sent twice', () => {
    expect(isReplayableBody(undefined)).toBe(true);
    expect(isReplayableBody('{"a":1}')).toBe(true);
    expect(isReplayableBody(new Uint8Array(2))).toBe(true);
    expect(isReplayableBody(new URLSearchParams('a=1'))).toBe(true);
    expect(isReplayableBody(new ReadableStream())).toBe(false);
  });
});

describe('mayHaveReachedServer', () => {
  it('is false only when the connection provably never opened', () => {
    expect(mayHaveReachedServer(refused())).toBe(false);
    const dns = new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ENOTFOUND' }) });
    expect(mayHaveReachedServer(dns)).toBe(false);
  });

  it('is true for resets, closed sockets and opaque browser errors', () => {
    const reset = new TypeError('fetch failed', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) });
    expect(mayHaveReachedServer(reset)).toBe(true);
    expect(mayHaveReachedServer(new TypeError('Failed to fetch'))).toBe(true);
    expect(mayHaveReachedServer('weird')).toBe(true);
  });

  it('needs every address of an AggregateError to have refused', () => {
    const r = Object.assign(new Error('a'), { code: 'ECONNREFUSED' });
    const t = Object.assign(new Error('b'), { code: 'ETIMEDOUT' });
    expect(mayHaveReachedServer(new TypeError('fetch failed', { cause: new AggregateError([r, r]) }))).toBe(false);
    expect(mayHaveReachedServer(new TypeError('fetch failed', { cause: new AggregateError([r, t]) }))).toBe(true);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:59:00 GMT', now)).toBe(0);
    // Lenient on decimals; Node hands a repeated header over as an array.
    expect(parseRetryAfter('1.5', now)).toBe(1500);
    expect(parseRetryAfter(['120', '5'], now)).toBe(120_000);
  });
  it('ignores absent and malformed values', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('1e3', now)).toBeUndefined();
    expect(parseRetryAfter([], now)).toBeUndefined();
  });
});

describe('decideAfterAttempt', () => {
  it('hands 2xx, 3xx, 4xx and non-failover 5xx to the caller', () => {
    for (const status of [200, 204, 304, 400, 401, 403, 404, 409, 422, 501]) {
      expect(decideAfterAttempt({ kind: 'response', status }, GET)).toEqual({ action: 'accept' });
      expect(decideAfterAttempt({ kind: 'response', status }, POST)).toEqual({ action: 'accept' });
    }
  });

  it('fails an idempotent request over on 5xx, network error and timeout', () => {
    for (const status of [500, 502, 503, 504]) {
      expect(decideAfterAttempt({ kind: 'response', status }, GET)).toMatchObject({ action: 'failover', code: 'HTTP_STATUS' });
    }
    expect(decideAfterAttempt({ kind: 'error', code: 'NETWORK_ERROR' }, GET)).toEqual({ action: 'failover', code: 'NETWORK_ERROR' });
    expect(decideAfterAttempt({ kind: 'error', code: 'TIMEOUT' }, GET)).toEqual({ action: 'failover', code: 'TIMEOUT' });
  });

  it('never resends a POST that may have reached the server', () => {
    for (const code of ['NETWORK_ERROR', 'TIMEOUT'] as const) {
      expect(decideAfterAttempt({ kind: 'error', code }, POST)).toEqual({
        action: 'reject',
        code: 'NOT_RETRYABLE',
        attemptCode: code,
        markFailed: true,
      });
    }
    expect(decideAfterAttempt({ kind: 'response', status: 502 }, POST)).toMatchObject({ action: 'reject', code: 'NOT_RETRYABLE' });
  });

  it('moves a POST whose connection was refused, and a keyed POST after a timeout', () => {
    expect(decideAfterAttempt({ kind: 'error', code: 'CONNECTION_REFUSED' }, POST)).toMatchObject({ action: 'failover' });
    // An Idempotency-Key makes the request safe to resend: the caller computes safeToResend.
    expect(decideAfterAttempt({ kind: 'error', code: 'TIMEOUT' }, { ...POST, safeToResend: true })).toMatchObject({
      action: 'failover',
    });
  });

  it('never resends a streamed body, even after a refused connection', () => {
    const ctx = { ...GET, replayableBody: false };
    expect(decideAfterAttempt({ kind: 'error', code: 'CONNECTION_REFUSED' }, ctx)).toMatchObject({ action: 'reject', code: 'NOT_RETRYABLE' });
  });

  it('stops with ALL_NODES_FAILED when no attempt is left', () => {
    const ctx = { ...GET, attemptsLeft: 0 };
    expect(decideAfterAttempt({ kind: 'response', status: 500 }, ctx)).toMatchObject({ action: 'reject', code: 'ALL_NODES_FAILED' });
    expect(decideAfterAttempt({ kind: 'error', code: 'TIMEOUT' }, ctx)).toMatchObject({ action: 'reject', code: 'ALL_NODES_FAILED' });
  });

  it('keeps a 503 node down for its Retry-After, capped', () => {
    expect(decideAfterAttempt({ kind: 'response', status: 503, retryAfterMs: 2000 }, GET)).toEqual({
      action: 'failover',
      code: 'HTTP_STATUS',
      downForMs: 2000,
      retryAfterMs: 2000,
    });
    expect(decideAfterAttempt({ kind: 'response', status: 503, retryAfterMs: 60_000 }, GET)).toEqual({
      action: 'failover',
      code: 'HTTP_STATUS',
      downForMs: 10_000,
      retryAfterMs: undefined,
    });
  });

  it('retries a 429 on the same node after Retry-After, only when short, safe and allowed', () => {
    expect(decideAfterAttempt({ kind: 'response', status: 429, retryAfterMs: 1000 }, GET)).toEqual({
      action: 'retry-same',
      code: 'RATE_LIMITED',
      delayMs: 1000,
    });
    expect(decideAfterAttempt({ kind: 'response', status: 429, retryAfterMs: 60_000 }, GET)).toEqual({ action: 'accept' });
    expect(decideAfterAttempt({ kind: 'response', status: 429 }, GET)).toEqual({ action: 'accept' });
    expect(decideAfterAttempt({ kind: 'response', status: 429, retryAfterMs: 1000 }, POST)).toEqual({ action: 'accept' });
    expect(decideAfterAttempt({ kind: 'response', status: 429, retryAfterMs: 1000 }, { ...GET, attemptsLeft: 0 })).toEqual({
      action: 'accept',
    });
  });
});
