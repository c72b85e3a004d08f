import { describe, expect, it } from 'vitest';
import { planRedispatch, remainingWorkers, splitEvenly } from '../../src/cycles/split.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('splitEvenly', () => {
  it('gives sizes that differ by at most one, the larger chunks first', () => {
    const plan = splitEvenly(range(10), ['a', 'b', 'c', 'd']);
    expect([...plan.entries()]).toEqual([
      ['a', [0, 1, 2]],
      ['b', [3, 4, 5]],
      ['c', [6, 7]],
      ['d', [8, 9]],
    ]);
  });

  it('keeps every item exactly once and in order, for many shapes', () => {
    for (let items = 0; items <= 25; items++) {
      for (let workers = 1; workers <= 7; workers++) {
        const ids = range(workers).map((i) => `w${i}`);
        const plan = splitEvenly(range(items), ids);
        expect([...plan.values()].flat()).toEqual(range(items));
        const sizes = [...plan.values()].map((chunk) => chunk.length);
        if (sizes.length > 0) expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        expect(plan.size).toBe(Math.min(items, workers));
        expect([...plan.keys()]).toEqual(ids.slice(0, plan.size));
      }
    }
  });

  it('is deterministic', () => {
    const items = range(17).map((i) => ({ alert: i }));
    expect(splitEvenly(items, ['x', 'y', 'z'])).toEqual(splitEvenly(items, ['x', 'y', 'z']));
  });

  it('leaves out workers that would get nothing, and counts a duplicated worker once', () => {
    expect([...splitEvenly(['only'], ['a', 'b', 'c']).keys()]).toEqual(['a']);
    expect([...splitEvenly(range(4), ['a', 'a', 'b']).entries()]).toEqual([['a', [0, 1]], ['b', [2, 3]]]);
  });

  it('returns an empty plan with no items or no workers', () => {
    expect(splitEvenly([], ['a']).size).toBe(0);
    expect(splitEvenly([1, 2], []).size).toBe(0);
  });
});

describe('planRedispatch', () => {
  it("spreads a failed batch over the workers that have not failed this cycle", () => {
    const first = splitEvenly(range(9), ['a', 'b', 'c']);
    const failed = new Set(['b']);
    const { assignments, unassigned } = planRedispatch(first.get('b')!, remainingWorkers(['a', 'b', 'c'], failed));
    expect([...assignments.entries()]).toEqual([['a', [3, 4]], ['c', [5]]]);
    expect(unassigned).toEqual([]);
  });

  it('returns everything unassigned when no worker is left, so the caller reports it failed', () => {
    const { assignments, unassigned } = planRedispatch([1, 2, 3], remainingWorkers(['a', 'b'], new Set(['a', 'b'])));
    expect(assignments.size).toBe(0);
    expect(unassigned).toEqual([1, 2, 3]);
  });

  it('has nothing to do for an empty batch', () => {
    expect(planRedispatch([], ['a'])).toEqual({ assignments: new Map(), unassigned: [] });
  });
});
