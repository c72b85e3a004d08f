import { VigieError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { isStoreError, type Fence, type RunTrigger } from '../store/index.js';
import type { CycleRunner, CycleSummary } from '../cycles/runner.js';
import { nextTickAt, slotKey, slotStart, tickSlot } from './slots.js';

export interface CycleSchedulerOptions {
  runner: CycleRunner;
  initialDelayMs: number;
  /** Read at each tick: a run-time change of ALERT_CHECK_INTERVAL_MS applies from the next slot. */
  intervalMs: () => number;
  logger: Logger;
  /** The leader's fence for this cycle's writes (undefined: no election, single coordinator). */
  fence?: () => Fence | undefined;
  /** A cycle refused by the store: its slot ran elsewhere, or this process lost leadership. */
  onRefused?: (code: 'SLOT_TAKEN' | 'FENCED') => void;
  /** Asked before each scheduled cycle (the standby monitor's verdict, STANDBY_ACTIVE_URL); not ok: the slot is skipped. */
  gate?: () => Promise<{ ok: boolean; reason?: string }>;
  now?: () => number;
  /** Called once a cycle has ended, whatever its outcome (the process owner's hook: `vigie coordinator` collects the cycle's garbage there). */
  afterCycle?: () => void;
}

/**
 * Runs alert cycles, one per slot (the first one `initialDelayMs` after start, then at each
 * slot boundary), and on demand; never two at once: a tick during a cycle is skipped with a log
 * line, a manual run during a cycle is refused with CYCLE_IN_PROGRESS. Only the leader starts
 * the schedule; the store refuses a slot that ran already and a write from a stale leader.
 */
export class CycleScheduler {
  private current: Promise<CycleSummary> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private active = false;
  private ranSlot: number | undefined;
  /** The slot the pending timer was set for. */
  private plannedSlot: number | undefined;
  private readonly createdAt: number;
  private readonly now: () => number;

  constructor(private readonly opts: CycleSchedulerOptions) {
    this.now = opts.now ?? Date.now;
    this.createdAt = this.now();
  }

  /** Starts the schedule (on election). */
  start(): void {
    if (this.active) return;
    this.active = true;
    this.schedule();
  }

  /** Stops the schedule (on demotion or shutdown) and waits for a cycle in progress. */
  async stop(): Promise<void> {
    this.active = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.current?.catch(() => undefined);
  }

  /** True while a cycle runs. */
  isRunning(): boolean {
    return this.current !== undefined;
  }

  /** Runs a cycle now, outside the slots; refused while one runs. */
  async runOnce(trigger: RunTrigger = 'manual'): Promise<CycleSummary> {
    if (this.current) {
      throw new VigieError('CYCLE_IN_PROGRESS', 'A cycle is running now; wait for it to end (GET /api/v1/alerts/runs) and try again.', 409);
    }
    return this.execute(trigger, { fence: this.opts.fence?.() });
  }

  private schedule(): void {
    if (!this.active) return;
    const now = this.now();
    const at = nextTickAt(now, this.opts.intervalMs(), this.createdAt + this.opts.initialDelayMs, this.ranSlot);
    this.plannedSlot = slotStart(at, this.opts.intervalMs());
    this.timer = setTimeout(() => void this.tick(), Math.max(0, at - now));
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    if (!this.active) return;
    // The slot the timer was set for, or a later one if it fired late. Never the slot before:
    // timers run on a monotonic clock and may fire a millisecond before the wall-clock
    // boundary, when `now` still falls in the slot that already ran here.
    const slot = tickSlot(this.now(), this.opts.intervalMs(), this.plannedSlot);
    if (this.current) {
      this.opts.logger.warn({ slot: new Date(slot).toISOString() }, 'alert cycle: the previous cycle is still running, this slot is skipped');
    } else if (this.opts.gate && !(await this.passGate(slot))) {
      this.ranSlot = slot;
    } else {
      this.ranSlot = slot;
      try {
        await this.execute('schedule', { slotKey: slotKey(slot, this.opts.intervalMs()), fence: this.opts.fence?.() });
      } catch (err) {
        if (isStoreError(err, 'SLOT_TAKEN')) {
          this.opts.logger.info({ slot: new Date(slot).toISOString() }, 'alert cycle: the store already has a run for this slot (another coordinator, or this one before a restart); skipped');
          this.opts.onRefused?.('SLOT_TAKEN');
        } else if (isStoreError(err, 'FENCED')) {
          this.opts.logger.error({ slot: new Date(slot).toISOString(), err: err.message }, 'alert cycle: stale write rejected by the store (this coordinator lost its leadership)');
          this.opts.onRefused?.('FENCED');
        } else {
          this.opts.logger.error({ err }, 'alert cycle failed');
        }
      }
    }
    this.ranSlot = Math.max(this.ranSlot ?? slot, slot);
    const missed = (slotStart(this.now(), this.opts.intervalMs()) - slot) / this.opts.intervalMs() - 1;
    if (missed > 0) this.opts.logger.warn({ missed }, `alert cycle: ${missed} slot(s) skipped while the previous cycle ran`);
    this.schedule();
  }

  /** The gate's verdict for this slot; a refusal is logged with its reason. */
  private async passGate(slot: number): Promise<boolean> {
    const verdict = await this.opts.gate!().catch((err: unknown) => ({ ok: false, reason: `the gate failed (${(err as Error).message})` }));
    if (!verdict.ok) this.opts.logger.warn({ slot: new Date(slot).toISOString(), reason: verdict.reason }, `alert cycle skipped: ${verdict.reason}`);
    return verdict.ok;
  }

  private async execute(trigger: RunTrigger, ctx: { slotKey?: string; fence?: Fence | undefined }): Promise<CycleSummary> {
    const p = this.opts.runner.run(trigger, ctx);
    this.current = p;
    try {
      return await p;
    } finally {
      this.current = undefined;
      this.opts.afterCycle?.();
    }
  }
}
