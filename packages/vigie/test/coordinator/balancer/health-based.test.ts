import { describe, expect, it } from 'vitest';
import { createHealthBasedBalancer } from '../../../src/coordinator/balancer/health-based.js';
import { seededRandom, tally } from './seeded-random.js';

type HB = ReturnType<typeof createHealthBasedBalancer>;

function seed(b: HB, id: string, successCount: number, errorCount: number) {
  b.restore(id, { requestCount: successCount + errorCount, successCount, errorCount });
}

/** `n` picks, each answered at once: a worker in `failing` fails every other time. */
function run(b: HB, candidates: string[], n: number, failing: string[] = []) {
  const chosen: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = b.pick(candidates, i)!;
    chosen.push(id);
    b.begin(id, i);
    b.record(id, failing.includes(id) && i % 2 === 0 ? 'failure' : 'success', 10, i);
  }
  return tally(chosen);
}

describe('health-based', () => {
  it('avoids the worker that fails', () => {
    const b = createHealthBasedBalancer({ random: seededRandom(1) });
    for (let i = 0; i < 50; i++) {
      b.record('bad', i % 2 === 0 ? 'failure' : 'success', 10, i);
      b.record('good1', 'success', 10, i);
      b.record('good2', 'success', 10, i);
    }
    const counts = run(b, ['bad', 'good1', 'good2'], 300, ['bad']);
    expect(counts.get('bad') ?? 0).toBe(0);
    expect(counts.get('good1') ?? 0).toBeGreaterThan(90);
    expect(counts.get('good2') ?? 0).toBeGreaterThan(90);
  });

  it('learns from outcomes as they come: a worker that starts failing loses its traffic', () => {
    const b = createHealthBasedBalancer({ random: seededRandom(2) });
    run(b, ['a', 'b', 'c'], 90);
    const counts = run(b, ['a', 'b', 'c'], 300, ['c']);
    expect(counts.get('c') ?? 0).toBeLessThan(15);
  });

  it('does not let 2 out of 2 outrank 970 out of 1000 on luck (the prior)', () => {
    const b = createHealthBasedBalancer({ random: seededRandom(3) });
    seed(b, 'lucky', 2, 0);
    seed(b, 'proven', 970, 30);
    // The raw ratio (100% > 97%) would send every request to 'lucky'.
    const counts = tally(Array.from({ length: 400 }, (_, i) => b.pick(['lucky', 'proven'], i)));
    expect(counts.get('proven') ?? 0).toBeGreaterThan(120);
  });

  it('still ranks real differences: 90% loses to 99.5% when both are well measured', () => {
    const b = createHealthBasedBalancer({ random: seededRandom(4) });
    seed(b, 'meh', 900, 100);
    seed(b, 'great', 995, 5);
    for (let i = 0; i < 100; i++) expect(b.pick(['meh', 'great'], i)).toBe('great');
  });

  it('treats ratios within the tolerance as equal and shares the load between them', () => {
    const b = createHealthBasedBalancer({ random: seededRandom(5) });
    seed(b, 'a', 990, 10);
    seed(b, 'b', 995, 5);
    const counts = tally(Array.from({ length: 400 }, (_, i) => b.pick(['a', 'b'], i)));
    expect(counts.get('a') ?? 0).toBeGreaterThan(120);
    expect(counts.get('b') ?? 0).toBeGreaterThan(120);
  });

  it('gives a new worker an average score, so it gets traffic in a healthy fleet', () => {
    const b = createHealthBasedBalancer({ random: seededRandom(6) });
    seed(b, 'a', 990, 10);
    seed(b, 'b', 985, 15);
    const counts = tally(Array.from({ length: 300 }, (_, i) => b.pick(['a', 'b', 'new'], i)));
    expect(counts.get('new') ?? 0).toBeGreaterThan(60);
  });
});
