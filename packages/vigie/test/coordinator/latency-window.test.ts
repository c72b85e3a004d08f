import { describe, expect, it } from 'vitest';
import { LatencyWindow } from '../../src/coordinator/latency-window.js';

describe('LatencyWindow', () => {
  it('has no percentile before the first sample', () => {
    expect(new LatencyWindow().percentile(50)).toBeNull();
  });

  it('gives nearest-rank percentiles of what it holds', () => {
    const w = new LatencyWindow(100);
    for (let ms = 1; ms <= 100; ms++) w.add(ms);
    expect(w.percentile(50)).toBe(50);
    expect(w.percentile(95)).toBe(95);
    expect(w.percentile(100)).toBe(100);
    expect(w.percentile(0)).toBe(1);
  });

  it('forgets the oldest samples once full', () => {
    const w = new LatencyWindow(4);
    for (const ms of [1000, 1000, 1000, 1000, 5, 6, 7, 8]) w.add(ms);
    expect(w.percentile(95)).toBe(8);
    expect(w.percentile(50)).toBe(6);
  });
});
