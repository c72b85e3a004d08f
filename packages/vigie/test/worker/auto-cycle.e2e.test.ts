import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startMarketplace, type Marketplace } from '../../src/demo/marketplace.js';
import { openStore } from '../../src/store/index.js';
import { demoSource } from '../../src/up/demo.js';
import { spawnVigie, tempDir, type VigieProcess } from '../helpers/vigie-process.js';

const SESSION = 'demo_session=auto-cycle-test';

describe('AUTO_RUN_CYCLE', () => {
  let market: Marketplace | undefined;
  let worker: VigieProcess | undefined;
  const dirs: Array<{ cleanup: () => void }> = [];
  afterEach(async () => {
    await worker?.stop('SIGKILL');
    await market?.close();
    dirs.splice(0).forEach((d) => d.cleanup());
  });

  async function setup(env: Record<string, string>) {
    market = await startMarketplace({ seed: 9, initialListings: 20, sessionCookie: SESSION });
    const dir = tempDir('vigie-auto-');
    dirs.push(dir);
    const file = join(dir.path, 'worker.json');
    writeFileSync(file, JSON.stringify({ sources: { market: demoSource(market.url) }, requestDelayMinMs: 0, requestDelayMaxMs: 0 }));
    const store = await openStore({ dataDir: dir.path });
    await store.credentials.set('scraping', SESSION, 'test');
    await store.alerts.create({ name: 'All', source: 'market', query: '', notify: [{ channel: 'log' }], notifyExisting: true });
    await store.close();
    worker = spawnVigie(['--config', file, 'worker', '--insecure', '--host', '127.0.0.6', '--port', '0'], {
      VIGIE_DATA_DIR: dir.path, ALERT_INITIAL_DELAY_MS: '100', ALERT_CHECK_INTERVAL_MS: '300', NOTIFY_POLL_INTERVAL_MS: '100', ...env,
    });
    await worker.waitForLog((l) => l.msg === 'worker listening');
    return dir.path;
  }

  it('lets a worker run cycles by itself, with a warning, recording and notifying matches', async () => {
    const dataDir = await setup({ AUTO_RUN_CYCLE: 'true' });
    await worker!.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('AUTO_RUN_CYCLE=true') && l.level === 40);
    // Without Redis, the seed's singleton rule runs on the file lock, with its warning.
    await worker!.waitForLog((l) => typeof l.msg === 'string' && l.msg.includes('unsafe for multi-container deployments'));
    await worker!.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('Singleton lock acquired (file) poller_lock'));
    await worker!.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('Cycle finished'));
    await worker!.waitForLog((l) => l.msg === 'notification sent (log)');
    // The worker's requests left from its own address, as a region's would.
    expect(market!.requestsFrom('127.0.0.6')).toBeGreaterThan(0);
    const store = await openStore({ dataDir });
    try {
      expect((await store.matches.listRecent(100)).length).toBe(20);
      const run = (await store.alertRuns.listRecent(1))[0];
      expect(run).toMatchObject({ status: 'ok', alertsChecked: 1 });
      // The same cycle path as the coordinator's: its writes carry poller_lock's fencing number.
      expect(run?.fencingToken).toBeGreaterThan(0);
      expect(await store.fencing.newest('poller_lock')).toBe(run?.fencingToken);
    } finally {
      await store.close();
    }
  });

  it('is off by default: no cycle runs on a worker', async () => {
    const dataDir = await setup({});
    await new Promise((r) => setTimeout(r, 1200));
    const store = await openStore({ dataDir });
    try {
      expect(await store.alertRuns.listRecent(5)).toEqual([]);
    } finally {
      await store.close();
    }
    expect(market!.requestsFrom('127.0.0.6')).toBe(0);
  });
});
