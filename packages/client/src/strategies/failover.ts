import type { PickInput, Strategy } from './types.js';

/** The seed's behaviour: stay on the current node; when it is not eligible take the next one in order. */
export function failoverStrategy(): Strategy {
  return {
    name: 'failover',
    pick({ nodes, eligible, current }: PickInput): number {
      const n = nodes.length;
      const start = current >= 0 && current < n ? current : 0;
      for (let k = 0; k < n; k++) {
        const i = (start + k) % n;
        if (eligible(i)) return i;
      }
      return -1;
    },
  };
}
