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

  return {
    name: 'round-robin',
    pick(candidates) {
      // The candidate that comes first after the cursor, going round the ring: workers seen for
      // the first time join the ring's end, then one pass finds the nearest; nothing allocated per
      // call (this runs on every command, over up to thousands of workers).
      for (const id of candidates) {
        if (!place.has(id)) place.set(id, ring.push(id) - 1);
      }
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
      ring.splice(index, 1);
      place.delete(workerId);
      for (let i = index; i < ring.length; i++) place.set(ring[i]!, i);
      // Keep the turn order: the worker after the removed one is still next.
      if (index <= cursor) cursor -= 1;
    },
  };
}
