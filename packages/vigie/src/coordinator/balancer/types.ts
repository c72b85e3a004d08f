/**
 * The balancer's contract: a strategy picks one worker among candidates and learns from
 * outcomes. Strategies are pure in-memory state machines: no sockets, no timers, no store;
 * time comes in as `now` (epoch ms) so tests drive them with a fake clock.
 */

export type Outcome = 'success' | 'failure';

export type StrategyName = 'random' | 'round-robin' | 'least-used' | 'health-based' | 'p2c-ewma';

/** Every strategy `LB_STRATEGY` accepts, the seed's four first. */
export const STRATEGY_NAMES: readonly StrategyName[] = Object.freeze([
  'random',
  'round-robin',
  'least-used',
  'health-based',
  'p2c-ewma',
]);

/** Per-worker counters as persisted in `worker_status`. */
export interface PersistedWorkerStats {
  requestCount: number;
  successCount: number;
  errorCount: number;
}

/** A source of uniform numbers in [0, 1), injectable so tests are deterministic. */
export type Random = () => number;

export interface Balancer {
  readonly name: StrategyName;
  /** Picks one of `candidates` (worker ids already filtered to available ones), or undefined if empty. */
  pick(candidates: readonly string[], now: number): string | undefined;
  /** A request to `workerId` started (in-flight accounting). */
  begin(workerId: string, now: number): void;
  /** A request to `workerId` ended after `latencyMs`. */
  record(workerId: string, outcome: Outcome, latencyMs: number, now: number): void;
  /** Seeds counters from persisted stats after a restart (least-used and health-based use them). */
  restore?(workerId: string, stats: PersistedWorkerStats): void;
  /** Drops everything known about a removed worker. */
  forget(workerId: string): void;
}

/** A balancer that learns from persisted stats (least-used, health-based). */
export type RestorableBalancer = Balancer & Required<Pick<Balancer, 'restore'>>;
