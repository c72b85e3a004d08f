import type { PickInput, Strategy } from './types.js';

/** Each pick takes the next eligible node after the previous pick, in index order. */
export function roundRobinStrategy(): Strategy {
  let cursor = -1;
  return {
    name: 'round-robin',
    pick({ nodes, eligible }: PickInput): number {
      const n = nodes.length;
      for (let k = 1; k <= n; k++) {
        const i = (((cursor + k) % n) + n) % n;
        if (eligible(i)) {
          cursor = i;
          return i;
        }
      }
      return -1;
    },
  };
}
