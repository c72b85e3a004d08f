import type { Logger } from '../observability/logger.js';
import type { Fleet } from './fleet.js';
import type { WorkerClient } from './worker-client.js';

export interface HealthCheckerOptions {
  fleet: Fleet;
  client: WorkerClient;
  logger: Logger;
  /** Read at each round, so that run-time changes apply from the next one. */
  settings: () => { intervalMs: number; timeoutMs: number };
  /** Max random delay before each worker's check, so checks do not all fire at once (default 10% of the interval, ≤ 5 s). */
  jitterMs?: number;
  random?: () => number;
}

/**
 * Checks every worker's `GET /api/v1/worker/health` each interval (with jitter) and tells the
 * fleet, which emits worker.health when the health changed (the event log says it once rather
 * than every round). Each round also lets the fleet end the bans whose term passed. A worker ejected by a failed
 * dispatch is re-checked sooner (1 s, 2 s, 4 s … up to the interval) so that it comes back
 * quickly once it is up again.
 */
export class HealthChecker {
  private timer: NodeJS.Timeout | undefined;
  private readonly soon = new Map<string, { timer: NodeJS.Timeout; delay: number }>();
  private readonly inProgress = new Set<Promise<void>>();
  private stopped = true;

  constructor(private readonly opts: HealthCheckerOptions) {}

  /** Checks every worker now, then every interval. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.checkAll(false);
    this.scheduleRound();
  }

  /** Stops every timer and waits for checks in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const s of this.soon.values()) clearTimeout(s.timer);
    this.soon.clear();
    await Promise.allSettled([...this.inProgress]);
  }

  /** Checks every worker once, now (jitter applies only to scheduled rounds). */
  async checkAll(jitter = true): Promise<void> {
    await this.opts.fleet.expireBans(Date.now()).catch((err) => this.opts.logger.warn({ err }, 'could not save the end of a ban; will retry next round'));
    await Promise.allSettled(this.opts.fleet.list().map((w) => this.checkOne(w.id, jitter ? this.jitter() : 0)));
  }

  /** Asks for an early re-check of a worker that a dispatch found dead. */
  checkSoon(id: string): void {
    if (this.stopped || this.soon.has(id)) return;
    this.scheduleSoon(id, 1000);
  }

  private scheduleSoon(id: string, delay: number): void {
    const timer = setTimeout(() => {
      this.soon.delete(id);
      void this.track(
        this.checkOne(id, 0).then(() => {
          const w = this.opts.fleet.get(id);
          if (w && !w.healthy && !this.stopped) this.scheduleSoon(id, Math.min(delay * 2, this.opts.settings().intervalMs));
        }),
      );
    }, delay);
    timer.unref?.();
    this.soon.set(id, { timer, delay });
  }

  private scheduleRound(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.track(this.checkAll()).finally(() => this.scheduleRound());
    }, this.opts.settings().intervalMs);
    this.timer.unref?.();
  }

  private async checkOne(id: string, delayMs: number): Promise<void> {
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs).unref?.());
    const w = this.opts.fleet.get(id);
    if (!w || this.stopped) return;
    const res = await this.opts.client.health(w.url, this.opts.settings().timeoutMs);
    const healthy = res.ok;
    const error = res.ok ? null : res.message;
    const changed = await this.opts.fleet.setHealth(id, healthy, error, Date.now());
    // A worker found down is re-checked sooner than the next round, so that it is back in
    // service seconds after it recovers, with or without traffic to notice it.
    if (changed && !healthy) this.checkSoon(id);
  }

  private jitter(): number {
    const max = this.opts.jitterMs ?? Math.min(5000, this.opts.settings().intervalMs * 0.1);
    return Math.floor((this.opts.random ?? Math.random)() * max);
  }

  private track(p: Promise<void>): Promise<void> {
    this.inProgress.add(p);
    return p.finally(() => this.inProgress.delete(p));
  }
}
