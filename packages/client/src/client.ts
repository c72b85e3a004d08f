import { systemClock, type Clock } from './clock.js';
import { ControllerReserve } from './controller-reserve.js';
import { VigieClientError, type AttemptErrorCode } from './errors.js';
import { Emitter } from './events.js';
import { HealthChecker, type Probe } from './health-checker.js';
import { NodePool, type NodesHealthStatus } from './node-pool.js';
import { discardBody, executeRequest, mergeHeaders, type Abortable, type RequestContext } from './request.js';
import { mayHaveReachedServer } from './retry-policy.js';
import { SseStream } from './sse-stream.js';
import { createStrategy, STRATEGY_NAMES, type StrategyName } from './strategies/index.js';
import type {
  ClientEvents,
  ClientOptions,
  FetchLike,
  JsonRequestOptions,
  RequestOptions,
  StreamHandle,
  StreamOptions,
} from './types.js';
import { joinUrl } from './urls.js';

/** Defaults, from the seed (5 s request timeout, 30 s probes, 3 tries). */
export const DEFAULTS = {
  timeoutMs: 5000,
  healthCheckIntervalMs: 30_000,
  healthPath: '/api/health',
  strategy: 'failover' as StrategyName,
  maxAttempts: 3,
  maxRetryAfterMs: 10_000,
  ewmaDecayMs: 10_000,
} as const;

/** A failover HTTP client over a list of nodes. */
export interface VigieClient {
  /** fetch-like request with failover; `path` is appended to the chosen node's base URL. */
  request(path: string, init?: RequestOptions): Promise<Response>;
  /** Request whose body is read as JSON (inside the attempt, so a cut body fails over too); non-2xx throws HTTP_ERROR. */
  json<T = unknown>(path: string, init?: JsonRequestOptions): Promise<T>;
  /** GET and parse JSON. */
  getJson<T = unknown>(path: string, init?: RequestOptions): Promise<T>;
  /** POST a JSON body and parse the JSON answer (not resent once it may have arrived, unless it has an Idempotency-Key). */
  postJson<T = unknown>(path: string, body: unknown, init?: RequestOptions): Promise<T>;
  /** PUT a JSON body and parse the JSON answer. */
  putJson<T = unknown>(path: string, body: unknown, init?: RequestOptions): Promise<T>;
  /** PATCH a JSON body and parse the JSON answer (not idempotent). */
  patchJson<T = unknown>(path: string, body: unknown, init?: RequestOptions): Promise<T>;
  /** DELETE and parse the JSON answer (undefined for an empty body). */
  deleteJson<T = unknown>(path: string, init?: RequestOptions): Promise<T>;
  /** Opens a Server-Sent Events stream that fails over and resumes with Last-Event-ID. */
  stream(path: string, options: StreamOptions): StreamHandle;
  /** Current node and, per node, status, response time and metrics (a snapshot, no I/O). */
  getNodesHealthStatus(): NodesHealthStatus;
  /** Probes every node now, updates their status, and returns the new snapshot. */
  checkHealth(): Promise<NodesHealthStatus>;
  /** Makes node `index` current (and healthy again); false when there is no such node. */
  switchToNode(index: number): boolean;
  /** Marks every failed node healthy again. */
  resetFailedNodes(): void;
  /** Adds a node at the end of the list; returns its index (existing index if already there). */
  addNode(url: string): number;
  /** Removes a node; requests under way on it finish. False when it was not there. */
  removeNode(url: string): boolean;
  /** Subscribes to `failover`, `nodeDown`, `nodeUp` or `hedge`; returns the unsubscribe function. */
  on<K extends keyof ClientEvents>(name: K, listener: (event: ClientEvents[K]) => void): () => void;
  /** Unsubscribes a listener. */
  off<K extends keyof ClientEvents>(name: K, listener: (event: ClientEvents[K]) => void): void;
  /** Stops every timer, aborts requests and streams under way; later calls fail with CLOSED. */
  close(): void;
  /** True once `close()` was called. */
  readonly closed: boolean;
}

function positive(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new VigieClientError('INVALID_ARGUMENT', `${name} must be a ${allowZero ? 'non-negative' : 'positive'} number of ms, got ${String(value)}`);
  }
  return value;
}

const globalFetch: FetchLike = (input, init) => globalThis.fetch(input, init);

class Client implements VigieClient {
  private readonly pool: NodePool;
  private readonly emitter = new Emitter<ClientEvents>();
  private readonly checker: HealthChecker;
  private readonly ctx: RequestContext;
  private readonly active = new Set<Abortable>();
  private readonly controllers = new ControllerReserve();
  private readonly clock: Clock;
  private isClosed = false;

  constructor(options: ClientOptions) {
    if (!Array.isArray(options?.nodes) || options.nodes.length === 0) {
      throw new VigieClientError('INVALID_ARGUMENT', 'nodes must be a non-empty array of base URLs');
    }
    const strategyName = options.strategy ?? DEFAULTS.strategy;
    if (!STRATEGY_NAMES.includes(strategyName)) {
      throw new VigieClientError('INVALID_ARGUMENT', `strategy must be one of ${STRATEGY_NAMES.join(', ')}, got ${String(strategyName)}`);
    }
    const maxAttempts = options.maxAttempts ?? DEFAULTS.maxAttempts;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
      throw new VigieClientError('INVALID_ARGUMENT', `maxAttempts must be an integer ≥ 1, got ${String(maxAttempts)}`);
    }
    const healthPath = options.healthPath ?? DEFAULTS.healthPath;
    if (typeof healthPath !== 'string' || !healthPath.startsWith('/')) {
      throw new VigieClientError('INVALID_ARGUMENT', `healthPath must start with "/", got ${JSON.stringify(healthPath)}`);
    }
    const timeoutMs = positive('timeoutMs', options.timeoutMs, DEFAULTS.timeoutMs);
    const intervalMs = positive('healthCheckIntervalMs', options.healthCheckIntervalMs, DEFAULTS.healthCheckIntervalMs, true);
    const probeTimeoutMs = positive('healthCheckTimeoutMs', options.healthCheckTimeoutMs, timeoutMs);
    const hedgeAfterMs = options.hedgeAfterMs === undefined ? undefined : positive('hedgeAfterMs', options.hedgeAfterMs, 0, true);
    const maxRetryAfterMs = positive('maxRetryAfterMs', options.maxRetryAfterMs, DEFAULTS.maxRetryAfterMs, true);
    const ewmaDecayMs = positive('ewmaDecayMs', options.ewmaDecayMs, DEFAULTS.ewmaDecayMs);
    this.clock = options.clock ?? systemClock;
    const random = options.random ?? Math.random;
    const fetchFn = options.fetch ?? globalFetch;

    this.pool = new NodePool(options.nodes, {
      strategy: createStrategy(strategyName),
      clock: this.clock,
      random,
      failback: options.failback ?? true,
      ewmaDecayMs,
      listener: {
        nodeDown: (node, index, failure) => {
          this.emitter.emit('nodeDown', { index, url: node.url, reason: failure.code, status: failure.status, error: failure.error });
          this.checker.schedule();
        },
        nodeUp: (node, index, reason) => {
          this.emitter.emit('nodeUp', { index, url: node.url, reason });
        },
      },
    });
    const defaultHeaders = options.headers;
    const probe: Probe = async (node, signal) => {
      const t0 = this.clock.now();
      const controller = new AbortController();
      const onAbort = (): void => controller.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      let timedOut = false;
      const timer = this.clock.setTimeout(() => {
        timedOut = true;
        controller.abort(new VigieClientError('TIMEOUT', `health probe timed out after ${probeTimeoutMs} ms`));
      }, probeTimeoutMs);
      try {
        const headers = mergeHeaders(defaultHeaders, undefined);
        const response = await fetchFn(joinUrl(node.url, healthPath), {
          method: 'GET',
          cache: 'no-store',
          signal: controller.signal,
          ...(headers === undefined ? {} : { headers }),
        });
        discardBody(response);
        return { healthy: response.ok, durationMs: this.clock.now() - t0, status: response.status };
      } catch (error) {
        const code: AttemptErrorCode = timedOut ? 'TIMEOUT' : mayHaveReachedServer(error) ? 'NETWORK_ERROR' : 'CONNECTION_REFUSED';
        return { healthy: false, durationMs: this.clock.now() - t0, error, code };
      } finally {
        this.clock.clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      }
    };
    this.checker = new HealthChecker(this.pool, probe, this.clock, intervalMs);
    this.ctx = {
      pool: this.pool,
      clock: this.clock,
      random,
      fetch: fetchFn,
      emitter: this.emitter,
      timeoutMs,
      maxAttempts,
      hedgeAfterMs,
      maxRetryAfterMs,
      defaultHeaders,
      controllers: this.controllers,
      active: this.active,
    };
  }

  get closed(): boolean {
    return this.isClosed;
  }

  async request(path: string, init: RequestOptions = {}): Promise<Response> {
    this.assertOpen();
    const { response } = await executeRequest<never>(this.ctx, path, init);
    return response;
  }

  async json<T = unknown>(path: string, init: JsonRequestOptions = {}): Promise<T> {
    this.assertOpen();
    const { json, ...rest } = init;
    // A JSON body without a method means POST (GET cannot carry a body).
    if (json !== undefined && rest.method === undefined) rest.method = 'POST';
    const headers = new Headers(rest.headers);
    if (!headers.has('accept')) headers.set('accept', 'application/json');
    let body = rest.body;
    if (json !== undefined) {
      body = JSON.stringify(json);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    }
    const { response, value } = await executeRequest(this.ctx, path, { ...rest, headers, body }, (r) => r.text());
    const text = value ?? '';
    let parsed: unknown = undefined;
    let parseError: unknown;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch (e) {
        parseError = e;
        parsed = text;
      }
    }
    if (!response.ok) {
      throw new VigieClientError('HTTP_ERROR', `${(rest.method ?? 'GET').toUpperCase()} ${path}: HTTP ${response.status}`, {
        status: response.status,
        body: parsed,
      });
    }
    if (parseError !== undefined) {
      throw new VigieClientError('INVALID_RESPONSE', `${path}: answer is not JSON`, { status: response.status, body: text, cause: parseError });
    }
    return parsed as T;
  }

  getJson<T = unknown>(path: string, init: RequestOptions = {}): Promise<T> {
    return this.json<T>(path, { ...init, method: 'GET' });
  }

  postJson<T = unknown>(path: string, body: unknown, init: RequestOptions = {}): Promise<T> {
    return this.json<T>(path, { ...init, method: 'POST', json: body });
  }

  putJson<T = unknown>(path: string, body: unknown, init: RequestOptions = {}): Promise<T> {
    return this.json<T>(path, { ...init, method: 'PUT', json: body });
  }

  patchJson<T = unknown>(path: string, body: unknown, init: RequestOptions = {}): Promise<T> {
    return this.json<T>(path, { ...init, method: 'PATCH', json: body });
  }

  deleteJson<T = unknown>(path: string, init: RequestOptions = {}): Promise<T> {
    return this.json<T>(path, { ...init, method: 'DELETE' });
  }

  stream(path: string, options: StreamOptions): StreamHandle {
    if (this.isClosed) throw new VigieClientError('CLOSED', 'the client is closed');
    if (typeof options?.onMessage !== 'function') {
      throw new VigieClientError('INVALID_ARGUMENT', 'stream() needs an onMessage callback');
    }
    return new SseStream(this.ctx, path, options);
  }

  getNodesHealthStatus(): NodesHealthStatus {
    return this.pool.snapshot();
  }

  async checkHealth(): Promise<NodesHealthStatus> {
    this.assertOpen();
    await this.checker.checkAll();
    return this.pool.snapshot();
  }

  switchToNode(index: number): boolean {
    return this.pool.switchTo(index);
  }

  resetFailedNodes(): void {
    this.pool.resetFailed();
  }

  addNode(url: string): number {
    return this.pool.add(url);
  }

  removeNode(url: string): boolean {
    return this.pool.remove(url);
  }

  on<K extends keyof ClientEvents>(name: K, listener: (event: ClientEvents[K]) => void): () => void {
    return this.emitter.on(name, listener);
  }

  off<K extends keyof ClientEvents>(name: K, listener: (event: ClientEvents[K]) => void): void {
    this.emitter.off(name, listener);
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.checker.stop();
    this.controllers.stop();
    const error = new VigieClientError('CLOSED', 'the client was closed');
    for (const a of [...this.active]) a.abortWith(error);
    this.active.clear();
    this.emitter.clear();
  }

  private assertOpen(): void {
    if (this.isClosed) throw new VigieClientError('CLOSED', 'the client is closed');
  }
}

/** Creates a failover client over `options.nodes` (primary first). */
export function createClient(options: ClientOptions): VigieClient {
  return new Client(options);
}
