// A coordinator cut off from Redis catches up when Redis comes back: its change feed
// resubscribes and re-reads, so a change announced while it was away is not lost. Needs a
// private redis-server (started here on a free loopback port, then stopped and restarted), not
// the shared one: skipped when the binary is absent.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createConfigStore, type ConfigStore } from '../../src/config-store/store.js';
import { tempDir } from '../helpers/vigie-process.js';
import { captureLogger, waitFor } from './helpers.js';

const HAS_REDIS_SERVER = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
if (!HAS_REDIS_SERVER) console.warn('[vigie tests] SKIPPING the config store reconnection test: no redis-server binary on PATH.');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const s = net.connect({ host: '127.0.0.1', port }, () => (s.destroy(), resolve(true)));
        s.on('error', () => resolve(false));
      }),
    10_000,
    'private redis-server listening',
  );
  return child;
}

async function stopRedis(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.skipIf(!HAS_REDIS_SERVER)('config store: Redis goes away and comes back', () => {
  it('falls back to the file copy, then gets a change made while it was cut off', async () => {
    const port = await freePort();
    let server: ChildProcess | undefined = await startRedis(port);
    cleanups.push(() => stopRedis(server));
    const url = `redis://127.0.0.1:${port}`;
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

    await stopRedis(server);
    expect(await a.store.all()).toEqual({ lbStrategy: 'least-used' });
    expect(a.store.source()).toBe('file');

    server = await startRedis(port);
    // The restarted Redis is empty (no persistence): another host sets a value there.
    const b = await open(dirB.path, false);
    await b.store.set('maxRetries', 9);

    await waitFor(() => a.store.current().maxRetries === 9, 15_000, 'change seen after the reconnection');
    expect(a.store.current()).toEqual({ maxRetries: 9 });
    expect(a.store.source()).toBe('redis');
    expect(a.text()).toContain('change feed from Redis restored');
  });
});
