import { describe, expect, it } from 'vitest';
import { createRoundRobinBalancer } from '../../../src/coordinator/balancer/round-robin.js';

const picks = (b: ReturnType<typeof createRoundRobinBalancer>, candidates: string[], n: number) =>
  Array.from({ length: n }, (_, i) => b.pick(candidates, i));

describe('round-robin', () => {
  it('takes workers in turn, in the order they were first listed', () => {
    const b = createRoundRobinBalancer();
    expect(picks(b, ['a', 'b', 'c'], 7)).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
  });

  it('keeps the turn order whatever order later candidate lists come in', () => {
    const b = createRoundRobinBalancer();
    expect(picks(b, ['a', 'b', 'c'], 1)).toEqual(['a']);
    expect(picks(b, ['c', 'b', 'a'], 4)).toEqual(['b', 'c', 'a', 'b']);
  });

  it('skips a worker that is not a candidate, and gives it back its place when it returns', () => {
    const b = createRoundRobinBalancer();
    expect(picks(b, ['a', 'b', 'c'], 3)).toEqual(['a', 'b', 'c']);
    expect(picks(b, ['a', 'c'], 3)).toEqual(['a', 'c', 'a']);
    expect(picks(b, ['a', 'b', 'c'], 4)).toEqual(['b', 'c', 'a', 'b']);
  });

  it('on a retry that excludes the worker just tried, moves on to the next one', () => {
    const b = createRoundRobinBalancer();
    expect(b.pick(['a', 'b', 'c'], 0)).toBe('a');
    expect(b.pick(['b', 'c'], 1)).toBe('b');
    expect(b.pick(['a', 'b', 'c'], 2)).toBe('c');
  });

  it('appends a worker seen for the first time at the end of the ring', () => {
    const b = createRoundRobinBalancer();
    expect(picks(b, ['a', 'b'], 2)).toEqual(['a', 'b']);
    expect(picks(b, ['a', 'b', 'new'], 4)).toEqual(['new', 'a', 'b', 'new']);
  });

  it('forgetting a worker does not shift the others out of turn', () => {
    for (const [forgotten, next] of [['a', 'c'], ['b', 'c'], ['c', 'a']] as const) {
      const b = createRoundRobinBalancer();
      expect(picks(b, ['a', 'b', 'c'], 2)).toEqual(['a', 'b']);
      b.forget(forgotten);
      const rest = ['a', 'b', 'c'].filter((id) => id !== forgotten);
      expect(b.pick(rest, 10)).toBe(next);
    }
  });
});
