import type { WorkerAnswer } from '../wire/answer.js';
import { ConnectionSet } from './connections.js';
import { HealthProbe, type ProbeOutcome } from './health-probe.js';
import type { AttemptFailure } from './policy/retry-plan.js';

/** A command as the worker protocol carries it. */
export interface Command {
  type: string;
  payload?: unknown;
}

/** What one call to a worker gave. */
export type CallResult =
  | { ok: true; status: number; data: unknown; latencyMs: number }
  | { ok: false; failure: AttemptFailure; status?: number; body?: unknown; message: string; latencyMs: number };

export interface WorkerClientOptions {
  /** Sent as `x-api-key` (the first of VIGIE_API_KEY's list). */
  apiKey: string | undefined;
  /** Largest answer read from a worker; a bigger one is a worker error, not an out-of-memory. */
  maxResponseBytes?: number;
}

const DEADLINE_HEADER = 'x-vigie-deadline-ms';
const HEALTH_PATH = '/api/v1/worker/health';

/**
 * HTTP to the workers: keep-alive connections (a ConnectionSet per worker, opened on demand),
 * every call bounded by a timeout, every failure sorted into network / timeout / http so that the retry policy can
 * tell "may not have reached the worker" from "the worker said no".
 */
export class WorkerClient {
  /** The connections to each worker URL, with the URL's path kept as a prefix. */
  private readonly pools = new Map<string, { pool: ConnectionSet; prefix: string }>();
  /** Each worker URL's health probe; `null` once it answered in a form the probe does not read. */
  private readonly probes = new Map<string, HealthProbe | null>();
  private lastHeaders: { timeoutMs: number; headers: Record<string, string> } | undefined;

  constructor(private readonly opts: WorkerClientOptions) {}

  private poolFor(baseUrl: string): { pool: ConnectionSet; prefix: string } {
    let entry = this.pools.get(baseUrl);
    if (!entry) {
      const url = new URL(baseUrl);
      entry = {
        // Connections per origin, used directly: cheaper per call than an Agent's lookup (bench/dispatch).
        // undici enforces the size cap itself (UND_ERR_RES_EXCEEDED_MAX_SIZE) as the body streams in.
        pool: new ConnectionSet(url.origin, { keepAliveTimeout: 30_000, pipelining: 1, maxResponseSize: this.opts.maxResponseBytes ?? 32 * 1024 * 1024 }, 64),
        prefix: pathPrefix(url),
      };
      this.pools.set(baseUrl, entry);
    }
    return entry;
  }

  /** POSTs `command` to the worker's /api/v1/worker/execute. */
  execute(baseUrl: string, command: Command, timeoutMs: number, signal?: AbortSignal): Promise<CallResult> {
    // Not async: call's promise as it is (an async wrapper would add a promise and two microtasks per command).
    return this.call(baseUrl, '/api/v1/worker/execute', timeoutMs, signal, { method: 'POST', headers: this.executeHeaders(timeoutMs), body: JSON.stringify(command) });
  }

  /**
   * The headers of an execute call with this timeout, made once and reused while the timeout stays
   * the same (the balancer's commands all use WORKER_REQUEST_TIMEOUT_MS): one object fewer per call.
   */
  private executeHeaders(timeoutMs: number): Record<string, string> {
    if (this.lastHeaders?.timeoutMs !== timeoutMs) {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        ...(this.opts.apiKey ? { 'x-api-key': this.opts.apiKey } : {}),
        // The worker stops a little before we give up, so that its 504 reaches us.
        [DEADLINE_HEADER]: String(Math.max(100, timeoutMs - 250)),
      };
      this.lastHeaders = { timeoutMs, headers };
    }
    return this.lastHeaders.headers;
  }

  /**
   * GETs the worker's /api/v1/worker/health, through its health probe (a lean keep-alive path,
   * health-probe.ts); through the general client when a probe is already in flight to that worker
   * or the worker answers in a form the probe does not read.
   */
  async health(baseUrl: string, timeoutMs: number, signal?: AbortSignal): Promise<CallResult> {
    const probe = this.probeFor(baseUrl);
    if (probe && !probe.busy) {
      const started = performance.now();
      const outcome = await probe.probe(timeoutMs, signal);
      if (outcome.kind !== 'unsupported') return this.probeResult(outcome, timeoutMs, started);
      this.probes.set(baseUrl, null);
    }
    return this.call(baseUrl, HEALTH_PATH, timeoutMs, signal, { method: 'GET' });
  }

  /** Closes the connections to one worker url (the worker was removed or moved); in-flight calls finish first. */
  async release(baseUrl: string): Promise<void> {
    this.probes.get(baseUrl)?.close();
    this.probes.delete(baseUrl);
    const entry = this.pools.get(baseUrl);
    if (!entry) return;
    this.pools.delete(baseUrl);
    await entry.pool.close();
  }

  /** How many worker urls hold connections, a pool or a health probe (for tests and metrics). */
  get poolCount(): number {
    let n = this.pools.size;
    for (const url of this.probes.keys()) if (!this.pools.has(url)) n++;
    return n;
  }

  /** Closes every pooled connection. */
  async close(): Promise<void> {
    for (const probe of this.probes.values()) probe?.close();
    this.probes.clear();
    await Promise.all([...this.pools.values()].map((p) => p.pool.close()));
    this.pools.clear();
  }

  private probeFor(baseUrl: string): HealthProbe | null {
    let probe = this.probes.get(baseUrl);
    if (probe === undefined) {
      const url = new URL(baseUrl);
      probe = url.protocol === 'http:' || url.protocol === 'https:' ? new HealthProbe(url, pathPrefix(url) + HEALTH_PATH) : null;
      this.probes.set(baseUrl, probe);
    }
    return probe;
  }

  private probeResult(outcome: Exclude<ProbeOutcome, { kind: 'unsupported' }>, timeoutMs: number, started: number): CallResult {
    const latencyMs = elapsed(started);
    if (outcome.kind === 'answer') return answerOf(outcome.statusCode, outcome.text, latencyMs);
    if (outcome.kind === 'timeout') return timedOut(timeoutMs, latencyMs);
    return { ok: false, failure: { kind: 'network', ...(outcome.code ? { code: outcome.code } : {}) }, message: outcome.message, latencyMs };
  }

  private async call(
    baseUrl: string,
    path: string,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string },
  ): Promise<CallResult> {
    const started = performance.now();
    try {
      // undici's own timers bound the wait for the answer and for each body chunk: cheaper on
      // this hot path than an AbortSignal.timeout per call (measured in bench/dispatch). One
      // literal, no spread: this runs for every command.
      const { pool, prefix } = this.poolFor(baseUrl);
      const res = await pool.exchange({
        method: init.method,
        path: prefix + path,
        headers: init.headers,
        body: init.body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal,
      });
      return answerOf(res.statusCode, res.text, elapsed(started));
    } catch (err) {
      const code = errorCode(err);
      if (!signal?.aborted && (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')) {
        return timedOut(timeoutMs, elapsed(started));
      }
      if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') {
        // The worker answered, too much: its fault, as a 5xx would be.
        return { ok: false, failure: { kind: 'http', status: 502 }, status: 502, message: 'the answer is larger than the coordinator accepts', latencyMs: elapsed(started) };
      }
      return { ok: false, failure: { kind: 'network', ...(code ? { code } : {}) }, message: describeNetworkError(err), latencyMs: elapsed(started) };
    }
  }
}

/** A worker URL's path, kept as the prefix of the protocol's paths (`http://h/base/` → `/base`). */
function pathPrefix(url: URL): string {
  return url.pathname.replace(/\/+$/, '');
}

/** Milliseconds since `started` (a performance.now()), to a tenth. */
function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}

function timedOut(timeoutMs: number, latencyMs: number): CallResult {
  return { ok: false, failure: { kind: 'timeout' }, message: `no answer within ${timeoutMs} ms`, latencyMs };
}

/** What a worker's answer says: its data on a 2xx success, else the failure it names. */
function answerOf(statusCode: number, text: string, latencyMs: number): CallResult {
  let body: Partial<WorkerAnswer> | unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (statusCode >= 200 && statusCode < 300 && isObject(body) && body.success !== false) {
    return { ok: true, status: statusCode, data: 'data' in body ? body.data : body, latencyMs };
  }
  const error = isObject(body) && typeof body.error === 'string' ? body.error : undefined;
  const message = isObject(body) && typeof body.message === 'string' ? body.message : (error ?? `HTTP ${statusCode}`);
  // A 2xx with an unreadable body is the worker's fault, as a 5xx would be.
  const status = statusCode >= 200 && statusCode < 300 ? 502 : statusCode;
  return { ok: false, failure: { kind: 'http', status, ...(error ? { error } : {}) }, status, body, message, latencyMs };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } };
  const code = e?.code ?? e?.cause?.code;
  return typeof code === 'string' ? code : undefined;
}

function describeNetworkError(err: unknown): string {
  const code = errorCode(err);
  const msg = err instanceof Error ? err.message : String(err);
  return code ? `${code}: ${msg}` : msg;
}
