// The election's pure decisions, on a fake clock: no timers, no backend.
import { describe, expect, it } from 'vitest';
import { hasCode } from '../../src/errors.js';
import { decide, electorTiming, stepDownTime, type ElectorState } from '../../src/lock/election.js';
import type { LockGrant } from '../../src/lock/types.js';

const t = electorTiming({ leaseMs: 15_000 });
const T0 = 1_000_000;
const grant = (expiresAt: number, token = 'h:1:aa', fencing = 7): LockGrant => ({ key: 'leader', token, fencing, expiresAt });
const follower: ElectorState = { role: 'follower', since: T0 - 60_000 };
const leaderOn = (g: LockGrant, since = T0): ElectorState => ({ role: 'leader', since, grant: g });

describe('electorTiming', () => {
  it('renews every third of the lease and steps down one renewal period before its end', () => {
    expect(t).toEqual({ leaseMs: 15_000, renewEveryMs: 5000, safetyMarginMs: 5000, retryEveryMs: 1000 });
    expect(electorTiming({ leaseMs: 3000, renewEveryMs: 500, safetyMarginMs: 700 })).toMatchObject({ renewEveryMs: 500, safetyMarginMs: 700, retryEveryMs: 100 });
  });

  it('refuses a lease that would end before the leader could renew it safely', () => {
    const codeOf = (fn: () => unknown): unknown => {
      try {
        fn();
      } catch (e) {
        return hasCode(e, 'LEADER_TIMING_INVALID') ? 'LEADER_TIMING_INVALID' : e;
      }
      return 'no error';
    };
    expect(codeOf(() => electorTiming({ leaseMs: 1000, renewEveryMs: 600 }))).toBe('LEADER_TIMING_INVALID');
    expect(codeOf(() => electorTiming({ leaseMs: 1000, renewEveryMs: 400, safetyMarginMs: 600 }))).toBe('LEADER_TIMING_INVALID');
    expect(codeOf(() => electorTiming({ leaseMs: 1000, renewEveryMs: 400, safetyMarginMs: 500 }))).toBe('no error');
    expect(codeOf(() => electorTiming({ leaseMs: 1000, renewEveryMs: 0 }))).toBe('LEADER_TIMING_INVALID');
  });
});

describe('decide: a follower', () => {
  it('becomes leader on a grant, renews in renewEveryMs and arms the step-down time', () => {
    const g = grant(T0 + 14_800);
    const d = decide(follower, { type: 'acquired', grant: g }, T0, t);
    expect(d.change).toBe('elected');
    expect(d.state).toEqual({ role: 'leader', since: T0, grant: g });
    expect(d.next).toEqual({ op: 'extend', inMs: 5000 });
    expect(d.stepDownAt).toBe(T0 + 14_800 - 5000);
    expect(d.release).toBeUndefined();
  });

  it('does not lead on a grant that arrives too late to be relied on, and gives it back', () => {
    const g = grant(T0 + 4000); // less than the safety margin left
    const d = decide(follower, { type: 'acquired', grant: g }, T0, t);
    expect(d.change).toBe('none');
    expect(d.state.role).toBe('follower');
    expect(d.release).toBe(g);
    expect(d.next).toEqual({ op: 'acquire', inMs: 5000 });
  });

  it('tries again in renewEveryMs when the lock is held or the backend fails', () => {
    for (const event of [{ type: 'held' } as const, { type: 'acquire-error', error: new Error('down') } as const]) {
      const d = decide(follower, event, T0, t);
      expect(d).toEqual({ state: follower, change: 'none', next: { op: 'acquire', inMs: 5000 } });
    }
  });

  it('gives back a renewal that was in flight when it stepped down', () => {
    const g = grant(T0 + 14_000);
    const d = decide(follower, { type: 'extended', grant: g }, T0, t);
    expect(d.state).toBe(follower);
    expect(d.release).toBe(g);
    expect(d.change).toBe('none');
  });

  it('ignores a step-down timer (already down) without rescheduling', () => {
    expect(decide(follower, { type: 'deadline' }, T0, t)).toEqual({ state: follower, change: 'none' });
  });
});

describe('decide: a leader', () => {
  const g = grant(T0 + 15_000);

  it('stays leader on a renewal and moves its step-down time', () => {
    const renewed = { ...g, expiresAt: T0 + 20_000 };
    const d = decide(leaderOn(g), { type: 'extended', grant: renewed }, T0 + 5000, t);
    expect(d.change).toBe('none');
    expect(d.state).toEqual(leaderOn(renewed));
    expect(d.stepDownAt).toBe(T0 + 15_000);
    expect(d.next).toEqual({ op: 'extend', inMs: 5000 });
  });

  it('steps down at once when the lock was lost, without releasing what is not its own', () => {
    const d = decide(leaderOn(g), { type: 'lost' }, T0 + 5000, t);
    expect(d.change).toBe('demoted');
    expect(d.state).toEqual({ role: 'follower', since: T0 + 5000 });
    expect(d.release).toBeUndefined();
    expect(d.reason).toMatch(/lost/);
    expect(d.next).toEqual({ op: 'acquire', inMs: 5000 });
  });

  it('rides out failed renewals while the lease is safely ahead, retrying every retryEveryMs', () => {
    const d = decide(leaderOn(g), { type: 'extend-error', error: new Error('ECONNREFUSED') }, T0 + 5000, t);
    expect(d.change).toBe('none');
    expect(d.state.role).toBe('leader');
    expect(d.next).toEqual({ op: 'extend', inMs: 1000 });
    // Never schedules the retry past the step-down time.
    const late = decide(leaderOn(g), { type: 'extend-error', error: new Error('x') }, T0 + 9600, t);
    expect(late.next).toEqual({ op: 'extend', inMs: 400 });
  });

  it("steps down before its lease ends when renewals keep failing (Patroni's rule)", () => {
    // Simulate: renewals fail from the first one on; follow the decisions' own schedule.
    let state: ElectorState = leaderOn(g);
    let now = T0 + 5000;
    let demotedAt: number | undefined;
    for (let i = 0; i < 100 && demotedAt === undefined; i++) {
      const d = decide(state, { type: 'extend-error', error: new Error('ETIMEDOUT') }, now, t);
      state = d.state;
      if (d.change === 'demoted') {
        demotedAt = now;
        expect(d.release).toBe(g); // best effort: frees it sooner if Redis answers again
        expect(d.reason).toMatch(/cannot renew.*ETIMEDOUT/);
      } else {
        now += d.next!.inMs;
      }
    }
    expect(demotedAt).toBeDefined();
    expect(demotedAt!).toBeLessThan(g.expiresAt);
    expect(demotedAt!).toBeGreaterThanOrEqual(stepDownTime(g, t));
  });

  it('steps down when the step-down timer fires without a renewal (a renewal may hang)', () => {
    expect(decide(leaderOn(g), { type: 'deadline' }, T0 + 9999, t)).toEqual({ state: leaderOn(g), change: 'none' });
    const d = decide(leaderOn(g), { type: 'deadline' }, T0 + 10_000, t);
    expect(d.change).toBe('demoted');
    expect(d.release).toBe(g);
    expect(d.reason).toMatch(/no successful renewal.*5000 ms/);
  });

  it('does not rely on a renewal that came back too late', () => {
    const renewed = { ...g, expiresAt: T0 + 12_000 };
    const d = decide(leaderOn(g), { type: 'extended', grant: renewed }, T0 + 8000, t);
    expect(d.change).toBe('demoted');
    expect(d.release).toBe(renewed);
  });

  it("gives back a grant that is not its leadership's", () => {
    const other = grant(T0 + 15_000, 'h:1:bb', 8);
    const d = decide(leaderOn(g), { type: 'acquired', grant: other }, T0 + 100, t);
    expect(d.state).toEqual(leaderOn(g));
    expect(d.release).toBe(other);
  });
});
