import { performance } from 'node:perf_hooks';
import { VigieError } from '../errors.js';

/** How late a deadline timer must fire to count as "this process was stalled" (paused, swapped). */
const STALL_MS = 1000;

/**
 * Runs `work` under a deadline: after `ms` its signal is aborted and the returned promise
 * rejects with `onTimeout()`, whether or not `work` honours the signal. The abandoned work may
 * go on in the background, but nobody waits on it: the caller (a route, a loop) keeps moving.
 *
 * With `stallGraceMs`: when the timer fires much later than asked, this process did not run for
 * a while (SIGSTOP, a long pause); an answer may have arrived meanwhile and be waiting in a
 * socket, and the timer would run before the I/O that holds it. Then `work` gets that much more
 * time before the deadline counts, so that an answer already given is not taken for a timeout.
 */
export async function withDeadline<T>(
  ms: number,
  work: (signal: AbortSignal) => Promise<T>,
  onTimeout: () => Error = () => new VigieError('TIMEOUT', `Timed out after ${ms} ms.`, 504),
  parent?: AbortSignal,
  opts: { stallGraceMs?: number } = {},
): Promise<T> {
  const controller = new AbortController();
  const abortFromParent = () => controller.abort(parent?.reason);
  parent?.addEventListener('abort', abortFromParent, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const due = performance.now() + ms;
  const timeout = new Promise<never>((_, reject) => {
    const expire = () => {
      const err = onTimeout();
      controller.abort(err);
      reject(err);
    };
    timer = setTimeout(() => {
      if (opts.stallGraceMs !== undefined && performance.now() - due > STALL_MS) timer = setTimeout(expire, opts.stallGraceMs);
      else expire();
    }, ms);
  });
  try {
    return await Promise.race([work(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
    parent?.removeEventListener('abort', abortFromParent);
  }
}
