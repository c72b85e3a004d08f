import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../src/backoff.js';

describe('backoffDelay', () => {
  const opts = { baseMs: 100, maxMs: 1000 };
  it('doubles per failure up to the cap (upper end of the jitter)', () => {
    const top = () => 1;
    expect([0, 1, 2, 3, 4, 10].map((k) => backoffDelay(k, opts, top))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
  it('never waits less than half the nominal delay (lower end of the jitter)', () => {
    const bottom = () => 0;
    expect([0, 1, 2, 3, 4].map((k) => backoffDelay(k, opts, bottom))).toEqual([50, 100, 200, 400, 500]);
  });
  it('spreads clients across [d/2, d]', () => {
    const values = [0.1, 0.5, 0.9].map((r) => backoffDelay(2, opts, () => r));
    expect(values).toEqual([220, 300, 380]);
  });
  it('survives absurd failure counts', () => {
    expect(backoffDelay(10_000, opts, () => 1)).toBe(1000);
    expect(backoffDelay(-3, opts, () => 1)).toBe(100);
  });
  it('with full jitter, spreads over [base, d]', () => {
    const full = { ...opts, jitter: 'full' as const };
    expect([0, 0.5, 1].map((r) => backoffDelay(3, full, () => r))).toEqual([100, 450, 800]);
    expect(backoffDelay(0, full, () => 0.7)).toBe(100);
  });
});
