import { describe, expect, it } from 'vitest';
import {
  HOUR_MS, START, afterStep, cooldownUntil, decide, hourlyCapUntil, planKind, planStep, record403, recordSuccess,
  landedIn, markExhaustedNotified, type DecideInput, type LadderSettings, type LadderState,
} from '../../src/remediation/policy.js';

const settings: LadderSettings = { enabled: true, threshold: 3, regions: ['cdg', 'iad', 'lhr'], apps: ['app-a', 'app-b'], cooldownMs: 300_000, maxPerHour: 6 };
const T0 = 1_700_000_000_000;

/** A fake clock: decisions take `now` as an input, so time is just a number we move. */
function input(state: LadderState, over: Partial<DecideInput> = {}): DecideInput {
  return { state, where: { region: 'cdg', app: 'app-a' }, settings, now: T0, fleetStepTimes: [], inProgress: false, ...over };
}
const n403 = (s: LadderState, n: number) => Array.from({ length: n }).reduce<LadderState>((acc) => record403(acc), s);

describe('failover policy: streak and threshold', () => {
  it('takes no step below the threshold, one at it', () => {
    expect(decide(input(n403(START, 2)))).toEqual({ act: 'none', why: 'below-threshold' });
    expect(decide(input(n403(START, 3)))).toEqual({ act: 'step', step: { kind: 'restart' } });
  });

  it('a success resets the streak', () => {
    const s = recordSuccess(n403(START, 2));
    expect(s.streak).toBe(0);
    expect(decide(input(record403(s)))).toEqual({ act: 'none', why: 'below-threshold' });
  });

  it('ENABLE_FAILOVER=false decides nothing, whatever the streak', () => {
    expect(decide(input(n403(START, 50), { settings: { ...settings, enabled: false } }))).toEqual({ act: 'none', why: 'disabled' });
  });

  it('never a second step while one is in progress', () => {
    expect(decide(input(n403(START, 3), { inProgress: true }))).toEqual({ act: 'none', why: 'in-progress' });
  });
});

describe('failover policy: escalation', () => {
  it('climbs restart → regions other than its own → apps other than its own → exhausted', () => {
    let s = n403(START, 3);
    const where = { region: 'cdg', app: 'app-a' };
    const steps: unknown[] = [];
    let now = T0;
    for (;;) {
      const d = decide(input(s, { now, where, settings: { ...settings, cooldownMs: 0 } }));
      if (d.act !== 'step') {
        expect(d).toEqual({ act: 'exhausted', notify: true });
        break;
      }
      steps.push(d.step);
      // The region step lands in the first region offered; the block is not cleared: 3 more 403s.
      s = n403(landedIn(afterStep(s, d.step, now), d.step, { region: d.step.kind === 'region' ? d.step.regions[0] : undefined }), 3);
      now += 1000;
    }
    expect(steps).toEqual([
      { kind: 'restart' },
      { kind: 'region', regions: ['iad', 'lhr'] },
      { kind: 'region', regions: ['lhr'] },
      { kind: 'app', app: 'app-b' },
    ]);
  });

  it('a step resets the streak: the next rung needs a full streak of fresh 403s', () => {
    const s = afterStep(n403(START, 3), { kind: 'restart' }, T0);
    expect(s.streak).toBe(0);
    expect(decide(input(n403(s, 2), { now: T0 + 10 * HOUR_MS }))).toEqual({ act: 'none', why: 'below-threshold' });
    expect(decide(input(n403(s, 3), { now: T0 + 10 * HOUR_MS }))).toEqual({ act: 'step', step: { kind: 'region', regions: ['iad', 'lhr'] } });
  });

  it('a success after a step resets the ladder to its start (restart first again)', () => {
    const region = { kind: 'region' as const, regions: ['iad'] };
    const s = recordSuccess(landedIn(afterStep(afterStep(START, { kind: 'restart' }, T0), region, T0), region, { region: 'iad' }));
    expect(planStep(s, { region: 'iad' }, settings)).toEqual({ kind: 'restart' });
    // The cooldown still counts from the last step.
    expect(s.lastStepAt).toBe(T0);
  });

  it('a failed region step counts every region it was offered as tried', () => {
    const region = { kind: 'region' as const, regions: ['iad', 'lhr'] };
    const s = landedIn(afterStep(afterStep(START, { kind: 'restart' }, T0), region, T0), region, 'failed');
    expect(planStep(s, { region: 'cdg', app: 'app-a' }, settings)).toEqual({ kind: 'app', app: 'app-b' });
  });

  it('a region move that did not heal: only the region it landed in is tried; the 403s counted since the step stay', () => {
    const step = { kind: 'region' as const, regions: ['iad', 'lhr'] };
    const during = record403(afterStep(afterStep(START, { kind: 'restart' }, T0), step, T0));
    const landed = landedIn(during, step, { region: 'iad' });
    expect(landed.triedRegions).toEqual(['iad']);
    expect(landed.streak).toBe(1);
    // The next move goes to the region not tried yet.
    expect(planStep(landed, { region: 'iad' }, settings)).toEqual({ kind: 'region', regions: ['cdg', 'lhr'] });
  });

  it('exhausted is notified once per climb', () => {
    const done: LadderState = { ...n403(START, 3), restarted: true, triedRegions: ['iad', 'lhr'], triedApps: ['app-b'] };
    expect(decide(input(done))).toEqual({ act: 'exhausted', notify: true });
    expect(decide(input(markExhaustedNotified(done)))).toEqual({ act: 'exhausted', notify: false });
    // A success starts a new climb, which may be notified again.
    expect(recordSuccess(markExhaustedNotified(done)).exhaustedNotified).toBe(false);
  });

  it('no regions and no apps: restart only, then exhausted', () => {
    const only = { ...settings, regions: ['cdg'], apps: [] };
    const s = n403(afterStep(START, { kind: 'restart' }, T0), 3);
    expect(decide(input(s, { settings: only, now: T0 + HOUR_MS }))).toEqual({ act: 'exhausted', notify: true });
  });

  it('an operator may ask for a given rung', () => {
    expect(planKind('region', START, { region: 'cdg' }, settings)).toEqual({ kind: 'region', regions: ['iad', 'lhr'] });
    expect(planKind('app', START, { region: 'cdg', app: 'app-b' }, settings)).toEqual({ kind: 'app', app: 'app-a' });
    expect(planKind('app', START, { region: 'cdg' }, { ...settings, apps: [] })).toBeNull();
    expect(planKind('region', START, { region: 'cdg' }, { ...settings, regions: ['cdg'] })).toBeNull();
  });
});

describe('failover policy: cooldown and hourly cap', () => {
  it('one step per worker per cooldown', () => {
    const s = n403(afterStep(n403(START, 3), { kind: 'restart' }, T0), 3);
    expect(decide(input(s, { now: T0 + 299_999 }))).toEqual({ act: 'wait', why: 'cooldown', until: T0 + 300_000 });
    expect(decide(input(s, { now: T0 + 300_000 })).act).toBe('step');
    expect(cooldownUntil(START, settings, T0)).toBeNull();
  });

  it('at most maxPerHour steps in the fleet per rolling hour', () => {
    const times = [T0 - 3_500_000, T0 - 3_000_000, T0 - 10, T0 - 5, T0 - 2, T0 - 1];
    expect(hourlyCapUntil(times, 6, T0)).toBe(T0 - 3_500_000 + HOUR_MS);
    expect(decide(input(n403(START, 3), { fleetStepTimes: times }))).toEqual({ act: 'wait', why: 'hourly-cap', until: T0 - 3_500_000 + HOUR_MS });
    // An hour later the oldest leaves the window.
    expect(decide(input(n403(START, 3), { fleetStepTimes: times, now: T0 - 3_500_000 + HOUR_MS })).act).toBe('step');
    expect(hourlyCapUntil(times.slice(1), 6, T0)).toBeNull();
    // 0 means no step at all.
    expect(hourlyCapUntil([], 0, T0)).toBe(T0 + HOUR_MS);
  });
});
