import type { Balancer } from './types.js';

/**
 * `round-robin`: workers take turns in the order they were first seen (registry order, since
 * the caller lists candidates that way). The ring remembers every worker, not just today's
 * candidates, so a worker that drops out (unhealthy, banned, already tried by a retry) is
 * skipped without shifting everyone else's turn, and takes its old place when it comes back.
 */
export function createRoundRobinBalancer(): Balancer {
  const ring: string[] = [];
  const known = new Set<string>();
  // Index in `ring` of the last worker picked; -1 before the first pick.
  let cursor = -1;

  return {
    name: 'round-robin',
    pick(candidates) {
      if (candidates.length === 0) return undefined;
      for (const id of candidates) {
        if (!known.has(id)) {
          known.add(id);
          ring.push(id);
        }
      }
      const wanted = new Set(candidates);
      for (let step = 1; step <= ring.length; step++) {
        const index = (cursor + step) % ring.length;
        if (wanted.has(ring[index] as string)) {
          cursor = index;
          return ring[index];
        }
      }
      return undefined; // unreachable: every candidate is in the ring
    },
    begin() {},
    record() {},
    forget(workerId) {
      const index = ring.indexOf(workerId);
      if (index < 0) return;
      ring.splice(index, 1);
      known.delete(workerId);
      // Keep the turn order: the worker after the removed one is still next.
      if (index <= cursor) cursor -= 1;
    },
  };
}
