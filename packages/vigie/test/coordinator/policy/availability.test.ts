import { describe, expect, it } from 'vitest';
import { availableWorkers, selectWorkers, type AvailabilityMember } from '../../../src/coordinator/policy/availability.js';

const w = (id: string, healthy: boolean, bannedUntil: number | null = null): AvailabilityMember => ({ id, healthy, bannedUntil });
const NOW = 1_000_000;

describe('availableWorkers', () => {
  it('keeps the healthy, unbanned workers, in fleet order', () => {
    const fleet = [w('a', true), w('b', false), w('c', true, NOW + 1), w('d', true, NOW - 1), w('e', true)];
    expect(availableWorkers(fleet, NOW)).toEqual(['a', 'd', 'e']);
  });

  it('brings a banned worker back by itself when its ban expires', () => {
    const fleet = [w('a', true, NOW + 60_000)];
    expect(availableWorkers(fleet, NOW)).toEqual([]);
    expect(availableWorkers(fleet, NOW + 60_000)).toEqual(['a']);
  });
});

describe('selectWorkers', () => {
  it('uses only healthy, unbanned workers while there are some', () => {
    expect(selectWorkers([w('a', false), w('b', true), w('c', true, NOW + 1)], NOW)).toEqual({ workerIds: ['b'], mode: 'healthy' });
  });

  it('falls back to unbanned but unhealthy workers when none is healthy (health may be stale)', () => {
    const fleet = [w('a', false), w('b', true, NOW + 1), w('c', false)];
    expect(selectWorkers(fleet, NOW)).toEqual({ workerIds: ['a', 'c'], mode: 'unhealthy-fallback' });
  });

  it('never falls back to banned workers', () => {
    expect(selectWorkers([w('a', true, NOW + 1), w('b', false, NOW + 1)], NOW)).toEqual({ workerIds: [], mode: 'none' });
    expect(selectWorkers([], NOW)).toEqual({ workerIds: [], mode: 'none' });
  });
});
