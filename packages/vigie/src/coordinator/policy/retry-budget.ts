export interface RetryBudgetOptions {
  /** Retries allowed per first attempt over the window (default 0.2: at most 20% extra load). */
  ratio?: number;
  /** Length of the sliding window, ms (default 10 s). */
  windowMs?: number;
  /** Retries per second always allowed, so a quiet coordinator can still retry (default 10). */
  minRetriesPerSec?: number;
  /** Slices the window is counted in (default 10); more is smoother, costs more memory. */
  buckets?: number;
}

export interface RetryBudgetSnapshot {
  requests: number;
  retries: number;
  /** Retries allowed over the current window. */
  allowance: number;
}

/**
 * A retry budget (Finagle's RetryBudget, gRPC's retry throttling): retries are allowed while
 *
 *   retries ≤ ratio × requests + minRetriesPerSec × windowSeconds
 *
 * over a sliding window. During a fleet-wide outage every request fails and would be retried
 * MAX_RETRIES times, multiplying the load on workers that are already down; the budget caps
 * that at `ratio` extra load. Only first attempts earn budget (`recordRequest`): a retry that
 * funded further retries would defeat the point. Counts live in time buckets keyed by `now`,
 * so the budget refills by itself as the window slides, with no timer.
 */
export class RetryBudget {
  private readonly ratio: number;
  private readonly windowMs: number;
  private readonly minRetries: number;
  private readonly bucketMs: number;
  private readonly epochs: number[];
  private readonly requests: number[];
  private readonly retries: number[];

  constructor(options: RetryBudgetOptions = {}) {
    this.ratio = options.ratio ?? 0.2;
    this.windowMs = Math.max(1, options.windowMs ?? 10_000);
    this.minRetries = (options.minRetriesPerSec ?? 10) * (this.windowMs / 1000);
    const buckets = Math.max(1, Math.floor(options.buckets ?? 10));
    this.bucketMs = this.windowMs / buckets;
    this.epochs = new Array<number>(buckets).fill(-Infinity);
    this.requests = new Array<number>(buckets).fill(0);
    this.retries = new Array<number>(buckets).fill(0);
  }

  /** Counts a first attempt, which earns `ratio` of a retry. */
  recordRequest(now: number): void {
    this.requests[this.slot(now)]! += 1;
  }

  /** Counts a retry against the budget. */
  recordRetry(now: number): void {
    this.retries[this.slot(now)]! += 1;
  }

  /** True when one more retry fits in the budget at `now`. */
  canRetry(now: number): boolean {
    const { retries, allowance } = this.snapshot(now);
    return retries + 1 <= allowance;
  }

  /** Takes one retry from the budget if it fits: canRetry and recordRetry in one step. */
  tryRetry(now: number): boolean {
    if (!this.canRetry(now)) return false;
    this.recordRetry(now);
    return true;
  }

  /** Requests, retries and allowance over the window ending at `now` (for logs and metrics). */
  snapshot(now: number): RetryBudgetSnapshot {
    const current = Math.floor(now / this.bucketMs);
    let requests = 0;
    let retries = 0;
    for (let i = 0; i < this.epochs.length; i++) {
      const epoch = this.epochs[i]!;
      if (epoch > current - this.epochs.length && epoch <= current) {
        requests += this.requests[i]!;
        retries += this.retries[i]!;
      }
    }
    return { requests, retries, allowance: this.ratio * requests + this.minRetries };
  }

  /** Index of the bucket for `now`, emptied first if it still holds an older window's counts. */
  private slot(now: number): number {
    const epoch = Math.floor(now / this.bucketMs);
    const index = ((epoch % this.epochs.length) + this.epochs.length) % this.epochs.length;
    // A clock that stepped back lands in a newer bucket rather than wiping it.
    if (this.epochs[index]! < epoch) {
      this.epochs[index] = epoch;
      this.requests[index] = 0;
      this.retries[index] = 0;
    }
    return index;
  }
}
