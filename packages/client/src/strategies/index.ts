import { failoverStrategy } from './failover.js';
import { p2cEwmaStrategy } from './p2c-ewma.js';
import { roundRobinStrategy } from './round-robin.js';
import type { Strategy, StrategyName } from './types.js';

export type { PickInput, Strategy, StrategyName, StrategyNode } from './types.js';
export { failoverStrategy, p2cEwmaStrategy, roundRobinStrategy };

/** Every strategy name, for validation and docs. */
export const STRATEGY_NAMES: readonly StrategyName[] = ['failover', 'round-robin', 'p2c-ewma'];

/** Builds a fresh strategy instance (round-robin keeps a cursor, so one per client). */
export function createStrategy(name: StrategyName): Strategy {
  switch (name) {
    case 'failover':
      return failoverStrategy();
    case 'round-robin':
      return roundRobinStrategy();
    case 'p2c-ewma':
      return p2cEwmaStrategy();
  }
}
