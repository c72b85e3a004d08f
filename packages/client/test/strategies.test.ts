import { describe, expect, it } from 'vitest';
import { createStrategy, type PickInput, type StrategyNode } from '../src/strategies/index.js';
import { sequence } from './helpers/fake-clock.js';

function nodes(latencies: number[], inflight: number[] = []): StrategyNode[] {
  return latencies.map((l, i) => ({ inflight: inflight[i] ?? 0, latencyAt: () => l }));
}

function input(list: StrategyNode[], over: Partial<PickInput> = {}): PickInput {
  return { nodes: list, eligible: () => true, current: 0, now: 0, random: Math.random, ...over };
}

describe('failover strategy', () => {
  const s = createStrategy('failover');
  it('stays on the current node while it is eligible', () => {
    expect(s.pick(input(nodes([1, 1, 1]), { current: 1 }))).toBe(1);
  });
  it('takes the next eligible node in order, wrapping around', () => {
    expect(s.pick(input(nodes([1, 1, 1]), { current: 1, eligible: (i) => i !== 1 }))).toBe(2);
    expect(s.pick(input(nodes([1, 1, 1]), { current: 2, eligible: (i) => i === 0 }))).toBe(0);
  });
  it('answers -1 when nothing is eligible', () => {
    expect(s.pick(input(nodes([1, 1]), { eligible: () => false }))).toBe(-1);
  });
});

describe('round-robin strategy', () => {
  it('cycles over eligible nodes', () => {
    const s = createStrategy('round-robin');
    const list = nodes([1, 1, 1]);
    expect([0, 1, 2, 3, 4, 5].map(() => s.pick(input(list)))).toEqual([0, 1, 2, 0, 1, 2]);
  });
  it('skips nodes that are not eligible', () => {
    const s = createStrategy('round-robin');
    const list = nodes([1, 1, 1]);
    const eligible = (i: number) => i !== 1;
    expect([0, 1, 2, 3].map(() => s.pick(input(list, { eligible })))).toEqual([0, 2, 0, 2]);
  });
});

describe('p2c-ewma strategy', () => {
  const s = createStrategy('p2c-ewma');
  it('takes the lower latency of the two drawn nodes', () => {
    // random 0 → candidate 0; then 0.99 → last of the remaining → candidate 2.
    expect(s.pick(input(nodes([50, 5, 10]), { random: sequence(0, 0.99) }))).toBe(2);
    expect(s.pick(input(nodes([5, 1, 10]), { random: sequence(0, 0.99) }))).toBe(0);
  });
  it('weighs latency by in-flight attempts', () => {
    // 10 ms × (3+1) = 40 loses against 20 ms × 1.
    expect(s.pick(input(nodes([10, 20], [3, 0]), { random: sequence(0, 0) }))).toBe(1);
  });
  it('never draws the same node twice and only eligible ones', () => {
    const list = nodes([1, 2, 3, 4]);
    for (const r of [0, 0.3, 0.6, 0.99]) {
      const picked = s.pick(input(list, { random: () => r, eligible: (i) => i >= 2 }));
      expect([2, 3]).toContain(picked);
    }
    expect(s.pick(input(list, { eligible: (i) => i === 3 }))).toBe(3);
    expect(s.pick(input(list, { eligible: () => false }))).toBe(-1);
  });
  it('prefers unmeasured nodes (latency 0) so that they get measured', () => {
    expect(s.pick(input(nodes([30, 0]), { random: sequence(0, 0) }))).toBe(1);
  });
  it('spreads evenly across equal nodes', () => {
    const list = nodes([10, 10, 10]);
    const hits = [0, 0, 0];
    let x = 0;
    const random = () => ((x = (x * 9301 + 49297) % 233280) / 233280);
    for (let k = 0; k < 3000; k++) {
      const i = s.pick(input(list, { random }));
      hits[i] = (hits[i] ?? 0) + 1;
    }
    for (const h of hits) expect(h).toBeGreaterThan(800);
  });
});
