import { describe, expect, it } from 'vitest';
import { createP2cEwmaBalancer } from '../../../src/coordinator/balancer/p2c-ewma.js';
import type { Balancer, Outcome } from '../../../src/coordinator/balancer/types.js';
import { seededRandom, tally } from './seeded-random.js';

type Behaviour = (id: string) => { outcome: Outcome; latencyMs: number };

/** A fake clock and a sequential client: each request is picked, answered, recorded, then the next. */
function simulate(b: Balancer, clock: { now: number }, workers: string[], requests: number, behaviour: Behaviour) {
  const chosen: string[] = [];
  for (let i = 0; i < requests; i++) {
    const id = b.pick(workers, clock.now)!;
    chosen.push(id);
    b.begin(id, clock.now);
    const { outcome, latencyMs } = behaviour(id);
    clock.now += latencyMs;
    b.record(id, outcome, latencyMs, clock.now);
    clock.now += 20;
  }
  return tally(chosen);
}

const fast: Behaviour = () => ({ outcome: 'success', latencyMs: 50 });

describe('p2c-ewma', () => {
  it('moves traffic away from a slow worker, and back once it is fast again and time has passed', () => {
    const b = createP2cEwmaBalancer({ random: seededRandom(1) });
    const clock = { now: 0 };
    const workers = ['a', 'b', 'slow'];
    const phase1 = simulate(b, clock, workers, 900, (id) => ({ outcome: 'success', latencyMs: id === 'slow' ? 2_000 : 50 }));
    expect(phase1.get('slow') ?? 0).toBeLessThan(900 * 0.05);

    clock.now += 120_000; // two minutes of silence: the old estimate has decayed
    const phase2 = simulate(b, clock, workers, 900, fast);
    expect(phase2.get('slow') ?? 0).toBeGreaterThan(900 * 0.25);
  });

  it('moves traffic away from a worker that fails fast, and back after the failures decay', () => {
    const b = createP2cEwmaBalancer({ random: seededRandom(2) });
    const clock = { now: 0 };
    const workers = ['a', 'b', 'broken'];
    const phase1 = simulate(b, clock, workers, 900, (id) =>
      id === 'broken' ? { outcome: 'failure', latencyMs: 2 } : { outcome: 'success', latencyMs: 100 },
    );
    expect(phase1.get('broken') ?? 0).toBeLessThan(900 * 0.05);

    clock.now += 300_000;
    const phase2 = simulate(b, clock, workers, 900, () => ({ outcome: 'success', latencyMs: 100 }));
    expect(phase2.get('broken') ?? 0).toBeGreaterThan(900 * 0.25);
  });

  it('stops trusting a known-good worker that starts failing fast', () => {
    const b = createP2cEwmaBalancer({ random: seededRandom(3) });
    const clock = { now: 0 };
    const workers = ['a', 'b', 'c'];
    simulate(b, clock, workers, 300, () => ({ outcome: 'success', latencyMs: 100 }));
    // 'c' now answers errors in 2 ms: without the penalty it would look 50× faster than the others.
    const shares = simulate(b, clock, workers, 900, (id) =>
      id === 'c' ? { outcome: 'failure', latencyMs: 2 } : { outcome: 'success', latencyMs: 100 },
    );
    expect(shares.get('c') ?? 0).toBeLessThan(900 * 0.05);
  });

  it('jumps at once on a slow answer (peak), so one slow sample is enough to lose', () => {
    const b = createP2cEwmaBalancer({ random: seededRandom(4) });
    const clock = { now: 0 };
    const before = simulate(b, clock, ['a', 'x'], 100, (id) => ({ outcome: 'success', latencyMs: id === 'x' ? 50 : 60 }));
    expect(before.get('x') ?? 0).toBeGreaterThan(before.get('a') ?? 0); // x is the faster one
    // A request begun a second ago ends now, right after x's latest fast answers: an average
    // would barely move; the peak takes the slow sample at once.
    b.begin('x', clock.now - 1_000);
    b.record('x', 'success', 1_000, clock.now);
    for (let i = 0; i < 50; i++) expect(b.pick(['a', 'x'], clock.now + i)).toBe('a');
  });

  it('counts requests in flight: a busy worker loses to an idle one of the same speed', () => {
    const b = createP2cEwmaBalancer({ random: seededRandom(5) });
    const clock = { now: 0 };
    simulate(b, clock, ['a', 'b'], 100, fast);
    // 'b' answered last, so on latency alone (less decayed) it would lose to 'a'.
    b.begin('b', clock.now - 50);
    b.record('b', 'success', 50, clock.now);
    for (let i = 0; i < 3; i++) b.begin('a', clock.now);
    for (let i = 0; i < 50; i++) expect(b.pick(['a', 'b'], clock.now)).toBe('b');
    for (let i = 0; i < 3; i++) b.record('a', 'success', 50, clock.now);
    // Once its requests are answered, 'a' is back in the rotation.
    const after = simulate(b, clock, ['a', 'b'], 200, fast);
    expect(after.get('a') ?? 0).toBeGreaterThan(60);
  });

  it('gives a new worker a neutral estimate: some traffic, not all of it', () => {
    const b = createP2cEwmaBalancer({ random: seededRandom(6) });
    const clock = { now: 0 };
    simulate(b, clock, ['a', 'b', 'c'], 300, (id) => ({ outcome: 'success', latencyMs: id === 'a' ? 40 : id === 'b' ? 80 : 400 }));
    // Before its first answer, 'new' ranks like the median worker: it beats the slow one only.
    const firstPicks = tally(Array.from({ length: 300 }, (_, i) => b.pick(['a', 'b', 'c', 'new'], clock.now + i)));
    expect(firstPicks.get('new') ?? 0).toBeGreaterThan(30);
    expect(firstPicks.get('a') ?? 0).toBeGreaterThan(firstPicks.get('new') ?? 0);
  });

  it('a failure never lowers the latency estimate, but a slow failure (timeout) raises it', () => {
    const b = createP2cEwmaBalancer({ random: seededRandom(7), failureWeight: 0 });
    const clock = { now: 0 };
    simulate(b, clock, ['a', 'b'], 100, () => ({ outcome: 'success', latencyMs: 100 }));
    // With the penalty off, only latency decides: 1 ms failures on 'b' must not make it win.
    for (let i = 0; i < 20; i++) {
      b.begin('b', clock.now);
      b.record('b', 'failure', 1, clock.now + 1);
    }
    const picks = tally(Array.from({ length: 400 }, (_, i) => b.pick(['a', 'b'], clock.now + 1)));
    expect(picks.get('b') ?? 0).toBeLessThan(300);
    b.begin('b', clock.now);
    clock.now += 30_000;
    b.record('b', 'failure', 30_000, clock.now);
    for (let i = 0; i < 20; i++) expect(b.pick(['a', 'b'], clock.now)).toBe('a');
  });
});
