import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { openStore } from '../../src/store/index.js';
import { until } from '../helpers/until.js';
import { isAlive, spawnVigie, tempDir, type VigieProcess } from '../helpers/vigie-process.js';

interface Stats {
  totalWorkers: number;
  availableWorkers: number;
  workers: Array<{ id: string; isHealthy: boolean }>;
}

/** The API key `vigie up` generated in its data folder (reads need it too). */
function generatedKey(dataDir: string): string {
  return readFileSync(join(dataDir, 'api-key'), 'utf8').trim();
}

async function alertCount(dataDir: string): Promise<number> {
  const store = await openStore({ dataDir, databaseUrl: undefined, logger: createLogger({ level: 'silent', format: 'json' }) });
  try {
    return (await store.alerts.list()).length;
  } finally {
    await store.close();
  }
}

describe('vigie up', () => {
  const dir = tempDir('vigie-up-');
  let up: VigieProcess;
  afterAll(async () => {
    await up?.stop('SIGKILL');
    dir.cleanup();
  });

  it('runs a coordinator and 3 local workers, restarts a dead worker, and stops everything on SIGINT', async () => {
    // A worker port of its own, so that a developer's `vigie up` on 8081 does not collide.
    const workerPort = String(20_000 + Math.floor(Math.random() * 20_000));
    up = spawnVigie(['up', '--port', '0', '--worker-port', workerPort], { VIGIE_DATA_DIR: dir.path, HEALTH_CHECK_INTERVAL_MS: '1000' });
    const { url } = await up.waitForLog((l) => l.msg === 'coordinator listening', 30_000);
    const stats = await until(() => fetch(`${String(url)}/api/v1/worker/main/stats`, { headers: { 'x-api-key': generatedKey(dir.path) } }).then((r) => r.json() as Promise<Stats>), (s) => s.availableWorkers === 3);
    expect(stats.totalWorkers).toBe(3);
    expect(stats.workers.every((w) => w.isHealthy)).toBe(true);
    // The printed summary goes to stderr with the generated key's location, never the key.
    expect(up.output()).toContain('Vigie is up');
    expect(up.output()).toContain(`generated, kept in ${join(dir.path, 'api-key')}`);
    expect(up.output()).not.toContain(generatedKey(dir.path));

    const started = await up.waitForLog((l) => l.worker === 'worker-2' && typeof l.pid === 'number');
    const pid = started.pid as number;
    process.kill(pid, 'SIGKILL');
    await up.waitForLog((l) => l.worker === 'worker-2' && typeof l.msg === 'string' && l.msg.includes('restarting'));
    const restarted = await up.waitForLog((l) => l.worker === 'worker-2' && typeof l.pid === 'number' && l.pid !== pid);
    await until(() => fetch(`${String(url)}/api/v1/worker/main/stats`, { headers: { 'x-api-key': generatedKey(dir.path) } }).then((r) => r.json() as Promise<Stats>), (s) => s.availableWorkers === 3);

    const pids = [restarted.pid as number];
    for (const id of ['worker-1', 'worker-3']) pids.push((await up.waitForLog((l) => l.worker === id && typeof l.pid === 'number')).pid as number);
    expect(await up.stop('SIGINT')).toBe(0);
    for (const p of pids) expect(isAlive(p)).toBe(false);
  }, 60_000);

  it('--demo shows matches in GET /api/v1/matches within 60 s', async () => {
    const demoDir = tempDir('vigie-demo-');
    const workerPort = String(20_000 + Math.floor(Math.random() * 20_000));
    const demo = spawnVigie(['up', '--demo', '--port', '0', '--worker-port', workerPort], { VIGIE_DATA_DIR: demoDir.path, LOG_LEVEL: 'debug' });
    try {
      const { url } = await demo.waitForLog((l) => l.msg === 'coordinator listening', 30_000);
      const started = Date.now();
      const { matches } = await until(
        () => fetch(`${String(url)}/api/v1/matches`, { headers: { 'x-api-key': generatedKey(demoDir.path) } }).then((r) => r.json() as Promise<{ matches: Array<{ item: { title: string } }> }>),
        (m) => m.matches.length > 0,
        60_000,
      );
      expect(Date.now() - started).toBeLessThan(60_000);
      expect(matches[0]!.item.title).toEqual(expect.any(String));
      // The notifications go to the log.
      await demo.waitForLog((l) => l.msg === 'notification sent (log)');
      // Its coordinator collects each cycle's garbage, as \`vigie coordinator\` does (issue 16).
      expect(typeof (await demo.waitForLog((l) => l.msg === 'garbage of the cycle collected')).ms).toBe('number');
      // Issue 17.4: the demo says where its data is, at start and at exit...
      const demoData = join(demoDir.path, 'demo');
      expect(demo.output()).toContain(`demo data  ${demoData}`);
      expect(await demo.stop('SIGINT')).toBe(0);
      expect(demo.output()).toContain(`The demo's data stays in ${demoData}`);
      expect(demo.output()).toContain(`rm -rf ${demoData}`);
      // ...and keeps it there: the alerts are in the demo's store, none in the fleet's own, so
      // a later plain \`vigie up\` has no alert on the demo's source. The key stays where the CLI looks.
      expect(existsSync(join(demoData, 'vigie.db'))).toBe(true);
      expect(existsSync(join(demoDir.path, 'api-key'))).toBe(true);
      expect(await alertCount(demoData)).toBe(3);
      if (existsSync(join(demoDir.path, 'vigie.db'))) expect(await alertCount(demoDir.path)).toBe(0);
    } finally {
      await demo.stop('SIGKILL');
      demoDir.cleanup();
    }
  }, 90_000);
});
