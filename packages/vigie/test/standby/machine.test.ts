import { describe, expect, it } from 'vitest';
import {
  activeSide,
  decide,
  initialState,
  resume,
  standbyTiming,
  type StandbyEvent,
  type StandbyState,
  type StandbyTiming,
} from '../../src/standby/machine.js';

const T: StandbyTiming = { checkIntervalMs: 60_000, fastCheckIntervalMs: 5_000, failureThreshold: 3, recoveryThreshold: 3, minActiveMs: 300_000 };

/** Drives the machine the way the monitor does, on a fake clock that follows each check delay. */
class Sim {
  now = 1_000_000;
  state: StandbyState;
  transitions: string[] = [];
  constructor(readonly t: StandbyTiming = T) {
    this.state = initialState(this.now);
  }
  send(event: StandbyEvent) {
    const d = decide(this.state, event, this.now, this.t);
    if (d.transition) this.transitions.push(`${d.transition.from}→${d.transition.to}`);
    this.state = d.state;
    if (d.next.kind === 'check') this.now += d.next.inMs;
    return d;
  }
  check(ok: boolean) {
    return this.send({ type: 'check', ok });
  }
  /** Runs failover or fail-back steps to the end, each with outcome `ok` unless listed in `failed`. */
  steps(failed: string[] = []) {
    let d = decide(this.state, { type: 'check', ok: true }, this.now, this.t);
    while (this.state.name === 'failing-over' || this.state.name === 'failing-back') {
      const step = this.state.step;
      d = this.send({ type: 'step-done', ok: !failed.includes(step) });
    }
    return d;
  }
}

describe('standby state machine', () => {
  it('fails over after FAILURE_THRESHOLD failed checks, the later ones at the fast interval', () => {
    const s = new Sim();
    expect(s.check(true).next).toEqual({ kind: 'check', inMs: 60_000 });
    expect(s.check(false).next).toEqual({ kind: 'check', inMs: 5_000 });
    expect(s.state).toMatchObject({ name: 'confirming', failures: 1 });
    expect(activeSide(s.state)).toBe('primary');
    expect(s.check(false).next).toEqual({ kind: 'check', inMs: 5_000 });
    const d = s.check(false);
    expect(d.next).toEqual({ kind: 'step', step: 'sync' });
    expect(s.state).toMatchObject({ name: 'failing-over', step: 'sync', reason: 'primary-down', hold: false });
    expect(activeSide(s.state)).toBe('none');
    expect(s.transitions).toEqual(['primary-active→confirming', 'confirming→failing-over']);
  });

  it('goes through sync → activate → wait-ready → announce, then standby-active', () => {
    const s = new Sim();
    for (let i = 0; i < 3; i++) s.check(false);
    const seen: string[] = [];
    while (s.state.name === 'failing-over') {
      seen.push(s.state.step);
      s.send({ type: 'step-done', ok: s.state.step !== 'sync' });
    }
    expect(seen).toEqual(['sync', 'activate', 'wait-ready', 'announce']);
    expect(s.state).toMatchObject({ name: 'standby-active', recoveries: 0 });
    expect(activeSide(s.state)).toBe('standby');
  });

  it('a failed sync still fails over and is remembered for the announcement', () => {
    const s = new Sim();
    for (let i = 0; i < 3; i++) s.check(false);
    s.send({ type: 'step-done', ok: false });
    expect(s.state).toMatchObject({ name: 'failing-over', step: 'activate', syncOk: false });
  });

  it('retries a failed activation instead of moving on without a standby', () => {
    const s = new Sim();
    for (let i = 0; i < 3; i++) s.check(false);
    s.send({ type: 'step-done', ok: true });
    const d = s.send({ type: 'step-done', ok: false });
    expect(d.next).toEqual({ kind: 'step', step: 'activate' });
    expect(s.state).toMatchObject({ name: 'failing-over', step: 'activate' });
  });

  it('a flapping primary never fails over', () => {
    const s = new Sim();
    for (let i = 0; i < 50; i++) s.check(i % 2 === 0 ? false : true);
    for (let i = 0; i < 50; i++) s.check(i % 3 !== 2); // two failures, one success
    expect(s.transitions.every((t) => !t.includes('failing-over'))).toBe(true);
    expect(['primary-active', 'confirming']).toContain(s.state.name);
  });

  it('FAILURE_THRESHOLD=1 fails over on the first failure', () => {
    const s = new Sim({ ...T, failureThreshold: 1 });
    s.check(false);
    expect(s.state.name).toBe('failing-over');
  });

  it('fails back only after RECOVERY_THRESHOLD healthy checks in a row AND MIN_ACTIVE_SECONDS', () => {
    const s = new Sim();
    for (let i = 0; i < 3; i++) s.check(false);
    s.steps();
    expect(s.state.name).toBe('standby-active');
    const activeSince = s.state.since;
    // Three healthy checks, but long before MIN_ACTIVE: stays.
    s.now = activeSince + 1000;
    s.check(true);
    expect(s.state).toMatchObject({ recoveries: 1 });
    s.check(true);
    s.check(true);
    expect(s.state).toMatchObject({ name: 'standby-active', recoveries: 3 });
    // A failure resets the count.
    s.check(false);
    expect(s.state).toMatchObject({ recoveries: 0 });
    s.now = activeSince + T.minActiveMs;
    s.check(true);
    s.check(true);
    expect(s.state.name).toBe('standby-active');
    const back = s.check(true);
    expect(back.next).toEqual({ kind: 'step', step: 'sync-back' });
    expect(s.state).toMatchObject({ name: 'failing-back', reason: 'primary-recovered', step: 'sync-back' });
    expect(activeSide(s.state)).toBe('standby');
    const steps: string[] = [];
    while (s.state.name === 'failing-back') {
      steps.push(s.state.step);
      s.send({ type: 'step-done', ok: true });
    }
    expect(steps).toEqual(['sync-back', 'deactivate', 'announce']);
    expect(s.state.name).toBe('primary-active');
  });

  it('with MIN_ACTIVE reached, recovers at exactly RECOVERY_THRESHOLD', () => {
    const s = new Sim({ ...T, minActiveMs: 0 });
    for (let i = 0; i < 3; i++) s.check(false);
    s.steps();
    expect(s.check(true).next).toEqual({ kind: 'check', inMs: 5_000 });
    s.check(true);
    expect(s.state.name).toBe('standby-active');
    s.check(true);
    expect(s.state.name).toBe('failing-back');
  });

  it('after the minimum, a recovered primary is looked at again no later than the end of MIN_ACTIVE', () => {
    const s = new Sim({ ...T, checkIntervalMs: 600_000, minActiveMs: 100_000 });
    for (let i = 0; i < 3; i++) s.check(false);
    s.steps();
    const since = s.state.since;
    const d1 = decide(s.state, { type: 'check', ok: true }, since + 1, s.t);
    const d2 = decide(d1.state, { type: 'check', ok: true }, since + 2, s.t);
    const d3 = decide(d2.state, { type: 'check', ok: true }, since + 3, s.t);
    expect(d3.state.name).toBe('standby-active');
    expect(d3.next).toEqual({ kind: 'check', inMs: 100_000 - 3 });
  });

  it('a manual activation holds the standby until deactivate', () => {
    const s = new Sim({ ...T, minActiveMs: 0 });
    const d = s.send({ type: 'activate' });
    expect(d.state).toMatchObject({ name: 'failing-over', reason: 'manual', hold: true });
    s.steps();
    for (let i = 0; i < 10; i++) s.check(true);
    expect(s.state).toMatchObject({ name: 'standby-active', hold: true });
    s.send({ type: 'deactivate' });
    expect(s.state).toMatchObject({ name: 'failing-back', reason: 'manual' });
    s.steps();
    expect(s.state.name).toBe('primary-active');
  });

  it('refuses commands that do not apply, changing nothing', () => {
    const s = new Sim();
    const d = s.send({ type: 'deactivate' });
    expect(d.refused).toMatch(/not active/);
    expect(d.state).toBe(s.state);
    for (let i = 0; i < 3; i++) s.check(false);
    const during = decide(s.state, { type: 'deactivate' }, s.now, T);
    expect(during.refused).toMatch(/failover is in progress/);
    expect(during.state).toEqual(s.state);
    s.steps();
    s.send({ type: 'deactivate' });
    const back = decide(s.state, { type: 'activate' }, s.now, T);
    expect(back.refused).toMatch(/fail-back is in progress/);
  });

  it('activate during a failover only sets the hold; checks during steps change nothing', () => {
    const s = new Sim();
    for (let i = 0; i < 3; i++) s.check(false);
    const d = decide(s.state, { type: 'activate' }, s.now, T);
    expect(d.state).toMatchObject({ name: 'failing-over', step: 'sync', hold: true, reason: 'primary-down' });
    expect(d.transition).toBeUndefined();
    const c = decide(s.state, { type: 'check', ok: true }, s.now, T);
    expect(c.state).toBe(s.state);
    expect(c.next).toEqual({ kind: 'step', step: 'sync' });
  });

  it('resumes a persisted failover at the step it was in', () => {
    const s = new Sim();
    for (let i = 0; i < 3; i++) s.check(false);
    s.send({ type: 'step-done', ok: true });
    const persisted = JSON.parse(JSON.stringify(s.state)) as StandbyState;
    expect(resume(persisted)).toEqual({ kind: 'step', step: 'activate' });
    expect(resume(initialState(0))).toEqual({ kind: 'check', inMs: 0 });
  });

  it('refuses an impossible timing', () => {
    expect(() => standbyTiming({ ...T, fastCheckIntervalMs: 0 })).toThrow(/STANDBY|intervals/);
    expect(standbyTiming(T)).toEqual(T);
  });
});

describe('standby state machine: a lost standby', () => {
  it('goes back to the activation step of the same failover, keeping the hold', () => {
    const s = new Sim();
    s.send({ type: 'activate' });
    s.steps();
    const id = (s.state as { id: string }).id;
    const d = s.send({ type: 'standby-lost' });
    expect(d.state).toMatchObject({ name: 'failing-over', step: 'activate', id, hold: true, reason: 'manual' });
    expect(d.next).toEqual({ kind: 'step', step: 'activate' });
    const other = decide(initialState(0), { type: 'standby-lost' }, 0, T);
    expect(other.state).toEqual(initialState(0));
  });
});
