import { describe, expect, it } from 'vitest';
import { createLeastUsedBalancer } from '../../../src/coordinator/balancer/least-used.js';
import { seededRandom, tally } from './seeded-random.js';

/** Picks and starts `n` requests; they stay in flight (least-used counts them at start). */
function run(b: ReturnType<typeof createLeastUsedBalancer>, candidates: string[], n: number) {
  const chosen: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = b.pick(candidates, i)!;
    b.begin(id, i);
    chosen.push(id);
  }
  return chosen;
}

describe('least-used', () => {
  it('picks the worker with the fewest requests', () => {
    const b = createLeastUsedBalancer(seededRandom(1));
    b.pick(['a', 'b', 'c'], 0); // all three known from the start, at 0
    for (const [id, n] of [['a', 3], ['b', 1], ['c', 2]] as const) for (let i = 0; i < n; i++) b.begin(id, 0);
    expect(b.pick(['a', 'b', 'c'], 0)).toBe('b');
    expect(b.pick(['a', 'c'], 0)).toBe('c');
  });

  it('counts a request when it starts, so concurrent picks spread instead of piling up', () => {
    const b = createLeastUsedBalancer(seededRandom(2));
    const counts = tally(run(b, ['a', 'b', 'c'], 30));
    expect([counts.get('a'), counts.get('b'), counts.get('c')]).toEqual([10, 10, 10]);
  });

  it('breaks ties at random', () => {
    const firsts = new Set<string | undefined>();
    for (let seed = 1; seed <= 20; seed++) firsts.add(createLeastUsedBalancer(seededRandom(seed)).pick(['a', 'b', 'c'], 0));
    expect(firsts.size).toBeGreaterThan(1);
  });

  it('starts from the counts restored after a restart', () => {
    const b = createLeastUsedBalancer(seededRandom(3));
    b.restore('a', { requestCount: 100, successCount: 100, errorCount: 0 });
    b.restore('b', { requestCount: 5, successCount: 5, errorCount: 0 });
    b.restore('c', { requestCount: 50, successCount: 40, errorCount: 10 });
    const chosen = run(b, ['a', 'b', 'c'], 45);
    expect(new Set(chosen)).toEqual(new Set(['b']));
    const next = tally(run(b, ['a', 'b', 'c'], 20));
    expect(next.get('a') ?? 0).toBe(0);
  });

  it('lets a new worker join at the lowest count instead of taking all traffic until it catches up', () => {
    const b = createLeastUsedBalancer(seededRandom(4));
    b.pick(['a', 'b'], 0);
    for (let i = 0; i < 10; i++) b.begin('a', 0);
    for (let i = 0; i < 20; i++) b.begin('b', 0);
    const counts = tally(run(b, ['a', 'b', 'new'], 20));
    expect([counts.get('a'), counts.get('new'), counts.get('b') ?? 0]).toEqual([10, 10, 0]);
  });
});
