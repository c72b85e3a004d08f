import { chooseOne } from './choose.js';
import type { Random, RestorableBalancer } from './types.js';

export interface HealthBasedOptions {
  random?: Random;
  /**
   * Weight of the prior, in pseudo-requests (default 10). A worker's ratio is shrunk toward the
   * fleet's by this many requests' worth, so 1 success out of 1 does not outrank 999 out of 1000.
   */
  priorWeight?: number;
  /** Scores this close to the best count as equal (default 0.01, one percentage point). */
  tolerance?: number;
}

interface Counts {
  successes: number;
  errors: number;
}

/**
 * `health-based` (seed: "the best success/error ratio"). The raw ratio is absurd on small
 * samples (1/1 = 100% beats 999/1000), so each worker's ratio is estimated with a prior centred
 * on the candidates' pooled ratio (empirical Bayes):
 *
 *   score = (successes + k·m) / (successes + errors + k),  m = pooled ratio, k = priorWeight
 *
 * A new worker therefore scores like an average one and gets traffic; a worker with few
 * samples moves away from the average only as evidence comes in. Candidates within
 * `tolerance` of the best are equally good (the difference is noise), and one of them is
 * picked at random, so a healthy fleet shares the load instead of piling it on one worker.
 */
export function createHealthBasedBalancer(options: HealthBasedOptions = {}): RestorableBalancer {
  const random = options.random ?? Math.random;
  const k = options.priorWeight ?? 10;
  const tolerance = options.tolerance ?? 0.01;
  const stats = new Map<string, Counts>();

  function countsOf(workerId: string): Counts {
    let counts = stats.get(workerId);
    if (!counts) {
      counts = { successes: 0, errors: 0 };
      stats.set(workerId, counts);
    }
    return counts;
  }

  return {
    name: 'health-based',
    pick(candidates) {
      if (candidates.length === 0) return undefined;
      let successes = 0;
      let total = 0;
      for (const id of candidates) {
        const c = stats.get(id);
        if (c) {
          successes += c.successes;
          total += c.successes + c.errors;
        }
      }
      // With no evidence at all every worker is equal; 1 keeps the formula defined.
      const pooled = total > 0 ? successes / total : 1;
      const scores = candidates.map((id) => {
        const c = stats.get(id) ?? { successes: 0, errors: 0 };
        return (c.successes + k * pooled) / (c.successes + c.errors + k);
      });
      const best = Math.max(...scores);
      const top = candidates.filter((_, i) => (scores[i] as number) >= best - tolerance);
      return chooseOne(top, random);
    },
    begin() {},
    record(workerId, outcome) {
      const counts = countsOf(workerId);
      if (outcome === 'success') counts.successes += 1;
      else counts.errors += 1;
    },
    restore(workerId, persisted) {
      stats.set(workerId, {
        successes: Math.max(0, persisted.successCount),
        errors: Math.max(0, persisted.errorCount),
      });
    },
    forget(workerId) {
      stats.delete(workerId);
    },
  };
}
