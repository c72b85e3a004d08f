import type { Logger } from '../observability/logger.js';
import type { Fleet } from './fleet.js';
import { decideProbe, initialSlot, slotAfterProbe, tickFor, type ProbeTiming } from './policy/probe-schedule.js';
import type { WorkerClient } from './worker-client.js';

export interface HealthCheckerOptions {
  fleet: Fleet;
  client: WorkerClient;
  logger: Logger;
  /** Read at each tick, so that run-time changes apply from the next slots. */
  settings: () => { intervalMs: number; timeoutMs: number };
  random?: () => number;
  now?: () => number;
}

/** Where the checker stands with one worker. */
interface Slot {
  /** When to look at it next. */
  dueAt: number;
  /** The latest proof of life accounted for: its last probe's answer, or the command proof a skip used. */
  accountedUntil: number | null;
}

/**
 * Checks the workers' `GET /api/v1/worker/health` and tells the fleet, which emits worker.health
 * when the health changed. One timer for the whole fleet: each tick probes the workers whose
 * slot has come (policy/probe-schedule.ts: spread over the interval, skipped for a worker a
 * command proved alive, never later than one interval after the last proof of life). Probes go
 * over the worker client's keep-alive pools. The first round probes everyone at once, so that
 * health is known before the coordinator serves. A worker ejected by a failed dispatch is
 * re-checked sooner (1 s, 2 s, 4 s … up to the interval) so that it comes back quickly.
 */
export class HealthChecker {
  private timer: NodeJS.Timeout | undefined;
  private readonly slots = new Map<string, Slot>();
  private readonly probing = new Set<string>();
  private readonly soon = new Map<string, { timer: NodeJS.Timeout; delay: number }>();
  private idle: Array<() => void> = [];
  private bansExpiredAt = 0;
  private stopped = true;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(private readonly opts: HealthCheckerOptions) {
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
  }

  /** Probes every worker now, then each in its slot. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.checkAll();
    this.scheduleTick();
  }

  /** Stops the timers and waits for probes in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const s of this.soon.values()) clearTimeout(s.timer);
    this.soon.clear();
    if (this.probing.size > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  /** Probes every worker once, now, and spreads their next slots evenly over one interval. */
  async checkAll(): Promise<void> {
    const startedAt = this.now();
    const timing = this.timing();
    await this.expireBans(startedAt);
    const workers = this.opts.fleet.list();
    await Promise.all(workers.map((w) => this.probe(w.id)));
    workers.forEach((w, i) => {
      const slot = this.slots.get(w.id);
      if (slot) slot.dueAt = initialSlot(i, workers.length, startedAt, timing);
    });
  }

  /** Asks for an early re-check of a worker that a dispatch found dead. */
  checkSoon(id: string): void {
    if (this.stopped || this.soon.has(id)) return;
    this.scheduleSoon(id, 1000);
  }

  private timing(): ProbeTiming {
    const { intervalMs } = this.opts.settings();
    return { intervalMs, tickMs: tickFor(intervalMs) };
  }

  private scheduleTick(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.tick(), this.timing().tickMs);
    this.timer.unref?.();
  }

  /** Probes the workers whose slot has come; skips those a command proved alive. */
  private tick(): void {
    const now = this.now();
    const timing = this.timing();
    if (now - this.bansExpiredAt >= timing.intervalMs) void this.expireBans(now);
    const workers = this.opts.fleet.list();
    for (const w of workers) {
      let slot = this.slots.get(w.id);
      if (!slot) {
        // Added at run time: probe it at once.
        slot = { dueAt: now, accountedUntil: null };
        this.slots.set(w.id, slot);
      }
      if (slot.dueAt > now || this.probing.has(w.id)) continue;
      const decision = decideProbe(w, slot.accountedUntil, now, timing, this.random);
      if (decision.probe) {
        slot.dueAt = slotAfterProbe(now, timing);
        void this.probe(w.id);
      } else {
        slot.dueAt = decision.nextAt;
        slot.accountedUntil = w.lastSeenAt;
      }
    }
    if (this.slots.size > workers.length) {
      for (const id of this.slots.keys()) if (!this.opts.fleet.get(id)) this.slots.delete(id);
    }
    this.scheduleTick();
  }

  private scheduleSoon(id: string, delay: number): void {
    const timer = setTimeout(() => {
      this.soon.delete(id);
      void this.probe(id).then(() => {
        const w = this.opts.fleet.get(id);
        if (w && !w.healthy && !this.stopped) this.scheduleSoon(id, Math.min(delay * 2, this.opts.settings().intervalMs));
      });
    }, delay);
    timer.unref?.();
    this.soon.set(id, { timer, delay });
  }

  /** One probe; its answer goes to the fleet. Never throws. */
  private async probe(id: string): Promise<void> {
    const w = this.opts.fleet.get(id);
    if (!w || this.stopped || this.probing.has(id)) return;
    this.probing.add(id);
    try {
      const res = await this.opts.client.health(w.url, this.opts.settings().timeoutMs);
      const answeredAt = this.now();
      const slot = this.slots.get(id);
      if (slot) slot.accountedUntil = answeredAt;
      else this.slots.set(id, { dueAt: slotAfterProbe(answeredAt, this.timing()), accountedUntil: answeredAt });
      const changed = await this.opts.fleet.setHealth(id, res.ok, res.ok ? null : res.message, answeredAt);
      // A worker found down is re-checked sooner than its next slot, so that it is back in
      // service seconds after it recovers, with or without traffic to notice it.
      if (changed && !res.ok) this.checkSoon(id);
    } catch (err) {
      this.opts.logger.warn({ err, worker: id }, 'could not record a health check; the next one will');
    } finally {
      this.probing.delete(id);
      if (this.probing.size === 0 && this.idle.length > 0) for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  private async expireBans(now: number): Promise<void> {
    this.bansExpiredAt = now;
    await this.opts.fleet.expireBans(now).catch((err) => this.opts.logger.warn({ err }, 'could not save the end of a ban; will retry next round'));
  }
}
