#!/usr/bin/env node
// CPU per pick of each balancing strategy with 3 and with 5000 workers, the way the dispatcher
// picks: from the fleet's selection (Fleet.selection: one frozen array, the same for every command
// until the fleet changes), and, as the peer, from a fresh array per command (what every command
// did before: a copy of the fleet, filtered). Each strategy is warmed up first, so that p2c-ewma
// has a latency sample for every worker. Goal: random, round-robin and p2c-ewma pick in O(1)
// from the selection: ≤ 2 µs per command with 5000 workers (p2c-ewma's per-worker state no longer
// fits the CPU caches there, hence a bound rather than "as with 3"); least-used and health-based
// look at every candidate (O(n): no goal, printed for scale). It prints, it does not fail.
//
//   npm run build && node bench/dispatch/pick-micro.mjs

import { createBalancer } from '../../packages/vigie/dist/coordinator/balancer/index.js';
import { selectWorkers } from '../../packages/vigie/dist/coordinator/policy/availability.js';
import { nextCandidate } from '../../packages/vigie/dist/coordinator/policy/retry-plan.js';

const O1 = new Set(['random', 'round-robin', 'p2c-ewma']);

/** µs per command: select (cached or fresh), pick, begin, record. */
function perPick(strategy, n, cached) {
  const members = Array.from({ length: n }, (_, i) => ({ id: `w${i}`, healthy: true, bannedUntil: null }));
  const selection = Object.freeze(selectWorkers(members, 0).workerIds);
  const balancer = createBalancer(strategy);
  const run = (iterations) => {
    const tried = new Set();
    const started = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) {
      const now = i;
      const available = cached ? selection : selectWorkers([...members], now).workerIds;
      const id = nextCandidate(available, tried, balancer, now);
      balancer.begin(id, now);
      balancer.record(id, 'success', 1 + (i % 7), now);
    }
    return Number(process.hrtime.bigint() - started) / 1e3 / iterations;
  };
  // Warm-up: the JIT, and for an O(1) path ≈ 20 draws per worker, so that p2c-ewma has a sample
  // for each (a worker without one makes it compute a median over all); the O(n) paths cost up
  // to 1.5 ms per command with 5000 workers, so they get fewer rounds.
  const slow = n > 100 && !(cached && O1.has(strategy));
  run(slow ? 1_000 : Math.max(20_000, n * 20));
  return run(slow ? 1_000 : n > 100 ? 20_000 : 200_000);
}

const fmt = (us) => (us < 10 ? us.toFixed(2) : us.toFixed(0)).padStart(8);
console.log('µs per command (select + pick + begin + record)');
console.log(`${'strategy'.padEnd(14)} ${'3 workers'.padStart(9)} ${'5000, selection'.padStart(16)} ${'5000, fresh array'.padStart(18)}  goal`);
for (const strategy of ['random', 'round-robin', 'p2c-ewma', 'least-used', 'health-based']) {
  const small = perPick(strategy, 3, true);
  const large = perPick(strategy, 5000, true);
  const fresh = perPick(strategy, 5000, false);
  const verdict = O1.has(strategy) ? `O(1): ≤ 2 µs with 5000 ${large <= 2 ? 'OK' : 'MISSED'}` : 'O(n), no goal';
  console.log(`${strategy.padEnd(14)} ${fmt(small).padStart(9)} ${fmt(large).padStart(16)} ${fmt(fresh).padStart(18)}  ${verdict}; the selection ${(fresh / large).toFixed(0)}× cheaper than fresh arrays`);
}
