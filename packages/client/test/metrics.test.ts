import { describe, expect, it } from 'vitest';
import { PeakEwma } from '../src/ewma.js';
import { NodeMetrics } from '../src/metrics.js';
import { LatencyWindow, percentile } from '../src/percentiles.js';
import { RateMeter } from '../src/rate.js';

describe('PeakEwma', () => {
  it('jumps to a higher sample at once', () => {
    const e = new PeakEwma(1000);
    e.observe(10, 0);
    e.observe(100, 1);
    expect(e.last).toBe(100);
  });

  it('decays towards lower samples with time, not with sample count', () => {
    const e = new PeakEwma(1000);
    e.observe(100, 0);
    e.observe(0, 1000); // one time constant later: weight of the old value is e^-1
    expect(e.last).toBeCloseTo(100 * Math.exp(-1), 6);
    const f = new PeakEwma(1000);
    f.observe(100, 0);
    f.observe(0, 0); // no time passed: a lower sample does not move it
    expect(f.last).toBe(100);
  });

  it('decays towards 0 when read later, so idle nodes get tried again', () => {
    const e = new PeakEwma(1000);
    expect(e.valueAt(0)).toBe(0);
    expect(e.last).toBeUndefined();
    e.observe(50, 0);
    expect(e.valueAt(0)).toBe(50);
    expect(e.valueAt(2000)).toBeCloseTo(50 * Math.exp(-2), 6);
    expect(e.last).toBe(50);
  });
});

describe('percentiles', () => {
  it('uses nearest rank', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(v, 50)).toBe(50);
    expect(percentile(v, 95)).toBe(95);
    expect(percentile(v, 100)).toBe(100);
    expect(percentile(v, 0)).toBe(1);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeUndefined();
  });

  it('keeps only the last samples of the window', () => {
    const w = new LatencyWindow(4);
    for (const x of [1000, 1000, 1, 2, 3, 4]) w.add(x);
    expect(w.count).toBe(4);
    expect(w.summary()).toEqual({ p50: 2, p95: 4 });
  });
});

describe('RateMeter', () => {
  it('averages over the sliding window and forgets old buckets', () => {
    const r = new RateMeter(10_000, 10);
    for (let i = 0; i < 50; i++) r.mark(100);
    expect(r.perSecond(500)).toBe(5);
    expect(r.perSecond(9_999)).toBe(5);
    expect(r.perSecond(10_100)).toBe(0);
    r.mark(30_000);
    expect(r.perSecond(30_000)).toBeCloseTo(0.1, 6);
  });
});

describe('NodeMetrics', () => {
  it('counts requests, errors and in-flight attempts', () => {
    const m = new NodeMetrics(1000);
    m.start(0);
    m.start(0);
    m.start(0);
    expect(m.inflight).toBe(3);
    m.response(20, 20, false);
    m.response(40, 40, true); // a 503 has a latency and is an error
    m.failure();
    expect(m.snapshot(50)).toMatchObject({ requests: 3, errors: 2, inflight: 0, latencyEwmaMs: 40, p50Ms: 20, p95Ms: 40 });
    m.start(60);
    m.cancelled();
    expect(m.snapshot(60)).toMatchObject({ requests: 4, errors: 2, inflight: 0 });
  });
});
