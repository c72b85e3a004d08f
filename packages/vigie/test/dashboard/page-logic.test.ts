// The page's pure parts, run in Node: the cycle progress fold and the formatting helpers.
import { describe, expect, it } from 'vitest';
import { applyCycleEvent, type CycleEvent } from '../../dashboard/src/cycle-progress.js';
import { ago, duration } from '../../dashboard/src/format.js';

const batch = (runId: string, ok: boolean, alertsChecked: number, matches: number): CycleEvent => ({
  type: 'cycle.batch',
  data: { at: 2, runId, workerId: 'w1', ok, alerts: alertsChecked, alertsChecked, matches, round: 1, durationMs: 10 },
});

describe('cycle progress', () => {
  it('adds batches up as they come, then takes the cycle\'s own totals at its end', () => {
    let s = applyCycleEvent(null, { type: 'cycle.started', data: { at: 1, runId: 'r1', trigger: 'manual', alerts: 10, workers: 3 } });
    expect(s).toMatchObject({ runId: 'r1', status: 'running', alerts: 10, alertsChecked: 0 });
    s = applyCycleEvent(s, batch('r1', true, 4, 1));
    s = applyCycleEvent(s, batch('r1', false, 0, 0));
    s = applyCycleEvent(s, { type: 'cycle.redispatched', data: { at: 3, runId: 'r1', alerts: 3, workers: ['w2'], unassigned: 0 } });
    s = applyCycleEvent(s, batch('r1', true, 3, 0));
    expect(s).toMatchObject({ batchesOk: 2, batchesFailed: 1, alertsChecked: 7, matches: 1, redispatched: 3, status: 'running' });
    s = applyCycleEvent(s, {
      type: 'cycle.ended',
      data: { at: 4, runId: 'r1', trigger: 'manual', status: 'partial', durationMs: 900, alertsTotal: 10, alertsChecked: 9, alertsFailed: 1, matches: 1, errors: 1, workersOk: 2, workersFailed: 1 },
    });
    expect(s).toMatchObject({ status: 'partial', durationMs: 900, alerts: 10, alertsChecked: 9, errors: 1, batchesOk: 2 });
  });

  it('starts afresh for a cycle whose start it did not see, and for the next cycle', () => {
    const old = applyCycleEvent(null, { type: 'cycle.started', data: { at: 1, runId: 'r1', trigger: 'schedule', alerts: 5, workers: 1 } });
    const s = applyCycleEvent(old, batch('r2', true, 2, 0));
    expect(s).toMatchObject({ runId: 'r2', alerts: null, alertsChecked: 2, batchesOk: 1 });
  });
});

describe('formatting', () => {
  it('writes durations and ages in words', () => {
    expect(duration(null)).toBe('—');
    expect(duration(120)).toBe('120 ms');
    expect(duration(9_400)).toBe('9 s');
    expect(duration(252_000)).toBe('4 min 12 s');
    expect(duration(7_500_000)).toBe('2 h 5 min');
    expect(ago(null, 1000)).toBe('never');
    expect(ago(new Date(10_000).toISOString(), 22_000)).toBe('12 s ago');
    expect(ago(21_500, 22_000)).toBe('just now');
    expect(ago(30_000, 22_000)).toBe('just now'); // a clock a little ahead
  });
});
