// The same PRNG the demo data uses, so balancer tests replay the same draws every run.
export { seededRandom } from '../../../src/util/seeded-random.js';

/** Counts how often each value occurs. */
export function tally(values: Iterable<string | undefined>): Map<string | undefined, number> {
  const counts = new Map<string | undefined, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}
