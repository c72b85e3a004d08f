import type { AttemptErrorCode } from './errors.js';

// RFC 9110 §9.2.2: repeating these has the same effect as sending once.
const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

// The seed's list: these mean "this node is sick", other 5xx (501, 505…) describe the request.
const FAILOVER_STATUSES: ReadonlySet<number> = new Set([500, 502, 503, 504]);

// Error codes (Node/undici) that prove the TCP connection was never made, so nothing was sent.
const NOT_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** True for methods that may be repeated safely (GET, HEAD, OPTIONS, PUT, DELETE, TRACE). */
export function isIdempotentMethod(method: string): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase());
}

/** True for 500/502/503/504: the node is failing, the request may go elsewhere. */
export function isFailoverStatus(status: number): boolean {
  return FAILOVER_STATUSES.has(status);
}

/** True when the request headers carry a non-empty `Idempotency-Key`. */
export function hasIdempotencyKey(headers: HeadersInit | undefined): boolean {
  if (headers === undefined) return false;
  if (typeof Headers !== 'undefined' && headers instanceof Headers) return !!headers.get('idempotency-key');
  if (Array.isArray(headers)) {
    return headers.some((pair) => String(pair[0]).toLowerCase() === 'idempotency-key' && !!pair[1]);
  }
  for (const [k, v] of Object.entries(headers as Record<string, string>)) {
    if (k.toLowerCase() === 'idempotency-key' && !!v) return true;
  }
  return false;
}

/** True when a request body can be sent a second time (a stream is consumed by the first send). */
export function isReplayableBody(body: unknown): boolean {
  if (body === undefined || body === null) return true;
  if (typeof body === 'string') return true;
  if (typeof ReadableStream !== 'undefined' && body instanceof ReadableStream) return false;
  if (typeof body === 'object' && Symbol.asyncIterator in body) return false;
  return true;
}

/**
 * Whether a failed fetch may have reached the server. Only a connection that provably never
 * opened (refused, unknown host) answers false; browsers hide the cause of network errors, so
 * there every network error answers true and only idempotent requests move on.
 */
export function mayHaveReachedServer(error: unknown): boolean {
  const seen = new Set<unknown>();
  const stack: unknown[] = [error];
  while (stack.length > 0) {
    const e = stack.pop();
    if (typeof e !== 'object' || e === null || seen.has(e)) continue;
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NOT_SENT_CODES.has(code)) return false;
    stack.push((e as { cause?: unknown }).cause);
    // Node's happy-eyeballs connect failure is an AggregateError of one error per address.
    const inner = (e as { errors?: unknown }).errors;
    if (Array.isArray(inner) && inner.length > 0) {
      // All addresses must have refused for the request to be certainly unsent.
      if (inner.every((x) => !mayHaveReachedServer(x))) return false;
    }
  }
  return true;
}

/**
 * `Retry-After` as a delay in ms from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
 * The one parser of the project (the server package imports it too). Undefined when absent or
 * unreadable, so that garbage is ignored rather than read as "retry at once"; a date in the past
 * gives 0. A repeated header (Node gives an array) is read by its first value.
 */
export function parseRetryAfter(value: string | readonly string[] | null | undefined, wallNowMs: number): number | undefined {
  const v = (typeof value === 'string' ? value : value?.[0])?.trim();
  if (!v) return undefined;
  // Seconds are integers in the RFC; a decimal is read leniently, a sign is not ("-5" is garbage).
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  // HTTP dates always name a month; this keeps Date.parse's leniency ("-5" is a year) out.
  if (!/[a-z]{3}/i.test(v)) return undefined;
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - wallNowMs);
}

/** What one attempt produced, reduced to what the decision needs. */
export type AttemptOutcome =
  | { readonly kind: 'response'; readonly status: number; readonly retryAfterMs?: number | undefined }
  | { readonly kind: 'error'; readonly code: 'CONNECTION_REFUSED' | 'NETWORK_ERROR' | 'TIMEOUT' };

/** Facts about the request that bound what may be done after a failure. */
export interface RetryContext {
  /** Idempotent method or `Idempotency-Key` header: safe to send again once it reached a server. */
  readonly safeToResend: boolean;
  /** The body can be sent again (not a stream). */
  readonly replayableBody: boolean;
  /** Attempts still allowed by `maxAttempts`. */
  readonly attemptsLeft: number;
  /** Cap on any `Retry-After` honoured, ms. */
  readonly maxRetryAfterMs: number;
}

/** What to do after one attempt. */
export type RetryDecision =
  /** Hand this answer to the caller (2xx, 3xx, 4xx, other 5xx). */
  | { readonly action: 'accept' }
  /** The node failed: mark it (down for `downForMs` if set) and send to the next healthy node. */
  | {
      readonly action: 'failover';
      readonly code: AttemptErrorCode;
      readonly downForMs?: number | undefined;
      /** When no other node is left, the same node may be tried again after this delay. */
      readonly retryAfterMs?: number | undefined;
    }
  /** Wait (honouring `Retry-After`) and try the same node again; the node is not failed. */
  | { readonly action: 'retry-same'; readonly code: AttemptErrorCode; readonly delayMs: number }
  /** Stop. `markFailed` says whether the node is to blame. */
  | {
      readonly action: 'reject';
      readonly code: 'NOT_RETRYABLE' | 'ALL_NODES_FAILED';
      readonly attemptCode: AttemptErrorCode;
      readonly markFailed: boolean;
    };

/**
 * The failover decision for one attempt (pure). Network errors, timeouts and 500/502/503/504
 * fail the node; the request then moves only if it is safe: a connection that was refused never
 * carried the request, anything else may have, so only idempotent or keyed requests move.
 * 4xx never moves; 429 with a short enough `Retry-After` is retried on the same node.
 */
export function decideAfterAttempt(outcome: AttemptOutcome, ctx: RetryContext): RetryDecision {
  if (outcome.kind === 'response') {
    const { status, retryAfterMs } = outcome;
    const honoured =
      retryAfterMs !== undefined && retryAfterMs <= ctx.maxRetryAfterMs ? retryAfterMs : undefined;
    if (status === 429) {
      if (honoured !== undefined && ctx.safeToResend && ctx.replayableBody && ctx.attemptsLeft > 0) {
        return { action: 'retry-same', code: 'RATE_LIMITED', delayMs: honoured };
      }
      return { action: 'accept' };
    }
    if (!isFailoverStatus(status)) return { action: 'accept' };
    if (!ctx.safeToResend || !ctx.replayableBody) {
      return { action: 'reject', code: 'NOT_RETRYABLE', attemptCode: 'HTTP_STATUS', markFailed: true };
    }
    if (ctx.attemptsLeft <= 0) {
      return { action: 'reject', code: 'ALL_NODES_FAILED', attemptCode: 'HTTP_STATUS', markFailed: true };
    }
    const downForMs =
      status === 503 && retryAfterMs !== undefined ? Math.min(retryAfterMs, ctx.maxRetryAfterMs) : undefined;
    return { action: 'failover', code: 'HTTP_STATUS', downForMs, retryAfterMs: status === 503 ? honoured : undefined };
  }
  const reached = outcome.code !== 'CONNECTION_REFUSED';
  if (!ctx.replayableBody || (reached && !ctx.safeToResend)) {
    return { action: 'reject', code: 'NOT_RETRYABLE', attemptCode: outcome.code, markFailed: true };
  }
  if (ctx.attemptsLeft <= 0) {
    return { action: 'reject', code: 'ALL_NODES_FAILED', attemptCode: outcome.code, markFailed: true };
  }
  return { action: 'failover', code: outcome.code };
}
