import { describe, expect, it } from 'vitest';
import { RetryBudget } from '../../../src/coordinator/policy/retry-budget.js';

describe('RetryBudget', () => {
  it('allows the minimum retries per second with no traffic at all, then refuses', () => {
    const budget = new RetryBudget({ ratio: 0.2, windowMs: 10_000, minRetriesPerSec: 1 });
    let granted = 0;
    while (budget.tryRetry(0)) granted++;
    expect(granted).toBe(10); // 1/s over a 10 s window
    expect(budget.canRetry(0)).toBe(false);
  });

  it('caps retries at ratio × requests (+ the floor) under a fleet-wide outage', () => {
    const budget = new RetryBudget({ ratio: 0.2, windowMs: 10_000, minRetriesPerSec: 1 });
    let retries = 0;
    // 1000 requests over 5 s, every one failing and wanting MAX_RETRIES - 1 = 2 retries.
    for (let i = 0; i < 1_000; i++) {
      const now = i * 5;
      budget.recordRequest(now);
      for (let r = 0; r < 2; r++) if (budget.tryRetry(now)) retries++;
    }
    // Without a budget: 2000 retries (3× the load). With it: 20% of 1000 + 10.
    expect(retries).toBe(210);
    expect(budget.snapshot(4_995)).toEqual({ requests: 1_000, retries: 210, allowance: 210 });
  });

  it('refills as the window slides past the outage', () => {
    const budget = new RetryBudget({ ratio: 0.2, windowMs: 10_000, minRetriesPerSec: 1 });
    for (let i = 0; i < 100; i++) budget.recordRequest(0);
    while (budget.tryRetry(0));
    expect(budget.canRetry(9_999)).toBe(false); // still inside the window
    expect(budget.canRetry(10_000)).toBe(true); // the first second slid out
    expect(budget.snapshot(10_000)).toEqual({ requests: 0, retries: 0, allowance: 10 });
  });

  it('earns budget only from first attempts, never from retries', () => {
    const budget = new RetryBudget({ ratio: 0.5, windowMs: 1_000, minRetriesPerSec: 0 });
    expect(budget.canRetry(0)).toBe(false);
    budget.recordRequest(0);
    budget.recordRequest(0);
    expect(budget.tryRetry(0)).toBe(true);
    expect(budget.tryRetry(0)).toBe(false);
  });

  it('uses the documented defaults: 20% and 10 retries/s over 10 s', () => {
    const budget = new RetryBudget();
    for (let i = 0; i < 500; i++) budget.recordRequest(1_000);
    expect(budget.snapshot(1_000).allowance).toBe(0.2 * 500 + 100);
  });

  it('survives a clock that steps back without losing counts', () => {
    const budget = new RetryBudget({ ratio: 0, windowMs: 10_000, minRetriesPerSec: 0.2 }); // 2 per window
    expect(budget.tryRetry(20_000)).toBe(true);
    budget.recordRetry(10_000); // same slot, older window: must not wipe the newer count
    expect(budget.snapshot(20_000).retries).toBe(2);
    expect(budget.canRetry(20_000)).toBe(false);
  });
});
