import { memberSet } from './choose.js';
import type { Balancer } from './types.js';

/**
 * `round-robin`: workers take turns in the order they were first seen (registry order, since
 * the caller lists candidates that way). The ring remembers every worker, not just today's
 * candidates, so a worker that drops out (unhealthy, banned, already tried by a retry) is
 * skipped without shifting everyone else's turn, and takes its old place when it comes back.
 */
export function createRoundRobinBalancer(): Balancer {
  const ring: string[] = [];
  // Each worker's place in `ring`.
  const place = new Map<string, number>();
  // Index in `ring` of the last worker picked; -1 before the first pick.
  let cursor = -1;
  // Frozen candidate lists whose workers are all in the ring already.
  let joined = new WeakSet<readonly string[]>();

  return {
    name: 'round-robin',
    pick(candidates) {
      // Workers seen for the first time join the ring's end (a frozen list, the fleet's
      // selection, is joined once). For that list the ring is then walked from the cursor to
      // the first candidate: one step when most workers are available, whatever the fleet's size.
      const frozen = Object.isFrozen(candidates);
      if (!joined.has(candidates)) {
        for (const id of candidates) {
          if (!place.has(id)) place.set(id, ring.push(id) - 1);
        }
        if (frozen) joined.add(candidates);
      }
      if (frozen) {
        const members = memberSet(candidates);
        for (let step = 1; step <= ring.length; step++) {
          const i = (cursor + step) % ring.length;
          if (members.has(ring[i]!)) {
            cursor = i;
            return ring[i];
          }
        }
        return undefined;
      }
      // Any other list (a retry's untried workers, a few at most): the nearest after the
      // cursor in one pass, with nothing allocated.
      let best: string | undefined;
      let bestDistance = Infinity;
      for (const id of candidates) {
        const distance = (place.get(id)! - cursor - 1 + ring.length) % ring.length;
        if (distance < bestDistance) {
          bestDistance = distance;
          best = id;
        }
      }
      if (best !== undefined) cursor = place.get(best)!;
      return best;
    },
    begin() {},
    record() {},
    forget(workerId) {
      const index = place.get(workerId);
      if (index === undefined) return;
      // A list joined before may hold this worker again (moved, not removed): join it anew.
      joined = new WeakSet();
      ring.splice(index, 1);
      place.delete(workerId);
      for (let i = index; i < ring.length; i++) place.set(ring[i]!, i);
      // Keep the turn order: the worker after the removed one is still next.
      if (index <= cursor) cursor -= 1;
    },
  };
}
