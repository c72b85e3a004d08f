import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CycleRunner, CycleSummary } from '../../src/cycles/runner.js';
import { CycleScheduler } from '../../src/coordinator/scheduler.js';
import { nextTickAt, slotKey, slotStart, tickSlot } from '../../src/coordinator/slots.js';
import { createLogger } from '../../src/observability/logger.js';
import { StoreError } from '../../src/store/errors.js';

const I = 1000;

describe('slots', () => {
  it('cuts time into epoch-aligned slots with stable keys', () => {
    expect(slotStart(12_345, I)).toBe(12_000);
    expect(slotStart(12_000, I)).toBe(12_000);
    expect(slotKey(12_000, I)).toBe('alert-cycle:1000:12000');
  });

  it('waits for the start-up delay, runs a slot not run yet at once, else waits for the next boundary', () => {
    expect(nextTickAt(10_000, I, 10_500, undefined)).toBe(10_500);
    expect(nextTickAt(10_600, I, 10_500, undefined)).toBe(10_600);
    expect(nextTickAt(10_600, I, 10_500, 10_000)).toBe(11_000);
    expect(nextTickAt(11_200, I, 10_500, 10_000)).toBe(11_200); // a slot was missed: run the current one now
  });

  it('a tick runs the slot it was planned for even when its timer fires before the wall-clock boundary', () => {
    expect(tickSlot(10_999, I, 11_000)).toBe(11_000);
    expect(tickSlot(12_300, I, 11_000)).toBe(12_000); // late: the current slot
    expect(tickSlot(10_400, I, undefined)).toBe(10_000);
  });
});

describe('CycleScheduler', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(100_250);
  });
  afterEach(() => vi.useRealTimers());

  const logger = createLogger({ level: 'silent', format: 'json' });
  const summary = { status: 'ok' } as CycleSummary;

  it('runs one cycle per slot, each with its slot key and the current fence', async () => {
    const calls: Array<{ slotKey?: string; fence?: unknown }> = [];
    const runner = { run: vi.fn(async (_t: string, ctx: { slotKey?: string; fence?: unknown }) => (calls.push(ctx), summary)) } as unknown as CycleRunner;
    let token = 7;
    const s = new CycleScheduler({ runner, initialDelayMs: 500, intervalMs: () => I, logger, fence: () => ({ name: 'leader', token }) });
    s.start();
    await vi.advanceTimersByTimeAsync(499);
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toEqual([{ slotKey: 'alert-cycle:1000:100000', fence: { name: 'leader', token: 7 } }]);
    token = 8;
    await vi.advanceTimersByTimeAsync(3000);
    expect(calls.map((c) => c.slotKey)).toEqual(['alert-cycle:1000:100000', 'alert-cycle:1000:101000', 'alert-cycle:1000:102000', 'alert-cycle:1000:103000']);
    expect(calls.at(-1)!.fence).toEqual({ name: 'leader', token: 8 });
    await s.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls).toHaveLength(4);
  });

  it('with one coordinator, never tries a slot twice when its timer fires before the wall-clock boundary (issue 17.8)', async () => {
    // Node's timers count from the event loop's cached time, Date.now() from the present: after
    // a cycle did some work in this loop turn, a timer set for the next boundary fires that many
    // milliseconds early, while the wall clock still reads the slot that just ran.
    let ahead = 0;
    const now = () => Date.now() + ahead;
    const keys: string[] = [];
    const lines: string[] = [];
    const capture = createLogger({ level: 'info', format: 'json', destination: { write: (l: string) => (lines.push(l), true) } as unknown as NodeJS.WritableStream });
    const runner = {
      run: vi.fn(async (_t: string, ctx: { slotKey?: string }) => {
        // The store's rule: a slot key is unique.
        if (keys.includes(ctx.slotKey!)) throw new StoreError('SLOT_TAKEN', 'taken');
        keys.push(ctx.slotKey!);
        // 3 ms of work in this loop turn; the next turn's cached time catches up.
        ahead = 3;
        setTimeout(() => (ahead = 0), 0);
        return summary;
      }),
    } as unknown as CycleRunner;
    const s = new CycleScheduler({ runner, initialDelayMs: 0, intervalMs: () => I, logger: capture, now });
    s.start();
    await vi.advanceTimersByTimeAsync(4500);
    await s.stop();
    expect(keys).toEqual(['alert-cycle:1000:100000', 'alert-cycle:1000:101000', 'alert-cycle:1000:102000', 'alert-cycle:1000:103000', 'alert-cycle:1000:104000']);
    expect(runner.run).toHaveBeenCalledTimes(keys.length);
    expect(lines.join('')).not.toContain('already');
  });

  it('skips a slot while a cycle runs, and reports slots refused by the store', async () => {
    let release!: () => void;
    let n = 0;
    const refused: string[] = [];
    const runner = {
      run: vi.fn(async () => {
        n++;
        if (n === 1) await new Promise<void>((r) => (release = r));
        if (n === 2) throw new StoreError('SLOT_TAKEN', 'taken');
        if (n === 3) throw new StoreError('FENCED', 'stale');
        return summary;
      }),
    } as unknown as CycleRunner;
    const s = new CycleScheduler({ runner, initialDelayMs: 0, intervalMs: () => I, logger, onRefused: (c) => refused.push(c) });
    s.start();
    await vi.advanceTimersByTimeAsync(2500); // slot 100 starts and hangs; 101 and 102 come while it runs
    expect(n).toBe(1);
    await expect(s.runOnce()).rejects.toMatchObject({ code: 'CYCLE_IN_PROGRESS' });
    release();
    // Slot 101 was missed while 100 ran; 102 (current) runs at once, then 103 at its boundary.
    await vi.advanceTimersByTimeAsync(1000);
    expect(n).toBe(3);
    expect(refused).toEqual(['SLOT_TAKEN', 'FENCED']);
    await s.stop();
  });

  it('calls afterCycle once each cycle has ended, scheduled or on demand, failed or not, and never while one runs', async () => {
    let n = 0;
    let running = false;
    const seen: boolean[] = [];
    const runner = {
      run: vi.fn(async () => {
        running = true;
        await new Promise((r) => setTimeout(r, 100));
        running = false;
        if (++n === 2) throw new Error('store gone');
        return summary;
      }),
    } as unknown as CycleRunner;
    const s = new CycleScheduler({ runner, initialDelayMs: 0, intervalMs: () => I, logger, afterCycle: () => seen.push(running) });
    s.start();
    await vi.advanceTimersByTimeAsync(1500); // slots 100 (ok) and 101 (failed)
    expect(seen).toEqual([false, false]);
    await s.stop();
    const once = s.runOnce();
    await vi.advanceTimersByTimeAsync(100);
    await once;
    expect(seen).toEqual([false, false, false]);
  });
});
