// A coordinator cut off from Redis catches up when Redis comes back: its change feed
// resubscribes and re-reads, so a change announced while it was away is not lost. Needs a
// private redis-server (started here on a free loopback port, then stopped and restarted), not
// the shared one: skipped when the binary is absent.
import { afterEach, describe, expect, it } from 'vitest';
import { createConfigStore, type ConfigStore } from '../../src/config-store/store.js';
import { freePort, HAS_REDIS_SERVER, PrivateRedis } from '../helpers/private-services.js';
import { tempDir } from '../helpers/vigie-process.js';
import { captureLogger, waitFor } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.skipIf(!HAS_REDIS_SERVER)('config store: Redis goes away and comes back', () => {
  it('falls back to the file copy, then gets a change made while it was cut off', async () => {
    const server = new PrivateRedis(await freePort());
    await server.start();
    cleanups.push(() => server.stop());
    const url = server.url;
    const dirA = tempDir('vigie-config-reconnect-');
    const dirB = tempDir('vigie-config-reconnect-');
    cleanups.push(dirA.cleanup, dirB.cleanup);

    const open = async (dataDir: string, watch: boolean): Promise<{ store: ConfigStore; text: () => string }> => {
      const log = captureLogger();
      // No periodic re-read: only the change feed's reconnection can bring the change.
      const store = await createConfigStore({ mode: 'redis_first', redisUrl: url, prefix: 'vigie:config:', dataDir, logger: log.logger, watch, refreshIntervalMs: 0, timeoutMs: 1000 });
      cleanups.push(() => store.close());
      return { store, text: log.text };
    };

    const a = await open(dirA.path, true);
    await a.store.set('lbStrategy', 'least-used');

    await server.stop();
    expect(await a.store.all()).toEqual({ lbStrategy: 'least-used' });
    expect(a.store.source()).toBe('file');

    await server.start();
    // The restarted Redis is empty (no persistence): another host sets a value there.
    const b = await open(dirB.path, false);
    await b.store.set('maxRetries', 9);

    await waitFor(() => a.store.current().maxRetries === 9, 15_000, 'change seen after the reconnection');
    expect(a.store.current()).toEqual({ maxRetries: 9 });
    expect(a.store.source()).toBe('redis');
    expect(a.text()).toContain('change feed from Redis restored');
  });
});
