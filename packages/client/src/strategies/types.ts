/** Names accepted by the `strategy` option. */
export type StrategyName = 'failover' | 'round-robin' | 'p2c-ewma';

/** What a strategy may look at on a node. */
export interface StrategyNode {
  /** Attempts under way on the node. */
  readonly inflight: number;
  /** Latency estimate at `now`, ms; 0 when unknown (unknown nodes are worth a try). */
  latencyAt(now: number): number;
}

/** Input of one pick; `eligible(i)` filters out failed nodes and nodes this request already tried. */
export interface PickInput {
  readonly nodes: readonly StrategyNode[];
  readonly eligible: (index: number) => boolean;
  /** Index of the current node (the primary until it fails). */
  readonly current: number;
  readonly now: number;
  readonly random: () => number;
}

/** Chooses the node for the next attempt among eligible ones; -1 when none is eligible. */
export interface Strategy {
  readonly name: StrategyName;
  pick(input: PickInput): number;
}
