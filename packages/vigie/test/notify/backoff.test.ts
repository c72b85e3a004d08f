import { describe, expect, it } from 'vitest';
import { retryDelayMs } from '../../src/notify/backoff.js';

describe('retryDelayMs', () => {
  const at = (r: number) => ({ random: () => r });

  it('grows from 1 s with full jitter: attempt n waits between 1 s and 2^n s', () => {
    expect(retryDelayMs(1, undefined, at(0))).toBe(1000);
    expect(retryDelayMs(1, undefined, at(1 - 1e-12))).toBe(2000);
    expect(retryDelayMs(3, undefined, at(0.5))).toBe(1000 + 0.5 * 7000);
    for (let n = 1; n <= 9; n++) {
      const hi = retryDelayMs(n, undefined, at(1 - 1e-12));
      expect(hi).toBe(Math.min(600_000, 1000 * 2 ** n));
      expect(retryDelayMs(n, undefined, at(0))).toBe(1000);
    }
  });

  it('never waits more than 10 min, however many attempts', () => {
    expect(retryDelayMs(10, undefined, at(1 - 1e-12))).toBe(600_000);
    expect(retryDelayMs(1000, undefined, at(1 - 1e-12))).toBe(600_000);
    expect(retryDelayMs(50, undefined, { random: () => 0.5, baseMs: 10, maxMs: 100 })).toBe(55);
  });

  it('takes the receiver\'s retry-after as it is, capped at an hour', () => {
    expect(retryDelayMs(1, 37_000, at(0.9))).toBe(37_000);
    expect(retryDelayMs(5, 0, at(0.9))).toBe(0);
    expect(retryDelayMs(1, 86_400_000, at(0.9))).toBe(3_600_000);
    expect(retryDelayMs(1, 86_400_000, { retryAfterCapMs: 5000 })).toBe(5000);
  });
});
