import { describe, expect, it } from 'vitest';
import { STRATEGY_NAMES, createBalancer, isStrategyName } from '../../../src/coordinator/balancer/index.js';
import type { Balancer, StrategyName } from '../../../src/coordinator/balancer/index.js';
import { seededRandom, tally } from './seeded-random.js';

/** Runs `picks` requests through `balancer`, each answered at once with the worker's latency/outcome. */
function drive(
  balancer: Balancer,
  candidates: readonly string[],
  picks: number,
  start: number,
  behaviour: (id: string) => { outcome: 'success' | 'failure'; latencyMs: number } = () => ({ outcome: 'success', latencyMs: 50 }),
): (string | undefined)[] {
  const chosen: (string | undefined)[] = [];
  let now = start;
  for (let i = 0; i < picks; i++) {
    const id = balancer.pick(candidates, now);
    chosen.push(id);
    if (id !== undefined) {
      balancer.begin(id, now);
      const { outcome, latencyMs } = behaviour(id);
      now += latencyMs;
      balancer.record(id, outcome, latencyMs, now);
    }
    now += 10;
  }
  return chosen;
}

describe('STRATEGY_NAMES', () => {
  it('lists the seed strategies, random first (the default), and p2c-ewma', () => {
    expect(STRATEGY_NAMES).toEqual(['random', 'round-robin', 'least-used', 'health-based', 'p2c-ewma']);
    expect(isStrategyName('least-used')).toBe(true);
    expect(isStrategyName('fastest')).toBe(false);
  });
});

describe.each(STRATEGY_NAMES.map((name) => [name]))('balancer conformance: %s', (name: StrategyName) => {
  const make = (seed = 42) => createBalancer(name, { random: seededRandom(seed) });

  it('reports its own name', () => {
    expect(make().name).toBe(name);
  });

  it('returns undefined when there is no candidate', () => {
    const b = make();
    expect(b.pick([], 0)).toBeUndefined();
    drive(b, ['a', 'b'], 20, 0);
    expect(b.pick([], 1_000)).toBeUndefined();
  });

  it('returns the only candidate', () => {
    const b = make();
    drive(b, ['a', 'b', 'c'], 30, 0);
    for (const id of ['a', 'b', 'c', 'new']) expect(b.pick([id], 5_000)).toBe(id);
  });

  it('picks only among the candidates, even when it knows better workers', () => {
    const b = make();
    // 'fast' is the best worker by every measure; it is not a candidate any more.
    drive(b, ['fast', 'x', 'y', 'z'], 200, 0, (id) =>
      id === 'fast' ? { outcome: 'success', latencyMs: 1 } : { outcome: id === 'x' ? 'failure' : 'success', latencyMs: 80 },
    );
    const chosen = drive(b, ['x', 'y', 'z'], 300, 100_000);
    for (const id of chosen) expect(['x', 'y', 'z']).toContain(id);
    for (let i = 0; i < 50; i++) expect(['y', 'z']).toContain(b.pick(['y', 'z'], 200_000 + i));
  });

  it('picks the same whether it is given the fleet\'s frozen selection again and again or a fresh array each time', () => {
    // The dispatcher passes Fleet.selection's frozen array, the same one until the fleet changes;
    // what a balancer caches for it must never change a pick. Phases: all up, one out, a worker
    // forgotten while it stays in the list (moved to a new machine), all back, a duplicate.
    const phases = [['a', 'b', 'c', 'd'], ['a', 'c', 'd'], ['a', 'c', 'd'], ['a', 'b', 'c', 'd', 'e'], ['b', 'b', 'e']];
    const frozen = make(7);
    const fresh = make(7);
    const lists = new Map<string, readonly string[]>();
    let now = 0;
    for (const [i, phase] of phases.entries()) {
      if (i === 2) {
        frozen.forget('c');
        fresh.forget('c');
      }
      // Phases 2 and 3 share one frozen array, as the fleet's selection stays the same when a
      // worker only moves.
      const list = lists.get(phase.join()) ?? Object.freeze([...phase]);
      lists.set(phase.join(), list);
      for (let k = 0; k < 40; k++, now += 10) {
        const a = frozen.pick(list, now);
        const b = fresh.pick([...phase], now);
        expect(a).toBe(b);
        for (const bal of [frozen, fresh]) {
          bal.begin(a!, now);
          bal.record(a!, k % 7 === 0 ? 'failure' : 'success', 20 + (k % 5), now + 5);
        }
      }
    }
    // Every worker of the last full phase was picked (the forgotten one came back into turn).
    const all = Object.freeze(['a', 'b', 'c', 'd', 'e']);
    const picks = new Set<string | undefined>();
    for (let k = 0; k < 60; k++) {
      const id = frozen.pick(all, 10_000 + k * 10)!;
      picks.add(id);
      frozen.begin(id, 10_000 + k * 10);
      frozen.record(id, 'success', 20, 10_000 + k * 10 + 5);
    }
    // health-based and p2c-ewma favour the workers that scored best, so 60 picks need not reach all five.
    if (name !== 'health-based' && name !== 'p2c-ewma') expect([...picks].sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('stays within the candidates when the random source hits its edges (0, and 1 from a bad generator)', () => {
    for (const edge of [0, 0.999999999, 1]) {
      const b = createBalancer(name, { random: () => edge });
      const chosen = drive(b, ['a', 'b', 'c'], 30, 0);
      for (const id of chosen) expect(['a', 'b', 'c']).toContain(id);
    }
  });

  it('handles workers it has never heard of, in any call', () => {
    const b = make();
    expect(() => b.begin('ghost', 0)).not.toThrow();
    expect(() => b.record('ghost', 'failure', 10, 5)).not.toThrow();
    expect(() => b.record('never-begun', 'success', 10, 5)).not.toThrow();
    expect(() => b.forget('unknown')).not.toThrow();
    b.restore?.('restored', { requestCount: 5, successCount: 4, errorCount: 1 });
    const chosen = drive(b, ['n1', 'n2', 'n3'], 300, 10);
    const counts = tally(chosen);
    for (const id of ['n1', 'n2', 'n3']) expect(counts.get(id) ?? 0).toBeGreaterThan(0);
  });

  it('forget drops everything known about a worker', () => {
    // Same seed, same history for 'y'; only one of them also saw 'x' misbehave, then forgot it.
    const withHistory = make(7);
    const fresh = make(7);
    for (let i = 0; i < 40; i++) {
      withHistory.begin('x', i * 100);
      withHistory.record('x', 'failure', 5_000, i * 100 + 50);
    }
    withHistory.begin('x', 4_000); // left in flight
    withHistory.restore?.('x', { requestCount: 900, successCount: 1, errorCount: 899 });
    for (const b of [withHistory, fresh]) {
      for (let i = 0; i < 10; i++) {
        b.begin('y', i * 100);
        b.record('y', 'success', 40, i * 100 + 40);
      }
    }
    withHistory.forget('x');
    const steady = (id: string) => ({ outcome: 'success' as const, latencyMs: id === 'z' ? 60 : 40 });
    expect(drive(withHistory, ['x', 'y', 'z'], 200, 10_000, steady)).toEqual(
      drive(fresh, ['x', 'y', 'z'], 200, 10_000, steady),
    );
  });

  it('is deterministic with a seeded random source', () => {
    const behaviour = (id: string) => ({ outcome: 'success' as const, latencyMs: id.length * 10 });
    const first = drive(make(3), ['a', 'bb', 'ccc', 'dddd'], 300, 0, behaviour);
    const second = drive(make(3), ['a', 'bb', 'ccc', 'dddd'], 300, 0, behaviour);
    expect(second).toEqual(first);
  });

  it('spreads load over equal workers', () => {
    const workers = ['w1', 'w2', 'w3', 'w4'];
    const counts = tally(drive(make(), workers, 4_000, 0));
    for (const id of workers) {
      // A fair share is 1000; any strategy that herds onto one worker falls far below 700.
      expect(counts.get(id) ?? 0).toBeGreaterThan(700);
    }
  });

  it('keeps working after every worker it knew was forgotten', () => {
    const b = make();
    drive(b, ['a', 'b'], 50, 0);
    b.forget('a');
    b.forget('b');
    const counts = tally(drive(b, ['a', 'b'], 200, 10_000));
    expect(counts.get('a') ?? 0).toBeGreaterThan(40);
    expect(counts.get('b') ?? 0).toBeGreaterThan(40);
  });
});

describe.each([['random'], ['round-robin'], ['p2c-ewma']] as const)('%s with the fleet\'s frozen selection', (name) => {
  it('picks without reading the whole list again (O(1) per command, whatever the fleet\'s size)', () => {
    const ids = Object.freeze(Array.from({ length: 2000 }, (_, i) => `w${i}`));
    let reads = 0;
    // The same frozen list for every command, as Fleet.selection hands it; every element read counted.
    const list = new Proxy(ids, {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    const b = createBalancer(name, { random: seededRandom(3) });
    const command = (now: number) => {
      const id = b.pick(list, now)!;
      b.begin(id, now);
      b.record(id, 'success', 5 + (now % 3), now + 1);
    };
    // Every worker has answered once (else p2c-ewma computes a neutral latency over them all).
    for (const id of ids) {
      b.begin(id, 0);
      b.record(id, 'success', 5, 1);
    }
    command(2); // the first command on this list derives what the balancer caches for it
    reads = 0;
    for (let now = 3; now < 503; now++) command(now);
    expect(reads).toBeLessThan(500 * 4); // a few elements per command, not 2000
  });
});
