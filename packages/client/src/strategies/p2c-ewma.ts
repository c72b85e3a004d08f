import type { PickInput, Strategy } from './types.js';

/**
 * Power of two choices on peak-EWMA latency: draw two distinct eligible nodes at random and take
 * the one with the lower load, load = latency estimate × (in-flight + 1). Two random draws avoid
 * the herd effect of always taking the single best node, and in-flight counts react before the
 * latency estimate does.
 */
export function p2cEwmaStrategy(): Strategy {
  return {
    name: 'p2c-ewma',
    pick({ nodes, eligible, now, random }: PickInput): number {
      const candidates: number[] = [];
      for (let i = 0; i < nodes.length; i++) if (eligible(i)) candidates.push(i);
      const m = candidates.length;
      if (m === 0) return -1;
      if (m === 1) return candidates[0] ?? -1;
      const a = Math.min(m - 1, Math.floor(random() * m));
      let b = Math.min(m - 2, Math.floor(random() * (m - 1)));
      if (b >= a) b++;
      const ia = candidates[a] ?? -1;
      const ib = candidates[b] ?? -1;
      const load = (i: number): number => {
        const node = nodes[i];
        return node === undefined ? Infinity : node.latencyAt(now) * (node.inflight + 1);
      };
      const la = load(ia);
      const lb = load(ib);
      // On a tie (e.g. two unmeasured nodes) the first draw wins: it is uniform, so ties spread evenly.
      return lb < la ? ib : ia;
    },
  };
}
