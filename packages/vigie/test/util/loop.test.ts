import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Loop } from '../../src/util/loop.js';
import { captureLogger } from '../helpers/capture-logger.js';

describe('Loop', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs after the initial delay, then every interval, and skips a tick while a run is still going', async () => {
    const { logger, lines } = captureLogger();
    let runs = 0;
    let release: (() => void) | undefined;
    const loop = new Loop({
      name: 'test loop', initialDelayMs: 100, intervalMs: 1000, logger,
      run: () => { runs++; return runs === 2 ? new Promise<void>((r) => (release = r)) : Promise.resolve(); },
    });
    loop.start();
    await vi.advanceTimersByTimeAsync(99);
    expect(runs).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(1000); // second run starts and hangs
    await vi.advanceTimersByTimeAsync(1000); // this tick is skipped
    expect(runs).toBe(2);
    expect(lines().some((l) => String(l.msg).includes('previous run still in progress'))).toBe(true);
    release!();
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toBe(3);
    await loop.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(runs).toBe(3);
  });

  it('logs a failed run and keeps going', async () => {
    const { logger, lines } = captureLogger();
    let runs = 0;
    const loop = new Loop({ name: 'flaky', initialDelayMs: 0, intervalMs: 100, logger, run: async () => { runs++; throw new Error('boom'); } });
    loop.start();
    await vi.advanceTimersByTimeAsync(250);
    await loop.stop();
    expect(runs).toBe(3);
    expect(lines().filter((l) => l.msg === 'flaky failed')).toHaveLength(3);
  });
});
