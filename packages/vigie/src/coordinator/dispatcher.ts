import type { Logger } from '../observability/logger.js';
import type { Balancer } from './balancer/types.js';
import type { Fleet } from './fleet.js';
import type { HealthChecker } from './health-checker.js';
import { decideBan } from './policy/bans.js';
import { RetryBudget } from './policy/retry-budget.js';
import { classifyFailure, decideRetry, nextCandidate, type FailureClass } from './policy/retry-plan.js';
import type { CallResult, Command, WorkerClient } from './worker-client.js';

/** One try of a command on one worker, as reported back to the caller. */
export interface Attempt {
  workerId: string;
  ok: boolean;
  status?: number;
  error?: string;
  message?: string;
  latencyMs: number;
}

export type DispatchResult =
  | { ok: true; workerId: string; data: unknown; attempts: Attempt[] }
  | { ok: false; code: string; message: string; httpStatus: number; attempts: Attempt[] };

/** The dispatcher's knobs (MAX_RETRIES, WORKER_REQUEST_TIMEOUT_MS, WORKER_BAN_DURATION_MS, WORKER_BAN_MAX_MS). */
export interface DispatchSettings {
  maxAttempts: number;
  requestTimeoutMs: number;
  banBaseMs: number;
  banMaxMs: number;
}

export interface DispatcherOptions {
  fleet: Fleet;
  balancer: Balancer;
  client: WorkerClient;
  health?: HealthChecker;
  logger: Logger;
  /** Read at every command, so that run-time changes (config store) apply at once. */
  settings: () => DispatchSettings;
  budget?: RetryBudget;
  now?: () => number;
  /** Told about every failed attempt (metrics, the failover ladder). */
  onAttempt?: (attempt: Attempt, failure: FailureClass | undefined) => void;
  /** Told every successful call (the failover ladder ends a worker's 403 streak); must be cheap, it runs on every command. */
  onSuccess?: (workerId: string) => void;
}

/**
 * Sends one command through the balancer: tries a worker, and on a failure that another
 * worker could fix (network, timeout, 5xx, 401/403) tries one not tried yet, up to
 * MAX_RETRIES tries and within the retry budget. A 401/403 bans the worker (panic rule
 * permitting); a refused connection ejects it until the health checker sees it back.
 */
export class Dispatcher {
  private readonly budget: RetryBudget;
  private readonly now: () => number;
  private balancer: Balancer;

  constructor(private readonly opts: DispatcherOptions) {
    this.budget = opts.budget ?? new RetryBudget();
    this.now = opts.now ?? Date.now;
    this.balancer = opts.balancer;
  }

  /** Drops what the balancer learnt of a worker (removed, or moved to a new machine). */
  forget(workerId: string): void {
    this.balancer.forget(workerId);
  }

  /** Switches the balancing strategy (LB_STRATEGY changed at run time). */
  setBalancer(balancer: Balancer): void {
    this.balancer = balancer;
  }

  /** Sends `command` to `workerId` only (no retry elsewhere): the cycle runner's batches, which may need a longer timeout. */
  async sendTo(workerId: string, command: Command, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<{ result: CallResult; failure?: FailureClass }> {
    const w = this.opts.fleet.get(workerId);
    if (!w) throw new Error(`unknown worker ${workerId}`);
    const result = await this.call(workerId, w.url, command, opts.signal, opts.timeoutMs);
    return { result, ...(result.ok ? {} : { failure: await this.afterFailure(workerId, result) }) };
  }

  /** Sends `command` through the balancer with retries on other workers. */
  async dispatch(command: Command, signal?: AbortSignal): Promise<DispatchResult> {
    const attempts: Attempt[] = [];
    const tried = new Set<string>();
    this.budget.recordRequest(this.now());
    let last: { result: Extract<CallResult, { ok: false }>; failure: FailureClass } | undefined;

    for (;;) {
      const now = this.now();
      const selection = this.opts.fleet.selection(now).workerIds;
      const id = nextCandidate(selection, tried, this.balancer, now);
      if (id === undefined) {
        if (!last) {
          return { ok: false, code: 'NO_WORKER_AVAILABLE', httpStatus: 503, attempts, message: 'No worker is available (all are banned, or none is registered). See GET /api/v1/worker/main/stats.' };
        }
        return this.failed(last, attempts, 'NO_WORKER_LEFT');
      }
      tried.add(id);
      const w = this.opts.fleet.get(id)!;
      if (attempts.length > 0) this.opts.logger.debug({ worker: id, attempt: attempts.length + 1 }, `retry ${attempts.length + 1}/${this.opts.settings().maxAttempts} on ${w.name} (${w.region})`);
      const result = await this.call(id, w.url, command, signal);
      if (result.ok) {
        attempts.push({ workerId: id, ok: true, status: result.status, latencyMs: result.latencyMs });
        return { ok: true, workerId: id, data: result.data, attempts };
      }
      const failure = await this.afterFailure(id, result);
      attempts.push({ workerId: id, ok: false, ...(result.status ? { status: result.status } : {}), error: failure.reason, message: result.message, latencyMs: result.latencyMs });
      last = { result, failure };
      if (signal?.aborted) return this.failed(last, attempts, 'ABORTED');

      const untriedLeft = this.opts.fleet.selection(this.now()).workerIds.filter((x) => !tried.has(x)).length;
      const verdict = decideRetry({
        failure,
        attempts: attempts.length,
        maxAttempts: this.opts.settings().maxAttempts,
        untriedLeft,
        budgetAllows: this.budget.canRetry(this.now()),
      });
      if (!verdict.retry) return this.failed(last, attempts, verdict.reason);
      this.budget.recordRetry(this.now());
    }
  }

  private async call(id: string, url: string, command: Command, signal?: AbortSignal, timeoutMs = this.opts.settings().requestTimeoutMs): Promise<CallResult> {
    this.balancer.begin(id, this.now());
    this.opts.fleet.begin(id);
    const result = await this.opts.client.execute(url, command, timeoutMs, signal);
    this.balancer.record(id, result.ok ? 'success' : 'failure', result.latencyMs, this.now());
    this.opts.fleet.recordOutcome(id, result.ok, this.now(), result.latencyMs);
    if (result.ok) {
      this.opts.onSuccess?.(id);
      const w = this.opts.fleet.get(id);
      // An answer proves the worker is up: no need to wait for the next health round.
      if (w && !w.healthy) void this.opts.fleet.setHealth(id, true, null, this.now());
    }
    return result;
  }

  /** Bans, ejects, and classifies a failed attempt. */
  private async afterFailure(id: string, result: Extract<CallResult, { ok: false }>): Promise<FailureClass> {
    const w = this.opts.fleet.get(id)!;
    let failure = classifyFailure(result.failure);
    const error = result.failure.kind === 'http' ? result.failure.error : undefined;

    if (error === 'UNAUTHORIZED') {
      // The worker refused *our* key: a configuration mismatch, not a blocked address. Banning
      // would hide the real problem, so try elsewhere and say loudly what to fix.
      this.opts.logger.error({ worker: id }, `Worker ${w.name} (${w.region}) rejected the coordinator's x-api-key: give both the same VIGIE_API_KEY`);
      failure = { retryable: true, reason: 'WORKER_UNAUTHORIZED', banCandidate: false };
    } else if (failure.banCandidate) {
      await this.ban(id, result.status === 401 ? 401 : 403);
    } else if (result.failure.kind === 'network' || error === 'SHUTTING_DOWN') {
      // Passive ejection: a refused connection or a draining worker will refuse the next
      // request too; stop sending there until a health check sees it back.
      await this.opts.fleet.setHealth(id, false, result.message, this.now());
      this.opts.health?.checkSoon(id);
    }
    this.opts.onAttempt?.({ workerId: id, ok: false, ...(result.status ? { status: result.status } : {}), error: failure.reason, message: result.message, latencyMs: result.latencyMs }, failure);
    return failure;
  }

  private async ban(id: string, status: 401 | 403): Promise<void> {
    const w = this.opts.fleet.get(id)!;
    const now = this.now();
    const decision = decideBan({
      workerId: id,
      status,
      now,
      previousBanCount: w.banCount,
      lastBanEndedAt: w.bannedUntil,
      baseMs: this.opts.settings().banBaseMs,
      maxMs: this.opts.settings().banMaxMs,
      fleet: this.fleetView(),
    });
    if (decision.ban) {
      await this.opts.fleet.ban(id, { until: decision.until, banCount: decision.banCount, reason: `HTTP ${status}`, status });
    } else if (decision.reason === 'PANIC_LAST_WORKERS') {
      this.opts.logger.error(
        { worker: id, signal: decision.signal },
        `FLEET_BLOCKED: Worker ${w.name} (${w.region}) answered ${status} but is among the last usable workers; not banned. ` +
          'When every worker is refused the cause is shared: check the scraping credentials (vigie credentials status) and the account.',
      );
    }
  }

  private failed(
    last: { result: Extract<CallResult, { ok: false }>; failure: FailureClass },
    attempts: Attempt[],
    why: string,
  ): DispatchResult {
    const { result, failure } = last;
    if (!failure.retryable && result.status) {
      // The request itself is wrong (400, 404, 501…): pass the worker's answer through.
      const code = result.failure.kind === 'http' && result.failure.error ? result.failure.error : failure.reason;
      return { ok: false, code, httpStatus: result.status, message: result.message, attempts };
    }
    return {
      ok: false,
      code: 'ALL_WORKERS_FAILED',
      httpStatus: 502,
      message: `The command failed on ${attempts.length} worker(s) (${why}); last error: ${result.message}.`,
      attempts,
    };
  }

  /** The fleet as the policies read it: the snapshots themselves, no copy per worker (this runs on every request). */
  private fleetView(): readonly { id: string; healthy: boolean; bannedUntil: number | null }[] {
    return this.opts.fleet.list();
  }
}
