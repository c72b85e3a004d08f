import { describe, expect, it } from 'vitest';
import { createRandomBalancer } from '../../../src/coordinator/balancer/random.js';
import { seededRandom, tally } from './seeded-random.js';

describe('random', () => {
  it('maps the random source onto the candidates uniformly', () => {
    const draws = [0, 0.25, 0.5, 0.75, 0.99];
    let i = 0;
    const b = createRandomBalancer(() => draws[i++ % draws.length]!);
    expect(draws.map(() => b.pick(['a', 'b', 'c', 'd'], 0))).toEqual(['a', 'b', 'c', 'd', 'd']);
  });

  it('ignores outcomes: a failing worker keeps its share (the reason for better strategies)', () => {
    const b = createRandomBalancer(seededRandom(9));
    for (let i = 0; i < 100; i++) b.record('bad', 'failure', 5_000, i);
    const counts = tally(Array.from({ length: 3_000 }, (_, i) => b.pick(['bad', 'ok'], i)));
    expect(counts.get('bad')! / 3_000).toBeGreaterThan(0.45);
    expect(counts.get('bad')! / 3_000).toBeLessThan(0.55);
  });

  it('counts a duplicated candidate once', () => {
    const b = createRandomBalancer(seededRandom(10));
    const counts = tally(Array.from({ length: 3_000 }, (_, i) => b.pick(['a', 'a', 'a', 'b'], i)));
    expect(counts.get('b')! / 3_000).toBeGreaterThan(0.45);
  });
});
