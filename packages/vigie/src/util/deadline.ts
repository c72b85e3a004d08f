import { VigieError } from '../errors.js';

/**
 * Runs `work` under a deadline: after `ms` its signal is aborted and the returned promise
 * rejects with `onTimeout()`, whether or not `work` honours the signal. The abandoned work may
 * go on in the background, but nobody waits on it: the caller (a route, a loop) keeps moving.
 */
export async function withDeadline<T>(
  ms: number,
  work: (signal: AbortSignal) => Promise<T>,
  onTimeout: () => Error = () => new VigieError('TIMEOUT', `Timed out after ${ms} ms.`, 504),
  parent?: AbortSignal,
): Promise<T> {
  const controller = new AbortController();
  const abortFromParent = () => controller.abort(parent?.reason);
  parent?.addEventListener('abort', abortFromParent, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = onTimeout();
      controller.abort(err);
      reject(err);
    }, ms);
  });
  try {
    return await Promise.race([work(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
    parent?.removeEventListener('abort', abortFromParent);
  }
}
