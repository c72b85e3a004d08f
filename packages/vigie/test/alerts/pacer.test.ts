import { describe, expect, it } from 'vitest';
import { createPacer, pacingDelay, sleep, withRateLimitRetry, type Sleep } from '../../src/alerts/pacer.js';
import { UpstreamError } from '../../src/alerts/sources/types.js';

/** A sleep that returns at once and records what it was asked. */
function recordingSleep(): { sleep: Sleep; delays: number[] } {
  const delays: number[] = [];
  return { delays, sleep: async (ms) => void delays.push(ms) };
}

/** A deterministic random source cycling through `values`. */
function seq(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

const limited = (retryAfterMs?: number) =>
  new UpstreamError('UPSTREAM_RATE_LIMITED', 'Source "x" is rate limiting (HTTP 429).', { status: 429, ...(retryAfterMs !== undefined && { retryAfterMs }) });

describe('pacer', () => {
  it('does not wait before the first request, then waits within [min, max] before each other', async () => {
    const { sleep, delays } = recordingSleep();
    const pacer = createPacer({ minDelayMs: 12_000, maxDelayMs: 25_000, random: seq(0, 0.999999, 0.5, 0.25), sleep });
    const waited: number[] = [];
    for (let i = 0; i < 5; i++) waited.push(await pacer.beforeRequest());
    expect(waited[0]).toBe(0);
    expect(delays).toEqual(waited.slice(1));
    expect(delays).toEqual([12_000, 25_000, 18_500, 15_250]);
    expect(pacer.requests).toBe(5);
  });

  it('stays within bounds for any random value', async () => {
    const { sleep, delays } = recordingSleep();
    let x = 0.123;
    const pacer = createPacer({ minDelayMs: 100, maxDelayMs: 200, random: () => (x = (x * 9301 + 0.49297) % 1), sleep });
    for (let i = 0; i < 200; i++) await pacer.beforeRequest();
    expect(delays).toHaveLength(199);
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(100);
      expect(d).toBeLessThanOrEqual(200);
    }
    expect(new Set(delays).size).toBeGreaterThan(20); // random, not a constant
  });

  it('announces the next delay with peekDelay and then waits exactly that', async () => {
    const { sleep, delays } = recordingSleep();
    const pacer = createPacer({ minDelayMs: 0, maxDelayMs: 1000, random: seq(0.3, 0.7), sleep });
    expect(pacer.peekDelay()).toBe(0);
    await pacer.beforeRequest();
    const next = pacer.peekDelay();
    expect(pacer.peekDelay()).toBe(next);
    await pacer.beforeRequest();
    expect(delays).toEqual([next]);
  });

  it('passes the signal to sleep, which stops on abort', async () => {
    const pacer = createPacer({ minDelayMs: 60_000, maxDelayMs: 60_000 });
    await pacer.beforeRequest();
    const controller = new AbortController();
    const reason = new Error('stop');
    const waiting = pacer.beforeRequest(controller.signal);
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
  });

  it('pacingDelay handles min = max and swapped bounds', () => {
    expect(pacingDelay(500, 500, () => 0.9)).toBe(500);
    expect(pacingDelay(300, 100, () => 0)).toBe(100);
    expect(pacingDelay(300, 100, () => 0.9999)).toBe(300);
  });
});

describe('sleep', () => {
  it('rejects at once with an already aborted signal', async () => {
    const reason = new Error('gone');
    await expect(sleep(60_000, AbortSignal.abort(reason))).rejects.toBe(reason);
  });
  it('resolves after a short wait', async () => {
    await expect(sleep(1)).resolves.toBeUndefined();
  });
});

describe('withRateLimitRetry', () => {
  it('returns the first success without waiting', async () => {
    const { sleep, delays } = recordingSleep();
    await expect(withRateLimitRetry(async () => 'ok', { sleep })).resolves.toBe('ok');
    expect(delays).toEqual([]);
  });

  it('honours Retry-After, then succeeds', async () => {
    const { sleep, delays } = recordingSleep();
    const attempts: number[] = [];
    const result = await withRateLimitRetry(
      async (attempt) => {
        attempts.push(attempt);
        if (attempt < 2) throw limited(attempt === 0 ? 3000 : 5000);
        return 'ok';
      },
      { sleep, maxRetries: 2 },
    );
    expect(result).toBe('ok');
    expect(attempts).toEqual([0, 1, 2]);
    expect(delays).toEqual([3000, 5000]);
  });

  it('caps a long Retry-After and uses the fallback when there is none', async () => {
    const { sleep, delays } = recordingSleep();
    let n = 0;
    await withRateLimitRetry(
      async () => {
        n++;
        if (n === 1) throw limited(3_600_000);
        if (n === 2) throw limited();
        return 'ok';
      },
      { sleep, maxRetries: 2, maxRetryAfterMs: 120_000, fallbackDelayMs: 25_000 },
    );
    expect(delays).toEqual([120_000, 25_000]);
  });

  it('gives up with the 429 after maxRetries retries', async () => {
    const { sleep, delays } = recordingSleep();
    let calls = 0;
    const last = limited(1000);
    const err = await withRateLimitRetry(
      async () => {
        calls++;
        throw calls === 3 ? last : limited(1000);
      },
      { sleep, maxRetries: 2 },
    ).catch((e: unknown) => e);
    expect(err).toBe(last);
    expect(calls).toBe(3);
    expect(delays).toEqual([1000, 1000]);
  });

  it('does not retry other errors', async () => {
    const { sleep, delays } = recordingSleep();
    let calls = 0;
    const boom = new UpstreamError('UPSTREAM_ERROR', 'HTTP 500', { status: 500 });
    await expect(withRateLimitRetry(async () => { calls++; throw boom; }, { sleep })).rejects.toBe(boom);
    const forbidden = new UpstreamError('UPSTREAM_FORBIDDEN', 'HTTP 403', { status: 403 });
    await expect(withRateLimitRetry(async () => { calls++; throw forbidden; }, { sleep })).rejects.toBe(forbidden);
    expect(calls).toBe(2);
    expect(delays).toEqual([]);
  });

  it('gives up instead of waiting past the deadline', async () => {
    const { sleep, delays } = recordingSleep();
    let calls = 0;
    const err = limited(10_000);
    await expect(withRateLimitRetry(async () => { calls++; throw err; }, { sleep, deadline: 1_005_000, now: () => 1_000_000 })).rejects.toBe(err);
    expect(calls).toBe(1);
    expect(delays).toEqual([]);
  });

  it('reports each retry', async () => {
    const { sleep } = recordingSleep();
    const seen: Array<{ attempt: number; delayMs: number }> = [];
    let n = 0;
    await withRateLimitRetry(async () => { if (n++ === 0) throw limited(700); return 1; }, { sleep, onRetry: ({ attempt, delayMs }) => seen.push({ attempt, delayMs }) });
    expect(seen).toEqual([{ attempt: 1, delayMs: 700 }]);
  });
});
