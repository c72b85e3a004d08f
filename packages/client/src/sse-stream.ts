import { backoffDelay } from './backoff.js';
import type { TimerHandle } from './clock.js';
import { VigieClientError, type AttemptErrorCode } from './errors.js';
import { reportListenerError } from './events.js';
import type { NodeState } from './node-pool.js';
import { discardBody, mergeHeaders, type Abortable, type RequestContext } from './request.js';
import { isFailoverStatus, mayHaveReachedServer, parseRetryAfter } from './retry-policy.js';
import { SseParser } from './sse-parser.js';
import type { StreamErrorInfo, StreamHandle, StreamOptions } from './types.js';
import { normalizePath } from './urls.js';

/** How one connection ended. */
type ConnectionEnd =
  /** The server ended the body: reconnect to a node after the reconnection time. */
  | { kind: 'ended' }
  /** The node failed (network, timeout, 5xx): it was marked failed; back off, then go elsewhere. */
  | { kind: 'failed'; retryAfterMs?: number | undefined }
  /** Nothing arrived for idleTimeoutMs: reconnect, without blaming the node yet. */
  | { kind: 'idle' }
  /** Closed by us, or the server said stop (204), or refused the stream (4xx, wrong type). */
  | { kind: 'stop' };

/**
 * A Server-Sent Events stream over fetch that survives node failures: it parses the stream,
 * reconnects with backoff and jitter, moves to the next healthy node when its node fails, and
 * resumes with `Last-Event-ID` so that a server with a replay buffer neither drops nor repeats
 * events. An event is delivered only once complete, so a connection cut mid-event loses nothing.
 */
export class SseStream implements StreamHandle, Abortable {
  private state: 'connecting' | 'open' | 'closed' = 'connecting';
  private lastId: string;
  private retryMs: number;
  private failures = 0;
  private connections = 0;
  private currentNode: NodeState | undefined;
  private controller: AbortController | undefined;
  private timer: TimerHandle | undefined;
  private wake: (() => void) | undefined;
  private resolveClosed!: () => void;
  private readonly urlPath: string;
  readonly closed: Promise<void>;

  constructor(
    private readonly ctx: RequestContext,
    private readonly path: string,
    private readonly options: StreamOptions,
  ) {
    this.urlPath = normalizePath(path); // validated now, not at the first connection
    this.lastId = options.lastEventId ?? '';
    this.retryMs = options.reconnectDelayMs ?? 1000;
    this.closed = new Promise<void>((resolve) => {
      this.resolveClosed = resolve;
    });
    if (options.signal?.aborted) {
      this.shutdown();
      return;
    }
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
    ctx.active.add(this);
    this.loop().catch((error: unknown) => {
      // Only a bug can land here; report it and end the stream rather than leave it half-alive.
      reportListenerError(error);
      this.shutdown();
    });
  }

  get lastEventId(): string {
    return this.lastId;
  }

  get node(): string | null {
    return this.state === 'open' ? (this.currentNode?.url ?? null) : null;
  }

  get readyState(): 'connecting' | 'open' | 'closed' {
    return this.state;
  }

  /** Stops the stream: aborts the connection, clears the reconnection timer. */
  close(): void {
    this.shutdown();
  }

  /** Used by the client's `close()`. */
  abortWith(): void {
    this.shutdown();
  }

  private readonly onAbort = (): void => this.shutdown();

  // A method rather than a field test: the state changes across awaits, which TS cannot see.
  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private shutdown(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.ctx.active.delete(this);
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.controller?.abort(new VigieClientError('ABORTED', 'stream closed'));
    if (this.timer !== undefined) this.ctx.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.wake?.();
    this.resolveClosed();
  }

  private async loop(): Promise<void> {
    let previous: NodeState | undefined;
    let previousFailed = false;
    while (this.state !== 'closed') {
      const node = this.ctx.pool.select();
      if (node === undefined) {
        this.error(new VigieClientError('NO_NODES', 'the client has no node'), false, undefined);
        this.shutdown();
        return;
      }
      if (previous !== undefined && previousFailed && node !== previous) this.emitFailover(previous, node);
      const end = await this.connect(node);
      if (this.isClosed() || end.kind === 'stop') break;
      previous = node;
      previousFailed = end.kind === 'failed';
      let delay: number;
      if (end.kind === 'failed') {
        delay = end.retryAfterMs ?? backoffDelay(this.failures, this.backoff(), this.random);
        this.failures++;
      } else {
        delay = backoffDelay(0, this.backoff(), this.random);
      }
      this.flushError(delay);
      await this.sleep(delay);
    }
    this.shutdown();
  }

  private get random(): () => number {
    return this.ctx.random;
  }

  private backoff(): { baseMs: number; maxMs: number } {
    const maxMs = this.options.maxReconnectDelayMs ?? 30_000;
    return { baseMs: Math.min(this.retryMs, maxMs), maxMs };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.isClosed()) return resolve();
      this.wake = resolve;
      this.timer = this.ctx.clock.setTimeout(() => {
        this.timer = undefined;
        this.wake = undefined;
        resolve();
      }, ms);
    });
  }

  private emitFailover(from: NodeState, to: NodeState): void {
    if (!this.ctx.emitter.has('failover')) return;
    this.ctx.emitter.emit('failover', {
      kind: 'stream',
      method: 'GET',
      path: this.path,
      from: { index: this.ctx.pool.indexOf(from), url: from.url },
      to: { index: this.ctx.pool.indexOf(to), url: to.url },
      reason: (from.lastError?.split(' ')[0] as AttemptErrorCode | undefined) ?? 'NETWORK_ERROR',
      attempt: this.connections + 1,
    });
  }

  // An error after which the stream reconnects waits for its delay to be drawn (onError gets it).
  private pending: { error: VigieClientError; node: NodeState | undefined } | undefined;

  private error(error: VigieClientError, willRetry: boolean, node: NodeState | undefined): void {
    if (willRetry) {
      this.pending = { error, node };
      return;
    }
    this.report(error, { willRetry: false, node: node?.url });
  }

  private flushError(delayMs: number): void {
    const p = this.pending;
    this.pending = undefined;
    if (p !== undefined) this.report(p.error, { willRetry: true, node: p.node?.url, delayMs });
  }

  private report(error: VigieClientError, info: StreamErrorInfo): void {
    if (this.options.onError === undefined) return;
    try {
      this.options.onError(error, info);
    } catch (e) {
      reportListenerError(e);
    }
  }

  private failNode(node: NodeState, generation: number, code: AttemptErrorCode, status: number | undefined, error: unknown, downForMs?: number): void {
    this.ctx.pool.markFailed(node, { code, status, error }, downForMs, generation);
    const message =
      status === undefined ? `stream ${this.path} on ${node.url}: ${code}` : `stream ${this.path} on ${node.url}: HTTP ${status}`;
    this.error(
      new VigieClientError('NODE_FAILED', message, {
        cause: error,
        status,
        attempts: [
          {
            node: node.url,
            nodeIndex: this.ctx.pool.indexOf(node),
            code,
            status,
            error,
            reachedServer: code !== 'CONNECTION_REFUSED',
            durationMs: 0,
          },
        ],
      }),
      true,
      node,
    );
  }

  private async connect(node: NodeState): Promise<ConnectionEnd> {
    const { clock, pool } = this.ctx;
    const controller = new AbortController();
    this.controller = controller;
    this.currentNode = node;
    this.state = 'connecting';
    const generation = node.generation;
    const sentId = this.lastId;
    const own = typeof this.options.headers === 'function' ? this.options.headers() : this.options.headers;
    const headers = new Headers(mergeHeaders(this.ctx.defaultHeaders, own));
    headers.set('Accept', 'text/event-stream');
    if (sentId !== '') headers.set('Last-Event-ID', sentId);
    const t0 = clock.now();
    node.metrics.start(t0);
    let timedOut = false;
    let idle = false;
    const timeoutMs = this.ctx.timeoutMs;
    let timer: TimerHandle | undefined = clock.setTimeout(() => {
      timedOut = true;
      controller.abort(new VigieClientError('TIMEOUT', `stream did not open within ${timeoutMs} ms`));
    }, timeoutMs);
    const clear = (): void => {
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
    };
    let response: Response;
    try {
      response = await this.ctx.fetch(node.url + this.urlPath, {
        method: 'GET',
        headers,
        cache: 'no-store',
        signal: controller.signal,
      });
    } catch (error) {
      clear();
      if (this.isClosed()) {
        node.metrics.cancelled();
        return { kind: 'stop' };
      }
      node.metrics.failure();
      const code: AttemptErrorCode = timedOut ? 'TIMEOUT' : mayHaveReachedServer(error) ? 'NETWORK_ERROR' : 'CONNECTION_REFUSED';
      this.failNode(node, generation, code, undefined, error);
      return { kind: 'failed' };
    }
    clear();
    const latency = clock.now() - t0;
    const status = response.status;
    node.metrics.response(latency, clock.now(), isFailoverStatus(status));
    node.responseTime = latency;
    if (this.isClosed()) {
      discardBody(response);
      return { kind: 'stop' };
    }
    if (status === 204) {
      // HTML spec: 204 No Content means "do not reconnect".
      discardBody(response);
      return { kind: 'stop' };
    }
    if (isFailoverStatus(status) || status === 429) {
      discardBody(response);
      const ra = parseRetryAfter(response.headers.get('retry-after'), Date.now());
      const capped = ra === undefined ? undefined : Math.min(ra, this.ctx.maxRetryAfterMs);
      if (status === 429) {
        // The node is up but busy: not its failure, just wait as told.
        this.error(new VigieClientError('HTTP_ERROR', `stream ${this.path} on ${node.url}: HTTP 429`, { status }), true, node);
        return { kind: 'failed', retryAfterMs: capped };
      }
      this.failNode(node, generation, 'HTTP_STATUS', status, undefined, status === 503 ? capped : undefined);
      return { kind: 'failed' };
    }
    const type = response.headers.get('content-type') ?? '';
    if (status !== 200 || !/^text\/event-stream\b/i.test(type) || response.body === null) {
      discardBody(response);
      this.error(
        new VigieClientError(
          'STREAM_REJECTED',
          status !== 200
            ? `stream ${this.path} refused by ${node.url}: HTTP ${status}`
            : `stream ${this.path} on ${node.url} is not text/event-stream (${type || 'no content-type'})`,
          { status },
        ),
        false,
        node,
      );
      return { kind: 'stop' };
    }
    if (node.status === 'failed') pool.markUp(node, 'success', generation);
    pool.noteSuccess(node);
    this.state = 'open';
    this.failures = 0;
    this.connections++;
    this.call(() => this.options.onOpen?.({ node: node.url, status, resumedFrom: sentId, connection: this.connections }));

    const parser = new SseParser(
      {
        onEvent: (event) => {
          this.lastId = event.lastEventId;
          if (this.isClosed()) return;
          const message = { type: event.type, data: event.data, lastEventId: event.lastEventId, node: node.url };
          this.call(() => this.options.onMessage(message));
        },
        onRetry: (ms) => {
          this.retryMs = ms;
        },
      },
      sentId,
    );
    const idleMs = this.options.idleTimeoutMs ?? 0;
    const armIdle = (): void => {
      if (idleMs <= 0) return;
      clear();
      timer = clock.setTimeout(() => {
        idle = true;
        controller.abort(new VigieClientError('TIMEOUT', `no data for ${idleMs} ms`));
      }, idleMs);
    };
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    try {
      armIdle();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        armIdle();
        parser.feed(decoder.decode(value, { stream: true }));
        // Keep lastEventId in step even for data-less events (they still move the id).
        this.lastId = parser.lastEventId;
        if (this.isClosed()) break;
      }
      clear();
      parser.feed(decoder.decode());
      this.lastId = parser.lastEventId;
      return this.isClosed() ? { kind: 'stop' } : { kind: 'ended' };
    } catch (error) {
      clear();
      this.lastId = parser.lastEventId;
      if (this.isClosed()) return { kind: 'stop' };
      if (idle) {
        this.error(new VigieClientError('TIMEOUT', `stream ${this.path} on ${node.url}: no data for ${idleMs} ms`), true, node);
        return { kind: 'idle' };
      }
      node.metrics.errors++;
      this.failNode(node, node.generation, 'NETWORK_ERROR', undefined, error);
      return { kind: 'failed' };
    } finally {
      try {
        reader.releaseLock();
      } catch {
        // Nothing to release once the body has errored.
      }
    }
  }

  // User callbacks must not break the stream: errors are reported, the stream goes on.
  private call(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      reportListenerError(e);
    }
  }
}
