import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { VigieError } from '../../src/errors.js';
import { withDeadline } from '../../src/util/deadline.js';

describe('withDeadline', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('returns the result of work that finishes in time', async () => {
    const p = withDeadline(1000, async () => 42);
    await expect(p).resolves.toBe(42);
  });

  it('rejects with the timeout error and aborts the signal when work overruns', async () => {
    let seen: AbortSignal | undefined;
    const p = withDeadline(
      1000,
      (signal) => {
        seen = signal;
        return new Promise<never>(() => {}); // never settles, ignores the signal
      },
      () => new VigieError('COMMAND_TIMEOUT', 'late', 504),
    );
    const assertion = expect(p).rejects.toMatchObject({ code: 'COMMAND_TIMEOUT' });
    await vi.advanceTimersByTimeAsync(999);
    expect(seen?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await assertion;
    expect(seen?.aborted).toBe(true);
  });

  it('aborts the work when the parent signal aborts', async () => {
    const parent = new AbortController();
    let seen: AbortSignal | undefined;
    const p = withDeadline(10_000, (signal) => {
      seen = signal;
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('stopped'))));
    }, undefined, parent.signal);
    parent.abort();
    await expect(p).rejects.toThrow('stopped');
    expect(seen?.aborted).toBe(true);
  });
});
