import { createHealthBasedBalancer } from './health-based.js';
import { createLeastUsedBalancer } from './least-used.js';
import { createP2cEwmaBalancer } from './p2c-ewma.js';
import { createRandomBalancer } from './random.js';
import { createRoundRobinBalancer } from './round-robin.js';
import { STRATEGY_NAMES, type Balancer, type Random, type StrategyName } from './types.js';

export type { Balancer, Outcome, PersistedWorkerStats, Random, RestorableBalancer, StrategyName } from './types.js';
export { STRATEGY_NAMES } from './types.js';
export type { HealthBasedOptions } from './health-based.js';
export type { P2cEwmaOptions } from './p2c-ewma.js';

export interface BalancerOptions {
  /** Uniform [0, 1) source; inject a seeded one in tests. Defaults to Math.random. */
  random?: Random;
}

/** True when `name` is a strategy `LB_STRATEGY` accepts. */
export function isStrategyName(name: string): name is StrategyName {
  return (STRATEGY_NAMES as readonly string[]).includes(name);
}

/** A fresh balancer running the strategy `name`. */
export function createBalancer(name: StrategyName, options: BalancerOptions = {}): Balancer {
  const { random } = options;
  switch (name) {
    case 'random':
      return createRandomBalancer(random);
    case 'round-robin':
      return createRoundRobinBalancer();
    case 'least-used':
      return createLeastUsedBalancer(random);
    case 'health-based':
      return createHealthBasedBalancer(random ? { random } : {});
    case 'p2c-ewma':
      return createP2cEwmaBalancer(random ? { random } : {});
    default: {
      const unknown: never = name;
      throw new TypeError(`unknown balancing strategy: ${String(unknown)}`);
    }
  }
}
