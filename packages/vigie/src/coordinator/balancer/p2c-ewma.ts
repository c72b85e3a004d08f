import { chooseTwo, distinct } from './choose.js';
import type { Balancer, Random } from './types.js';

export interface P2cEwmaOptions {
  random?: Random;
  /** Time constant of the latency average, ms (default 10 s, Finagle's and Linkerd's). */
  decayMs?: number;
  /** Time constant over which failures are forgotten, ms (default 30 s). */
  failureDecayMs?: number;
  /** Cost multiplier per recent failure per recent success (default 10); see `penalty`. */
  failureWeight?: number;
  /** Latency assumed for a new worker when no candidate has a sample yet, ms (default 100). */
  defaultLatencyMs?: number;
}

interface WorkerState {
  /** Peak-EWMA latency as of `stamp`; undefined until the first latency sample. */
  cost: number | undefined;
  stamp: number;
  inFlight: number;
  /** Exponentially decayed counts of recent failures and successes, as of `outcomeStamp`. */
  failures: number;
  successes: number;
  outcomeStamp: number;
}

/**
 * `p2c-ewma`: power of two choices over a peak-EWMA latency (Finagle's and Linkerd's
 * balancer). Two distinct candidates are drawn at random and the cheaper one wins:
 *
 *   score = latency(now) × (inFlight + 1) × penalty(now)
 *
 * - latency: jumps at once to a slower sample (a worker that turns slow is avoided now, not
 *   after the average catches up) and moves toward faster ones with time constant `decayMs`.
 *   Between samples it decays toward 0, so a worker that has been avoided for a while looks
 *   cheap again and gets probed: one bad minute is not a life sentence.
 * - inFlight + 1: queueing — a fast worker already busy with many requests is not fast now.
 * - penalty = 1 + failureWeight × recentFailures / (recentSuccesses + 1), both counts decaying
 *   with `failureDecayMs`. A worker answering errors fast would otherwise look like the best
 *   worker and draw all the traffic. Failures also never lower its latency (a fast "no" says
 *   nothing about how fast it does real work) nor let it decay as if the worker were idle;
 *   they only raise it (a timeout is real slowness).
 * - a worker without any latency sample gets the median latency of the candidates that have
 *   one: neutral, so a new worker gets a fair share until it has shown what it is.
 *
 * Two random choices instead of the global best keep every coordinator from herding onto the
 * same worker, and only two workers are scored per pick.
 */
export function createP2cEwmaBalancer(options: P2cEwmaOptions = {}): Balancer {
  const random = options.random ?? Math.random;
  const decayMs = options.decayMs ?? 10_000;
  const failureDecayMs = options.failureDecayMs ?? 30_000;
  const failureWeight = options.failureWeight ?? 10;
  const defaultLatencyMs = options.defaultLatencyMs ?? 100;
  const workers = new Map<string, WorkerState>();

  function stateOf(workerId: string, now: number): WorkerState {
    let state = workers.get(workerId);
    if (!state) {
      state = { cost: undefined, stamp: now, inFlight: 0, failures: 0, successes: 0, outcomeStamp: now };
      workers.set(workerId, state);
    }
    return state;
  }

  function latency(state: WorkerState, now: number): number | undefined {
    if (state.cost === undefined) return undefined;
    return state.cost * decay(now - state.stamp, decayMs);
  }

  function observe(state: WorkerState, rttMs: number, now: number): void {
    if (state.cost === undefined || rttMs > state.cost) {
      state.cost = rttMs;
    } else {
      const w = decay(now - state.stamp, decayMs);
      state.cost = state.cost * w + rttMs * (1 - w);
    }
    state.stamp = Math.max(state.stamp, now);
  }

  function penalty(state: WorkerState, now: number): number {
    const d = decay(now - state.outcomeStamp, failureDecayMs);
    return 1 + (failureWeight * state.failures * d) / (state.successes * d + 1);
  }

  function score(workerId: string, neutral: () => number, now: number): number {
    const state = workers.get(workerId);
    if (!state) return neutral();
    return (latency(state, now) ?? neutral()) * (state.inFlight + 1) * penalty(state, now);
  }

  return {
    name: 'p2c-ewma',
    pick(candidates, now) {
      const unique = distinct(candidates);
      if (unique.length <= 1) return unique[0];
      const [a, b] = chooseTwo(unique, random);
      const neutral = () => neutralLatency(unique, now);
      const scoreA = score(a, neutral, now);
      const scoreB = score(b, neutral, now);
      // Equal scores: `a` was drawn first at random, so taking it keeps ties fair.
      return scoreB < scoreA ? b : a;
    },
    begin(workerId, now) {
      stateOf(workerId, now).inFlight += 1;
    },
    record(workerId, outcome, latencyMs, now) {
      const state = stateOf(workerId, now);
      state.inFlight = Math.max(0, state.inFlight - 1);
      const rtt = Math.max(0, latencyMs);
      if (outcome === 'success') {
        observe(state, rtt, now);
      } else if (state.cost !== undefined) {
        // A fast error says nothing about how fast the worker does real work: hold the estimate
        // where the last real answer left it (not decaying it as if the worker were idle and due
        // for a probe), or raise it to a slower failure such as a timeout.
        state.cost = Math.max(state.cost, rtt);
        state.stamp = Math.max(state.stamp, now);
      }
      const d = decay(now - state.outcomeStamp, failureDecayMs);
      state.failures = state.failures * d + (outcome === 'failure' ? 1 : 0);
      state.successes = state.successes * d + (outcome === 'success' ? 1 : 0);
      state.outcomeStamp = Math.max(state.outcomeStamp, now);
    },
    forget(workerId) {
      workers.delete(workerId);
    },
  };

  function neutralLatency(candidates: readonly string[], now: number): number {
    const known: number[] = [];
    for (const id of candidates) {
      const state = workers.get(id);
      const value = state ? latency(state, now) : undefined;
      if (value !== undefined) known.push(value);
    }
    return known.length > 0 ? median(known) : defaultLatencyMs;
  }
}

/** e^(-elapsed/tau): the weight an old value keeps after `elapsedMs`; 1 when time went backwards. */
function decay(elapsedMs: number, tauMs: number): number {
  if (elapsedMs <= 0) return 1;
  if (tauMs <= 0) return 0;
  return Math.exp(-elapsedMs / tauMs);
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
