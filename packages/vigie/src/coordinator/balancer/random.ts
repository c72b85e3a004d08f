import { chooseOne, distinct } from './choose.js';
import type { Balancer, Random } from './types.js';

/**
 * `random` (the seed's default): a uniform pick, no state. Spreads load well on average and
 * cannot herd, but keeps sending a slow or failing worker its full share.
 */
export function createRandomBalancer(random: Random = Math.random): Balancer {
  return {
    name: 'random',
    pick(candidates) {
      if (candidates.length === 0) return undefined;
      return chooseOne(distinct(candidates), random);
    },
    begin() {},
    record() {},
    forget() {},
  };
}
