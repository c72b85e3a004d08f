// Redis helpers for the lock tests: a raw client on the test Redis and key cleanup by prefix.
import { Redis } from 'ioredis';

/** A plain client on the test Redis (for checking keys and cleaning up). */
export function rawRedis(url: string): Redis {
  const r = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 2000, commandTimeout: 2000, lazyConnect: false });
  r.on('error', () => undefined); // failures surface on the commands
  return r;
}

/** Deletes every key under `<prefix>:` and closes the client. */
export async function cleanupPrefix(url: string, prefix: string): Promise<void> {
  const r = rawRedis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    await r.quit().catch(() => r.disconnect());
  }
}
