import { describe, expect, it } from 'vitest';
import { decideProbe, initialSlot, slotAfterProbe, tickFor, type ProbeTiming } from '../../../src/coordinator/policy/probe-schedule.js';
import { seededRandom } from '../../../src/util/seeded-random.js';

const t: ProbeTiming = { intervalMs: 15_000, tickMs: tickFor(15_000) };

describe('probe schedule', () => {
  it('ticks about a hundredth of the interval, within 20 ms and 1 s', () => {
    expect(tickFor(15_000)).toBe(150);
    expect(tickFor(60_000)).toBe(600);
    expect(tickFor(500)).toBe(20);
    expect(tickFor(3_600_000)).toBe(1000);
  });

  it('spreads the first slots evenly over one interval, none past it', () => {
    const slots = Array.from({ length: 5000 }, (_, i) => initialSlot(i, 5000, 1000, t));
    expect(slots[0]).toBeGreaterThan(1000);
    expect(slots[4999]).toBe(1000 + t.intervalMs - t.tickMs);
    // Per tenth of the interval, a tenth of the workers (±1): no burst.
    const perTenth = new Array(10).fill(0);
    for (const s of slots) perTenth[Math.min(9, Math.floor(((s - 1000) / (t.intervalMs - t.tickMs)) * 10))]++;
    for (const n of perTenth) expect(Math.abs(n - 500)).toBeLessThanOrEqual(1);
  });

  it('probes one interval after the last probe started, a tick early', () => {
    expect(slotAfterProbe(10_000, t)).toBe(10_000 + 15_000 - 150);
  });

  it('probes a worker with no proof of life since its last probe, or an unhealthy one', () => {
    const random = () => 0.5;
    expect(decideProbe({ healthy: true, lastSeenAt: 5000 }, 5000, 20_000, t, random)).toEqual({ probe: true });
    expect(decideProbe({ healthy: true, lastSeenAt: null }, null, 20_000, t, random)).toEqual({ probe: true });
    expect(decideProbe({ healthy: true, lastSeenAt: 9000 }, null, 10_000, t, random)).toEqual({ probe: true }); // never probed yet
    expect(decideProbe({ healthy: false, lastSeenAt: 19_000 }, 5000, 20_000, t, random)).toEqual({ probe: true });
  });

  it('skips a worker a command proved alive, to no later than one interval after that proof', () => {
    const d = decideProbe({ healthy: true, lastSeenAt: 19_000 }, 5000, 20_000, t, () => 0.5);
    expect(d).toEqual({ probe: false, nextAt: 19_000 + 15_000 - 150 - 3750 });
    expect(decideProbe({ healthy: true, lastSeenAt: 19_000 }, 5000, 20_000, t, () => 0)).toEqual({ probe: false, nextAt: 19_000 + 15_000 - 150 });
    // A proof too old to push the slot past now: probe.
    expect(decideProbe({ healthy: true, lastSeenAt: 6000 }, 5000, 20_900, t, () => 0)).toEqual({ probe: true });
  });

  it('never lets a dead worker go unprobed for more than one interval after its last proof of life', () => {
    // A fake clock run: a worker answers commands at random, dies at a random time; the checker
    // ticks. Whatever the traffic, the first probe after the death starts within one interval
    // of the last proof of life before it.
    const random = seededRandom(42);
    for (let run = 0; run < 200; run++) {
      const deathAt = 20_000 + Math.floor(random() * 60_000);
      let lastSeenAt: number | null = 0;
      let accounted: number | null = 0;
      let dueAt = initialSlot(Math.floor(random() * 100), 100, 0, t);
      let firstProbeAfterDeath: number | undefined;
      let probes = 0;
      for (let now = 0; now < deathAt + 3 * t.intervalMs && firstProbeAfterDeath === undefined; now += t.tickMs) {
        // Commands succeed now and then while it lives (a burst every few seconds).
        if (now < deathAt && random() < 0.02) lastSeenAt = now;
        if (dueAt > now) continue;
        const d = decideProbe({ healthy: true, lastSeenAt }, accounted, now, t, random);
        if (!d.probe) {
          dueAt = d.nextAt;
          accounted = lastSeenAt;
          continue;
        }
        probes++;
        dueAt = slotAfterProbe(now, t);
        if (now >= deathAt) firstProbeAfterDeath = now;
        else lastSeenAt = accounted = now; // answered at once
      }
      expect(firstProbeAfterDeath, `run ${run}`).toBeDefined();
      expect(firstProbeAfterDeath! - lastSeenAt!, `run ${run}`).toBeLessThanOrEqual(t.intervalMs);
      expect(firstProbeAfterDeath! - deathAt, `run ${run}`).toBeLessThanOrEqual(t.intervalMs);
      expect(probes).toBeGreaterThan(0);
    }
  });
});
