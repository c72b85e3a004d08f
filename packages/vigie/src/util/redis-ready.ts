import type { Redis } from 'ioredis';

/**
 * Resolves once `client` is connected; rejects at once when its last attempt failed, so that a
 * call on a dead Redis fails fast instead of waiting (the clients run with no offline queue).
 * `lastError` is read when needed (the client's error handler keeps it). `signal` (a caller's deadline) stops the wait without leaving listeners behind.
 */
export function redisReady(client: Redis, lastError: () => Error | undefined, signal?: AbortSignal): Promise<void> {
  switch (client.status) {
    case 'ready':
      return Promise.resolve();
    case 'wait':
      client.connect().catch(() => undefined);
      break;
    case 'connecting':
    case 'connect':
      break;
    default:
      return Promise.reject(lastError() ?? new Error(`the connection is down (${client.status})`));
  }
  return new Promise<void>((resolve, reject) => {
    const settle = (err?: Error) => {
      client.off('ready', onReady);
      client.off('error', onError);
      client.off('close', onClose);
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    const onReady = () => settle();
    const onError = (err: Error) => settle(err);
    const onClose = () => settle(lastError() ?? new Error('connection closed'));
    const onAbort = () => settle(new Error('gave up waiting for the connection'));
    client.on('ready', onReady);
    client.on('error', onError);
    client.on('close', onClose);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
