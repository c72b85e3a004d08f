import { chooseOne, distinct } from './choose.js';
import type { Random, RestorableBalancer } from './types.js';

/**
 * `least-used` (seed: "the worker with the fewest requests"): the candidate with the lowest
 * request count, counted when a request starts so that in-flight work counts too; ties are
 * broken at random.
 *
 * A worker seen for the first time starts at the lowest count among the known workers, not at
 * 0: otherwise a worker added to a fleet that has served a million requests would take all the
 * traffic until it caught up. Counts restored from `worker_status` are taken as they are.
 */
export function createLeastUsedBalancer(random: Random = Math.random): RestorableBalancer {
  const counts = new Map<string, number>();

  function countOf(workerId: string): number {
    const known = counts.get(workerId);
    if (known !== undefined) return known;
    const start = counts.size === 0 ? 0 : Math.min(...counts.values());
    counts.set(workerId, start);
    return start;
  }

  return {
    name: 'least-used',
    pick(candidates) {
      if (candidates.length === 0) return undefined;
      let best = Infinity;
      let least: string[] = [];
      // Over distinct candidates: a tie is pushed without looking for it in `least` (that look
      // made a pick over 5000 equally used workers cost 30 ms).
      for (const id of distinct(candidates)) {
        const count = countOf(id);
        if (count < best) {
          best = count;
          least = [id];
        } else if (count === best) {
          least.push(id);
        }
      }
      return chooseOne(least, random);
    },
    begin(workerId) {
      counts.set(workerId, countOf(workerId) + 1);
    },
    record(workerId) {
      countOf(workerId); // a worker only heard of through a result still joins the rotation
    },
    restore(workerId, stats) {
      counts.set(workerId, Math.max(0, stats.requestCount));
    },
    forget(workerId) {
      counts.delete(workerId);
    },
  };
}
