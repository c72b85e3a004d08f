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
  /** The wheel bucket of its live entry (entries left in other buckets are stale). */
  bucket: number;
}

/**
 * Checks the workers' `GET /api/v1/worker/health` and tells the fleet, which emits worker.health
 * when the health changed. One timer for the whole fleet, and a timing wheel (one bucket per
 * tick) so that a tick looks only at the workers due then, not at all 5000: each tick probes
 * the workers whose slot has come (policy/probe-schedule.ts: spread over the interval, skipped for a worker a
 * command proved alive, never later than one interval after the last proof of life). Probes go
 * over the worker client's keep-alive pools. The first round probes everyone at once, so that
 * health is known before the coordinator serves. A worker ejected by a failed dispatch is
 * re-checked sooner (1 s, 2 s, 4 s … up to the interval) so that it comes back quickly.
 */
export class HealthChecker {
  private timer: NodeJS.Timeout | undefined;
  private readonly slots = new Map<string, Slot>();
  /** Worker ids by the tick their slot falls in (an id may linger in an older bucket: the slot decides). */
  private wheel = new Map<number, string[]>();
  private wheelMs = 0;
  private nextBucket = 0;
  private offAdded: (() => void) | undefined;
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
    this.wheelMs = this.timing().tickMs;
    this.nextBucket = Math.floor(this.now() / this.wheelMs);
    // A worker added at run time is probed at once.
    this.offAdded = this.opts.fleet.events.on('worker.added', ({ data }) => this.schedule(data.worker.id, this.now()));
    await this.checkAll();
    this.scheduleTick();
  }

  /** Stops the timers and waits for probes in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.offAdded?.();
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
    workers.forEach((w, i) => this.schedule(w.id, initialSlot(i, workers.length, startedAt, timing)));
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

  /** Puts a worker's next look at `dueAt`. */
  private schedule(id: string, dueAt: number): void {
    // Never into a bucket already taken out of the wheel (this tick's included).
    const key = Math.max(this.nextBucket, Math.floor(dueAt / this.wheelMs));
    let slot = this.slots.get(id);
    if (!slot) {
      slot = { dueAt, accountedUntil: null, bucket: key };
      this.slots.set(id, slot);
    }
    slot.dueAt = dueAt;
    slot.bucket = key;
    const bucket = this.wheel.get(key);
    if (bucket) bucket.push(id);
    else this.wheel.set(key, [id]);
  }

  /** Probes the workers whose slot has come; skips those a command proved alive. */
  private tick(): void {
    const now = this.now();
    const timing = this.timing();
    if (timing.tickMs !== this.wheelMs) this.rebuildWheel(timing.tickMs, now);
    if (now - this.bansExpiredAt >= timing.intervalMs) void this.expireBans(now);
    const last = Math.floor(now / this.wheelMs);
    while (this.nextBucket <= last) {
      const key = this.nextBucket++;
      const ids = this.wheel.get(key);
      if (!ids) continue;
      this.wheel.delete(key);
      for (const id of ids) this.visit(id, key, now, timing);
    }
    this.scheduleTick();
  }

  private visit(id: string, bucket: number, now: number, timing: ProbeTiming): void {
    const slot = this.slots.get(id);
    if (!slot || slot.bucket !== bucket) return; // a stale entry: the slot moved since
    const w = this.opts.fleet.get(id);
    if (!w) {
      this.slots.delete(id);
      return;
    }
    // Due later in this tick's last bucket, or being probed now (an early re-check): next tick.
    if (slot.dueAt > now || this.probing.has(id)) {
      this.schedule(id, slot.dueAt > now ? slot.dueAt : now + this.wheelMs);
      return;
    }
    const decision = decideProbe(w, slot.accountedUntil, now, timing, this.random);
    if (decision.probe) {
      this.schedule(id, slotAfterProbe(now, timing));
      void this.probe(id);
    } else {
      slot.accountedUntil = w.lastSeenAt;
      this.schedule(id, decision.nextAt);
    }
  }

  /** The interval changed at run time: a new tick, so the wheel is laid out again. */
  private rebuildWheel(tickMs: number, now: number): void {
    this.wheelMs = tickMs;
    this.wheel = new Map();
    this.nextBucket = Math.floor(now / tickMs);
    for (const [id, slot] of this.slots) this.schedule(id, slot.dueAt);
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
      if (!this.slots.has(id)) this.schedule(id, slotAfterProbe(answeredAt, this.timing()));
      this.slots.get(id)!.accountedUntil = answeredAt;
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
