import type { Clock, TimerHandle } from './clock.js';
import type { ControllerReserve } from './controller-reserve.js';
import { describeAttempts, VigieClientError, type AttemptFailure, type ClientErrorCode } from './errors.js';
import type { Emitter } from './events.js';
import type { NodePool, NodeState } from './node-pool.js';
import {
  decideAfterAttempt,
  hasIdempotencyKey,
  isFailoverStatus,
  isIdempotentMethod,
  isReplayableBody,
  mayHaveReachedServer,
  parseRetryAfter,
  type RetryDecision,
} from './retry-policy.js';
import type { ClientEvents, FetchLike, RequestOptions } from './types.js';
import { normalizePath } from './urls.js';

/** Something `close()` can stop. */
export interface Abortable {
  abortWith(error: VigieClientError): void;
}

/** What requests share with the client. */
export interface RequestContext {
  readonly pool: NodePool;
  readonly clock: Clock;
  readonly random: () => number;
  readonly fetch: FetchLike;
  readonly emitter: Emitter<ClientEvents>;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly hedgeAfterMs: number | undefined;
  readonly maxRetryAfterMs: number;
  readonly defaultHeaders: HeadersInit | undefined;
  /** Where attempts get their AbortController (made ahead of time when possible). */
  readonly controllers: ControllerReserve;
  /** Requests and streams under way, for `close()`. */
  readonly active: Set<Abortable>;
}

/** Reads the body inside the attempt, so that a body cut off mid-way counts as a node failure. */
export type Consume<T> = (response: Response) => Promise<T>;

/** A successful request: the answer, the consumed body if asked, the node that answered. */
export interface RequestResult<T> {
  readonly response: Response;
  readonly value: T | undefined;
  readonly node: string;
}

type ErrorCode = 'TIMEOUT' | 'NETWORK_ERROR' | 'CONNECTION_REFUSED';

interface Settled<T> {
  readonly response?: Response | undefined;
  readonly value?: T | undefined;
  readonly error?: unknown;
  /** Undefined when the attempt was cancelled by us. */
  readonly errorCode?: ErrorCode | undefined;
  readonly durationMs: number;
  readonly retryAfterMs?: number | undefined;
}

/** One send of the request to one node. */
class Attempt {
  readonly generation: number;
  cancelled = false;

  constructor(
    readonly node: NodeState,
    readonly nodeIndex: number,
    readonly controller: AbortController,
  ) {
    this.generation = node.generation;
  }

  /** Cancels the attempt on our side (loser of a hedge, caller abort, close). */
  cancel(reason: unknown): void {
    this.cancelled = true;
    this.controller.abort(reason);
  }
}

/** Merges client-wide headers under the request's own (only when client-wide headers exist). */
export function mergeHeaders(defaults: HeadersInit | undefined, own: HeadersInit | undefined): HeadersInit | undefined {
  if (defaults === undefined) return own;
  const merged = new Headers(defaults);
  if (own !== undefined) new Headers(own).forEach((value, key) => merged.set(key, value));
  return merged;
}

/** Cancels an unread body so its connection is released; never throws. */
export function discardBody(response: Response | undefined): void {
  if (response === undefined || response.bodyUsed || response.body === null) return;
  try {
    response.body.cancel().catch(() => undefined);
  } catch {
    // A locked body is being read by someone else; nothing to release here.
  }
}

/**
 * One request across nodes: sends attempts, applies the retry policy to each outcome, hedges,
 * and settles once. Event-driven rather than a loop because hedged attempts race each other, and
 * the caller's abort must settle at once without waiting for fetch to notice.
 */
class RequestRun<T> implements Abortable {
  private readonly method: string;
  private readonly urlPath: string;
  private readonly init: RequestOptions;
  private readonly headers: HeadersInit | undefined;
  private readonly signal: AbortSignal | undefined;
  private readonly timeoutMs: number;
  private readonly hedgeAfterMs: number | undefined;
  private readonly safeToResend: boolean;
  private readonly replayable: boolean;
  // Arrays, not Sets: they hold at most maxAttempts items and are allocated per request.
  private readonly tried: NodeState[] = [];
  private running: Attempt[] = [];
  private readonly failures: AttemptFailure[] = [];
  private started = 0;
  private hedged = false;
  private finished = false;
  private hedgeTimer: TimerHandle | undefined;
  private waitTimer: TimerHandle | undefined;
  private lastResponse: Response | undefined;
  private resolve!: (result: RequestResult<T>) => void;
  private reject!: (error: VigieClientError) => void;

  constructor(
    private readonly ctx: RequestContext,
    private readonly path: string,
    init: RequestOptions,
    private readonly consume: Consume<T> | undefined,
  ) {
    this.method = (init.method ?? 'GET').toUpperCase();
    if ((this.method === 'GET' || this.method === 'HEAD') && init.body !== undefined && init.body !== null) {
      // fetch would reject on every node alike; caught here it is not mistaken for node failures.
      throw new VigieClientError('INVALID_ARGUMENT', `${this.method} ${path} cannot have a body`);
    }
    // Validated once, before any attempt, so that a bad path is an argument error.
    this.urlPath = normalizePath(path);
    const headers = mergeHeaders(ctx.defaultHeaders, init.headers);
    this.init = init;
    this.headers = headers;
    this.signal = init.signal ?? undefined;
    this.timeoutMs = init.timeoutMs ?? ctx.timeoutMs;
    const idempotent = isIdempotentMethod(this.method);
    this.safeToResend = idempotent || hasIdempotencyKey(headers);
    this.replayable = isReplayableBody(init.body);
    const hedge = init.hedge;
    const after = hedge === false ? undefined : typeof hedge === 'number' ? hedge : ctx.hedgeAfterMs;
    // Hedging sends two copies at once: only for requests that are safe to run twice.
    this.hedgeAfterMs = idempotent && this.replayable ? after : undefined;
  }

  /** Starts the first attempt; the promise settles once for the whole request. */
  start(): Promise<RequestResult<T>> {
    const promise = new Promise<RequestResult<T>>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    if (this.signal?.aborted) {
      this.finished = true;
      this.reject(new VigieClientError('ABORTED', `${this.method} ${this.path} aborted before it started`, { cause: this.signal.reason }));
      return promise;
    }
    this.ctx.active.add(this);
    if (this.signal !== undefined) {
      this.onAbort = this.abortedByCaller.bind(this);
      this.signal.addEventListener('abort', this.onAbort);
    }
    const node = this.ctx.pool.select(this.tried);
    if (node === undefined) this.fail('NO_NODES', 'the client has no node');
    else this.launch(node);
    return promise;
  }

  /** Settles the request with `error` and cancels everything under way (caller abort, close). */
  abortWith(error: VigieClientError): void {
    if (this.finished) return;
    this.finish();
    for (const a of this.running) a.cancel(error);
    this.reject(error);
  }

  private onAbort: (() => void) | undefined;

  private abortedByCaller(): void {
    const reason = this.signal?.reason;
    this.abortWith(
      new VigieClientError('ABORTED', `${this.method} ${this.path} aborted by the caller`, { attempts: [...this.failures], cause: reason }),
    );
  }

  private launch(node: NodeState): void {
    this.started++;
    this.tried.push(node);
    const attempt = new Attempt(node, this.ctx.pool.indexOf(node), this.ctx.controllers.take());
    this.running.push(attempt);
    void this.send(attempt).then((settled) => this.settle(attempt, settled));
    if (
      this.hedgeAfterMs !== undefined &&
      !this.hedged &&
      this.hedgeTimer === undefined &&
      this.running.length === 1 &&
      this.started < this.ctx.maxAttempts
    ) {
      this.hedgeTimer = this.ctx.clock.setTimeout(() => this.onHedge(), this.hedgeAfterMs);
    }
  }

  private onHedge(): void {
    this.hedgeTimer = undefined;
    if (this.finished || this.hedged || this.running.length !== 1 || this.started >= this.ctx.maxAttempts) return;
    const node = this.ctx.pool.select(this.tried, true);
    if (node === undefined) return;
    this.hedged = true;
    const [first] = this.running;
    if (first !== undefined && this.ctx.emitter.has('hedge')) {
      this.ctx.emitter.emit('hedge', {
        method: this.method,
        path: this.path,
        first: { index: this.ctx.pool.indexOf(first.node), url: first.node.url },
        hedge: { index: this.ctx.pool.indexOf(node), url: node.url },
        afterMs: this.hedgeAfterMs ?? 0,
      });
    }
    this.launch(node);
  }

  // Never rejects: every outcome becomes a Settled value.
  private async send(attempt: Attempt): Promise<Settled<T>> {
    const { clock } = this.ctx;
    const metrics = attempt.node.metrics;
    const t0 = clock.now();
    metrics.start(t0);
    let timedOut = false;
    const timer = clock.setTimeout(() => {
      timedOut = true;
      attempt.controller.abort(new VigieClientError('TIMEOUT', `no answer from ${attempt.node.url} within ${this.timeoutMs} ms`));
    }, this.timeoutMs);
    let response: Response | undefined;
    let headersAt = t0;
    try {
      const pending = this.ctx.fetch(attempt.node.url + this.urlPath, {
        ...this.init,
        method: this.method,
        headers: this.headers,
        signal: attempt.controller.signal,
      });
      this.ctx.controllers.refillSoon();
      response = await pending;
      headersAt = clock.now();
      const status = response.status;
      const failed = isFailoverStatus(status);
      let value: T | undefined;
      if (this.consume !== undefined && !failed) value = await this.consume(response);
      clock.clearTimeout(timer);
      const latency = headersAt - t0;
      metrics.response(latency, headersAt, failed);
      attempt.node.responseTime = latency;
      const retryAfterMs =
        status === 429 || status === 503 ? parseRetryAfter(response.headers.get('retry-after'), Date.now()) : undefined;
      return { response, value, durationMs: latency, retryAfterMs };
    } catch (error) {
      clock.clearTimeout(timer);
      const durationMs = clock.now() - t0;
      if (attempt.cancelled) {
        metrics.cancelled();
        return { error, durationMs };
      }
      metrics.failure();
      const code: ErrorCode = timedOut
        ? 'TIMEOUT'
        : response === undefined && !mayHaveReachedServer(error)
          ? 'CONNECTION_REFUSED'
          : 'NETWORK_ERROR';
      discardBody(response);
      return { error: timedOut ? attempt.controller.signal.reason : error, errorCode: code, durationMs };
    }
  }

  private settle(attempt: Attempt, s: Settled<T>): void {
    this.running = this.running.filter((a) => a !== attempt);
    if (this.finished || (s.response === undefined && s.errorCode === undefined)) {
      // Loser of a hedge, or cancelled: its answer is not wanted.
      discardBody(s.response);
      return;
    }
    if (this.hedgeTimer !== undefined && this.running.length === 0) {
      this.ctx.clock.clearTimeout(this.hedgeTimer);
      this.hedgeTimer = undefined;
    }
    const { pool } = this.ctx;
    const node = attempt.node;
    const decision = decideAfterAttempt(
      s.response !== undefined
        ? { kind: 'response', status: s.response.status, retryAfterMs: s.retryAfterMs }
        : { kind: 'error', code: s.errorCode ?? 'NETWORK_ERROR' },
      {
        safeToResend: this.safeToResend,
        replayableBody: this.replayable,
        attemptsLeft: this.ctx.maxAttempts - this.started,
        maxRetryAfterMs: this.ctx.maxRetryAfterMs,
      },
    );
    if (decision.action === 'accept') {
      // Only answers can be accepted (errors never are), so the response is there.
      const response = s.response as Response;
      if (node.status === 'failed') pool.markUp(node, 'success', attempt.generation);
      pool.noteSuccess(node);
      this.succeed(attempt, response, s.value);
      return;
    }
    const code = decision.action === 'reject' ? decision.attemptCode : decision.code;
    this.failures.push({
      node: node.url,
      nodeIndex: attempt.nodeIndex,
      code,
      status: s.response?.status,
      error: s.error,
      reachedServer: code !== 'CONNECTION_REFUSED',
      durationMs: s.durationMs,
    });
    if (decision.action === 'retry-same') {
      discardBody(s.response);
      if (this.running.length === 0) this.wait(decision.delayMs, node);
      return;
    }
    const failure = { code, status: s.response?.status, error: s.error };
    const downForMs = decision.action === 'failover' ? decision.downForMs : undefined;
    pool.markFailed(node, failure, downForMs, attempt.generation);
    if (decision.action === 'reject' && decision.code === 'NOT_RETRYABLE' && s.response !== undefined) {
      // Kept unread for the caller: a non-idempotent request's 5xx body may say what happened.
      discardBody(this.lastResponse);
      this.lastResponse = s.response;
    } else {
      discardBody(s.response);
    }
    if (this.running.length > 0) return; // a hedged copy is still under way and may answer
    if (decision.action === 'reject') {
      this.fail(decision.code);
      return;
    }
    this.next(node, decision);
  }

  private next(from: NodeState, decision: RetryDecision & { action: 'failover' }): void {
    if (this.started >= this.ctx.maxAttempts) {
      this.fail('ALL_NODES_FAILED');
      return;
    }
    const to = this.ctx.pool.select(this.tried);
    if (to !== undefined) {
      if (this.ctx.emitter.has('failover')) {
        const last = this.failures[this.failures.length - 1];
        this.ctx.emitter.emit('failover', {
          kind: 'request',
          method: this.method,
          path: this.path,
          from: { index: this.ctx.pool.indexOf(from), url: from.url },
          to: { index: this.ctx.pool.indexOf(to), url: to.url },
          reason: decision.code,
          status: last?.status,
          attempt: this.started + 1,
        });
      }
      this.launch(to);
      return;
    }
    // No other node: a 503 that said when to come back is retried on the same node.
    if (decision.retryAfterMs !== undefined && !from.removed) {
      this.wait(decision.retryAfterMs, from);
      return;
    }
    this.fail('ALL_NODES_FAILED');
  }

  private wait(delayMs: number, node: NodeState): void {
    this.waitTimer = this.ctx.clock.setTimeout(() => {
      this.waitTimer = undefined;
      if (!this.finished) this.launch(node);
    }, delayMs);
  }

  private succeed(winner: Attempt, response: Response, value: T | undefined): void {
    this.finish();
    for (const a of this.running) a.cancel(new VigieClientError('ABORTED', 'another node answered first'));
    discardBody(this.lastResponse);
    const signal = this.signal;
    if (signal !== undefined && this.consume === undefined) {
      // The body is still streaming: the caller's signal must still be able to cut it.
      signal.addEventListener('abort', () => winner.controller.abort(signal.reason), { once: true });
    }
    this.resolve({ response, value, node: winner.node.url });
  }

  private fail(code: ClientErrorCode, message?: string): void {
    this.finish();
    for (const a of this.running) a.cancel(new VigieClientError('ABORTED', 'request failed'));
    const attempts = [...this.failures];
    const last = attempts[attempts.length - 1];
    const what = `${this.method} ${this.path}`;
    const text =
      message ??
      (code === 'NOT_RETRYABLE'
        ? `${what} failed on ${last?.node ?? 'its node'} (${last?.code ?? 'error'}) after it may have reached the server; not resent because ${this.replayable ? 'the method is not idempotent and there is no Idempotency-Key' : 'its body is a stream'}`
        : `${what} failed on every node tried (${attempts.length} attempt${attempts.length === 1 ? '' : 's'}): ${describeAttempts(attempts)}`);
    const response = code === 'NOT_RETRYABLE' ? this.lastResponse : undefined;
    this.reject(new VigieClientError(code, text, { attempts, cause: last?.error, status: last?.status, response }));
  }

  // Common to every way of settling: stop timers, stop listening.
  private finish(): void {
    this.finished = true;
    this.ctx.active.delete(this);
    if (this.hedgeTimer !== undefined) this.ctx.clock.clearTimeout(this.hedgeTimer);
    if (this.waitTimer !== undefined) this.ctx.clock.clearTimeout(this.waitTimer);
    this.hedgeTimer = undefined;
    this.waitTimer = undefined;
    if (this.onAbort !== undefined) this.signal?.removeEventListener('abort', this.onAbort);
  }
}

/** Runs one request with failover, retries and hedging. */
export function executeRequest<T>(
  ctx: RequestContext,
  path: string,
  init: RequestOptions,
  consume?: Consume<T>,
): Promise<RequestResult<T>> {
  try {
    return new RequestRun<T>(ctx, path, init, consume).start();
  } catch (error) {
    // Argument errors reject like every other failure (callers need not wrap the call in try).
    return Promise.reject(error);
  }
}
