import { setTimeout as delay } from 'node:timers/promises';
import { backoffDelay, parseRetryAfter, type BackoffOptions } from '@vigie/client';
import { errorSpec } from '../../../errors.js';
import type { Logger } from '../../../observability/logger.js';
import { describeFetchError } from '../../../notify/http.js';
import { scrub } from '../../../observability/secrets.js';
import { FlyApiError, isFlyError, type FlyErrorCode } from './errors.js';
import {
  LEASE_NONCE_HEADER,
  MAX_WAIT_SECONDS,
  REQUEST_ID_HEADER,
  type CreateMachineRequest,
  type ErrorResponse,
  type Lease,
  type Machine,
  type StopRequest,
  type WaitableState,
} from './shapes.js';

export interface FlyApiOptions {
  /** FLY_API_URL, e.g. `https://api.machines.dev/v1`; paths `/apps/…` are appended. */
  readonly baseUrl: string;
  /** FLY_API_TOKEN, sent as `Authorization: Bearer …` and nowhere else. */
  readonly token: string;
  readonly logger: Logger;
  /** Bound of one attempt (a wait adds its own `timeout`), ms. Default 15 s. */
  readonly callTimeoutMs?: number;
  /** Attempts of one call, first included, when Fly answers 429 or 5xx. Default 5. */
  readonly maxAttempts?: number;
  /** Backoff between attempts when Fly gives no `Retry-After`. Default 250 ms doubling to 8 s. */
  readonly backoff?: BackoffOptions;
  /** Cap on a `Retry-After` honoured, ms: a longer one fails the call at once. Default 30 s. */
  readonly maxRetryAfterMs?: number;
  /** In [0, 1) for the jitter; Math.random by default (tests pass a seeded one). */
  readonly random?: () => number;
}

/** Per-call options. */
export interface CallOptions {
  /** Aborts the call, its retries and its waits. */
  readonly signal?: AbortSignal | undefined;
  /** Nonce of the lease held on the machine; required by Fly on mutating calls while a lease exists. */
  readonly nonce?: string | undefined;
}

interface RequestSpec extends CallOptions {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly path: string;
  readonly query?: Record<string, string | number | boolean | undefined>;
  readonly body?: unknown;
  /** Extra bound for this attempt (a wait's server-side timeout), ms. */
  readonly extraTimeoutMs?: number;
  /** Statuses that are answers, not errors (the wait's 408). */
  readonly accept?: readonly number[];
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly requestId: string | undefined;
}

const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 250, maxMs: 8_000 };

/**
 * A typed client of the Fly Machines REST API (OpenAPI file in `shared/specs`). Every call is
 * bounded by a timeout; 429 and 5xx are retried with exponential backoff and jitter, honouring
 * `Retry-After` (one parser and one backoff builder for the project: `@vigie/client`'s), and a
 * read whose connection failed is tried again too. A
 * failure is a `FlyApiError` with a stable code and the `fly-request-id` of the failed answer.
 * The token is sent in the Authorization header only: it is in no URL, log line or error.
 */
export class FlyMachinesApi {
  private readonly base: string;
  private readonly callTimeoutMs: number;
  private readonly maxAttempts: number;
  private readonly backoff: BackoffOptions;
  private readonly maxRetryAfterMs: number;
  private readonly random: () => number;

  constructor(private readonly opts: FlyApiOptions) {
    if (!opts.token) {
      throw new FlyApiError('FLY_NOT_CONFIGURED', 'FLY_API_TOKEN is not set: create a token with `fly tokens create deploy` and set FLY_API_TOKEN.');
    }
    this.base = opts.baseUrl.replace(/\/+$/, '');
    this.callTimeoutMs = opts.callTimeoutMs ?? 15_000;
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.maxRetryAfterMs = opts.maxRetryAfterMs ?? 30_000;
    this.random = opts.random ?? Math.random;
  }

  /** The app's machines (destroyed ones excluded), optionally in one region. */
  async listMachines(app: string, opts: CallOptions & { region?: string } = {}): Promise<Machine[]> {
    const { body } = await this.request({ ...opts, method: 'GET', path: machinesPath(app), query: { region: opts.region } });
    if (!Array.isArray(body)) throw this.badAnswer('GET', machinesPath(app));
    return body as Machine[];
  }

  /** One machine. */
  async getMachine(app: string, id: string, opts: CallOptions = {}): Promise<Machine> {
    const { body } = await this.request({ ...opts, method: 'GET', path: machinePath(app, id) });
    return this.machineFrom(body, 'GET', machinePath(app, id));
  }

  /** Creates (and, unless `skip_launch`, starts) a machine. `insufficient_capacity` → FLY_CAPACITY. */
  async createMachine(app: string, request: CreateMachineRequest, opts: CallOptions = {}): Promise<Machine> {
    const { body } = await this.request({ ...opts, method: 'POST', path: machinesPath(app), body: request });
    return this.machineFrom(body, 'POST', machinesPath(app));
  }

  /** Starts a stopped machine; answers the state it was in. */
  async startMachine(app: string, id: string, opts: CallOptions = {}): Promise<{ previousState?: string }> {
    const { body } = await this.request({ ...opts, method: 'POST', path: `${machinePath(app, id)}/start` });
    const prev = (body as { previous_state?: unknown } | undefined)?.previous_state;
    return typeof prev === 'string' ? { previousState: prev } : {};
  }

  /** Stops a machine (it keeps its config and can be started again). */
  async stopMachine(app: string, id: string, opts: CallOptions & { stop?: StopRequest } = {}): Promise<void> {
    await this.request({ ...opts, method: 'POST', path: `${machinePath(app, id)}/stop`, body: opts.stop ?? {} });
  }

  /** Restarts a machine in place (same id, region and address). */
  async restartMachine(app: string, id: string, opts: CallOptions = {}): Promise<void> {
    await this.request({ ...opts, method: 'POST', path: `${machinePath(app, id)}/restart` });
  }

  /** Destroys a machine; Fly refuses a started one unless `force`. */
  async destroyMachine(app: string, id: string, opts: CallOptions & { force?: boolean } = {}): Promise<void> {
    await this.request({ ...opts, method: 'DELETE', path: machinePath(app, id), query: { force: opts.force ? true : undefined } });
  }

  /**
   * Waits until the machine is in `state`, up to `timeoutS` seconds (Fly's wait endpoint takes at
   * most 60 s, so a longer wait is several calls). Not there in time → FLY_TIMEOUT.
   */
  async waitForState(app: string, id: string, state: WaitableState, timeoutS: number, opts: CallOptions & { instanceId?: string } = {}): Promise<void> {
    const path = `${machinePath(app, id)}/wait`;
    const deadline = Date.now() + timeoutS * 1000;
    for (;;) {
      const leftS = Math.ceil((deadline - Date.now()) / 1000);
      if (leftS <= 0) break;
      const chunk = Math.min(MAX_WAIT_SECONDS, leftS);
      const answer = await this.request({
        ...opts,
        method: 'GET',
        path,
        query: { state, timeout: chunk, instance_id: opts.instanceId },
        extraTimeoutMs: chunk * 1000,
        accept: [408],
      });
      if (answer.status !== 408) return;
    }
    throw new FlyApiError('FLY_TIMEOUT', `Fly machine ${id} of app ${app} did not reach "${state}" within ${timeoutS} s; see \`fly machine status ${id} -a ${app}\`.`, {
      call: `GET ${path}`,
    });
  }

  /** Takes the machine's lease for `ttlS` seconds. Held by another → FLY_LEASE_HELD. */
  async acquireLease(app: string, id: string, ttlS: number, description: string, opts: CallOptions = {}): Promise<Lease> {
    const path = `${machinePath(app, id)}/lease`;
    const { body } = await this.request({ ...opts, method: 'POST', path, body: { ttl: ttlS, description } });
    // The live API wraps the lease in `{ status, data }`; the OpenAPI file shows it bare.
    const lease = (isRecord(body) && isRecord(body.data) ? body.data : body) as Partial<Lease> | undefined;
    if (!lease || typeof lease.nonce !== 'string' || !lease.nonce) throw this.badAnswer('POST', path);
    return lease as Lease;
  }

  /** Releases a lease taken with `acquireLease`. */
  async releaseLease(app: string, id: string, nonce: string, opts: Omit<CallOptions, 'nonce'> = {}): Promise<void> {
    await this.request({ ...opts, nonce, method: 'DELETE', path: `${machinePath(app, id)}/lease` });
  }

  /**
   * Runs `work` while holding the machine's lease, and releases it afterwards whatever happened
   * (a release that fails is logged: the lease then lapses after `ttlS`).
   */
  async withLease<T>(app: string, id: string, ttlS: number, description: string, work: (nonce: string) => Promise<T>, opts: CallOptions = {}): Promise<T> {
    const lease = await this.acquireLease(app, id, ttlS, description, opts);
    try {
      return await work(lease.nonce);
    } finally {
      // Released even when the step was aborted: a fresh bound, not the aborted signal.
      await this.releaseLease(app, id, lease.nonce).catch((err: unknown) => {
        // Destroying a machine drops its lease with it: nothing left to release.
        if (isFlyError(err, 'FLY_NOT_FOUND')) return;
        this.opts.logger.warn({ app, machineId: id, err: describe(err) }, `could not release the Fly lease; it lapses in ${ttlS} s`);
      });
    }
  }

  private machineFrom(body: unknown, method: string, path: string): Machine {
    if (!isRecord(body) || typeof body.id !== 'string') throw this.badAnswer(method, path);
    return body as unknown as Machine;
  }

  private badAnswer(method: string, path: string): FlyApiError {
    return new FlyApiError('FLY_API_ERROR', `Fly API ${method} ${path} answered something that is not the documented shape; is FLY_API_URL the Machines API (…/v1)?`, {
      call: `${method} ${path}`,
    });
  }

  /** One call with its retries. */
  private async request(spec: RequestSpec): Promise<Answer> {
    const call = `${spec.method} ${spec.path}`;
    for (let attempt = 0; ; attempt++) {
      const lastAttempt = attempt + 1 >= this.maxAttempts;
      let answer: Awaited<ReturnType<FlyMachinesApi['attempt']>>;
      try {
        answer = await this.attempt(spec, call);
      } catch (err) {
        // A dropped connection is retried for reads only: a change may have reached Fly.
        if (spec.method !== 'GET' || lastAttempt || !isFlyError(err, 'FLY_UNAVAILABLE')) throw err;
        const waitMs = backoffDelay(attempt, this.backoff, this.random);
        this.opts.logger.info({ call, err: err.message, attempt: attempt + 1, retryInMs: waitMs }, 'Fly API call will be retried');
        await delay(waitMs, undefined, { signal: spec.signal });
        continue;
      }
      if (answer.status < 400 || spec.accept?.includes(answer.status)) return answer;
      const error = this.errorFor(answer, call);
      // A capacity refusal is an answer about the region, not a passing failure: no retry here.
      const retryable = (answer.status === 429 || answer.status >= 500) && error.code !== 'FLY_CAPACITY';
      const retryAfterMs = parseRetryAfter(answer.retryAfter, Date.now());
      if (!retryable || lastAttempt || (retryAfterMs !== undefined && retryAfterMs > this.maxRetryAfterMs)) {
        this.opts.logger.warn({ call, status: answer.status, flyRequestId: answer.requestId, code: error.code, attempts: attempt + 1 }, 'Fly API call failed');
        throw error;
      }
      const waitMs = retryAfterMs ?? backoffDelay(attempt, this.backoff, this.random);
      this.opts.logger.info(
        { call, status: answer.status, flyRequestId: answer.requestId, attempt: attempt + 1, retryInMs: waitMs },
        'Fly API call will be retried',
      );
      await delay(waitMs, undefined, { signal: spec.signal });
    }
  }

  /** One HTTP exchange, bounded by the call timeout; network failures become FlyApiErrors. */
  private async attempt(spec: RequestSpec, call: string): Promise<Answer & { retryAfter: string | null }> {
    const url = new URL(`${this.base}${spec.path}`);
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { authorization: `Bearer ${this.opts.token}`, accept: 'application/json' };
    if (spec.body !== undefined) headers['content-type'] = 'application/json';
    if (spec.nonce) headers[LEASE_NONCE_HEADER] = spec.nonce;
    const timeoutMs = this.callTimeoutMs + (spec.extraTimeoutMs ?? 0);
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = spec.signal ? AbortSignal.any([spec.signal, timeout]) : timeout;
    try {
      const res = await fetch(url, {
        method: spec.method,
        headers,
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        signal,
        redirect: 'error',
      });
      const text = await res.text();
      return { status: res.status, body: parseJson(text), requestId: res.headers.get(REQUEST_ID_HEADER) ?? undefined, retryAfter: res.headers.get('retry-after') };
    } catch (err) {
      if (spec.signal?.aborted) throw spec.signal.reason ?? err;
      if (timeout.aborted) {
        throw new FlyApiError('FLY_TIMEOUT', `Fly API ${call} gave no answer within ${timeoutMs} ms; Fly may be slow: the step can be tried again.`, { call }, { cause: err });
      }
      const why = this.scrub(describeFetchError(err, signal));
      throw new FlyApiError('FLY_UNAVAILABLE', `Fly API ${call} could not be reached: ${why}; check FLY_API_URL and the network.`, { call });
    }
  }

  /** The error for a failed answer, with a message that says what to do. */
  private errorFor(answer: Answer, call: string): FlyApiError {
    const body = (isRecord(answer.body) ? answer.body : {}) as ErrorResponse;
    const said = this.scrub([body.error, body.message].filter((s) => typeof s === 'string' && s).join(': ') || `HTTP ${answer.status}`);
    const details = { requestId: answer.requestId, status: answer.status, call };
    const rid = answer.requestId ? ` (fly-request-id ${answer.requestId})` : '';
    const code: FlyErrorCode = classify(answer.status, body);
    return new FlyApiError(code, `Fly API ${call} failed: ${answer.status} ${said}${rid}. ${errorSpec(code).todo}`, details);
  }

  /** Removes the token from a text that came from elsewhere (an error body, a network error). */
  private scrub(text: string): string {
    return scrub(text, [this.opts.token]);
  }
}

function classify(status: number, body: ErrorResponse): FlyErrorCode {
  if (body.status === 'insufficient_capacity' || /insufficient.capacity/i.test(body.error ?? '')) return 'FLY_CAPACITY';
  if (status === 401 || status === 403) return 'FLY_UNAUTHORIZED';
  if (status === 404) return 'FLY_NOT_FOUND';
  if (status === 409 && /lease/i.test(`${body.error ?? ''} ${body.message ?? ''}`)) return 'FLY_LEASE_HELD';
  if (status === 429) return 'FLY_RATE_LIMITED';
  if (status === 408) return 'FLY_TIMEOUT';
  if (status >= 500) return 'FLY_UNAVAILABLE';
  return 'FLY_API_ERROR';
}

function machinesPath(app: string): string {
  return `/apps/${encodeURIComponent(app)}/machines`;
}

function machinePath(app: string, id: string): string {
  return `${machinesPath(app)}/${encodeURIComponent(id)}`;
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An error as a log field: its code and message, never its stack or cause objects. */
function describe(err: unknown): { code?: string; message: string } {
  const e = err as { code?: unknown; message?: unknown } | null;
  return { ...(typeof e?.code === 'string' ? { code: e.code } : {}), message: typeof e?.message === 'string' ? e.message : String(err) };
}
