import { PeakEwma } from './ewma.js';
import { LatencyWindow } from './percentiles.js';
import { RateMeter } from './rate.js';

/** Per-node figures as shown by `getNodesHealthStatus()`. */
export interface NodeMetricsSnapshot {
  /** Attempts sent to the node (requests, hedges, stream connections). */
  readonly requests: number;
  /** Attempts that failed in a way that counts against the node (network, timeout, 5xx). */
  readonly errors: number;
  /** Attempts under way. */
  readonly inflight: number;
  /** Peak-EWMA of time to response headers, ms. */
  readonly latencyEwmaMs: number | undefined;
  readonly p50Ms: number | undefined;
  readonly p95Ms: number | undefined;
  /** Attempts per second over the last 10 s. */
  readonly throughputPerSec: number;
}

/** Counters and latency estimators of one node; the request code reports, strategies read. */
export class NodeMetrics {
  requests = 0;
  errors = 0;
  inflight = 0;
  readonly ewma: PeakEwma;
  private readonly window = new LatencyWindow(256);
  private readonly rate = new RateMeter();

  constructor(ewmaDecayMs = 10_000) {
    this.ewma = new PeakEwma(ewmaDecayMs);
  }

  /** An attempt was sent. */
  start(now: number): void {
    this.requests++;
    this.inflight++;
    this.rate.mark(now);
  }

  /** An attempt got response headers after `latencyMs`; `failed` for statuses that count as node errors. */
  response(latencyMs: number, now: number, failed: boolean): void {
    this.inflight = Math.max(0, this.inflight - 1);
    this.ewma.observe(latencyMs, now);
    this.window.add(latencyMs);
    if (failed) this.errors++;
  }

  /** An attempt failed without an answer (network error, timeout). */
  failure(): void {
    this.inflight = Math.max(0, this.inflight - 1);
    this.errors++;
  }

  /** An attempt was cancelled by us (hedge loser, caller abort): not the node's fault. */
  cancelled(): void {
    this.inflight = Math.max(0, this.inflight - 1);
  }

  /** Copy of the figures at `now`. */
  snapshot(now: number): NodeMetricsSnapshot {
    const { p50, p95 } = this.window.summary();
    return {
      requests: this.requests,
      errors: this.errors,
      inflight: this.inflight,
      latencyEwmaMs: this.ewma.last,
      p50Ms: p50,
      p95Ms: p95,
      throughputPerSec: this.rate.perSecond(now),
    };
  }
}
