import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/until.js';
import { runVigie, spawnVigie, tempDir, type VigieProcess } from '../helpers/vigie-process.js';

/**
 * The issue's acceptance, run as a new user would: `vigie up --demo --demo-block-after 3` with
 * failover on. The demo marketplace blocks worker-1's source address (127.0.0.2) after three
 * requests; a restart keeps the address (still blocked), a region move gives it a new one.
 */
interface HistoryRow { workerId: string; step: string; fromValue: string | null; toValue: string | null; ok: boolean; reason: string; error: string | null; at: number }
interface StatsWorker { id: string; url: string; isBanned: boolean; isAvailable?: boolean; successCount: number }

describe('vigie up --demo --demo-block-after 3 with ENABLE_FAILOVER=true', () => {
  const dir = tempDir('vigie-failover-demo-');
  let up: VigieProcess | undefined;
  afterAll(async () => {
    await up?.stop('SIGKILL');
    dir.cleanup();
  });

  it('restarts worker-1 (still blocked), then moves it to a new address, where its canary and batches succeed and matches keep coming', async () => {
    const workerPort = String(20_000 + Math.floor(Math.random() * 20_000));
    up = spawnVigie(['up', '--demo', '--demo-block-after', '3', '--port', '0', '--worker-port', workerPort], {
      VIGIE_DATA_DIR: dir.path,
      ENABLE_FAILOVER: 'true',
      MAX_403_BEFORE_FAILOVER: '3',
      FAILOVER_COOLDOWN_MS: '0',
      FAILOVER_PROBE_INTERVAL_MS: '1000',
    });
    const { url } = (await up.waitForLog((l) => l.msg === 'coordinator listening', 60_000)) as { url: string };
    const key = readFileSync(join(dir.path, 'api-key'), 'utf8').trim();
    const get = async <T>(path: string): Promise<T> => {
      const res = await fetch(`${url}${path}`, { headers: { 'x-api-key': key } });
      if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
      return (await res.json()) as T;
    };
    const started = Date.now();

    const { failovers } = await until(() => get<{ failovers: HistoryRow[] }>('/api/v1/failover/history'), (h) => h.failovers.some((f) => f.step === 'region'), 90_000, 'a restart then a region step');
    const tookMs = Date.now() - started;
    // Newest first: the region move, then the restart before it.
    const [region, restart] = failovers;
    const oldUrl = `http://127.0.0.2:${workerPort}`;
    expect(restart).toMatchObject({ workerId: 'worker-1', step: 'restart', fromValue: oldUrl, toValue: oldUrl, ok: false });
    expect(restart!.error).toMatch(/still blocked/);
    expect(region).toMatchObject({ workerId: 'worker-1', step: 'region', fromValue: oldUrl, ok: true, error: null });
    expect(region!.toValue).toMatch(new RegExp(`^http://127\\.0\\.0\\.\\d+:${workerPort}$`));
    expect(region!.toValue).not.toBe(oldUrl);
    expect(region!.at).toBeGreaterThan(restart!.at);
    // The seed's promise: within a minute of start (the block itself comes ~30 s in: 3 cycles).
    expect(tookMs).toBeLessThan(90_000);

    // Worker-1 takes work again at its new address, and its batches there succeed.
    const stats = () => get<{ workers: StatsWorker[] }>('/api/v1/worker/main/stats');
    const moved = await until(stats, (s) => s.workers.some((w) => w.id === 'worker-1' && w.url === region!.toValue && !w.isBanned), 30_000, 'worker-1 available at its new address');
    const before = moved.workers.find((w) => w.id === 'worker-1')!.successCount;
    await until(stats, (s) => s.workers.find((w) => w.id === 'worker-1')!.successCount > before, 40_000, 'worker-1 batches succeed after the move');
    await up.waitForLog((l) => l.worker === 'worker-1' && typeof l.msg === 'string' && l.msg.startsWith('✅ Worker') && Number(new Date(String(l.time))) > region!.at, 40_000);

    // New matches keep coming (a new listing every 4 s, checked every 10 s).
    const count = async () => (await get<{ matches: Array<{ foundAt?: number; createdAt?: number }> }>('/api/v1/matches?limit=500')).matches.length;
    const n = await count();
    await until(count, (m) => m > n, 45_000, 'new matches after the move');

    // The operator was told, through the outbox's log channel.
    await up.waitForLog((l) => typeof l.msg === 'string' && l.msg.includes('Failover region on Worker 1'), 10_000);
    const status = await get<{ active: boolean; workers: Array<{ workerId: string; streak: number; inProgress: unknown }> }>('/api/v1/failover/status');
    expect(status.active).toBe(true);
    expect(status.workers.find((w) => w.workerId === 'worker-1')).toMatchObject({ streak: 0, inProgress: null });

    // The CLI reads the same, and an operator's bad trigger is a clear error that changes nothing.
    const env = { VIGIE_URL: url, VIGIE_API_KEY: key };
    const cli = await runVigie(['failover', 'history'], env);
    expect(cli.code).toBe(0);
    expect((JSON.parse(cli.stdout) as { failovers: HistoryRow[] }).failovers.slice(0, 2).map((f) => f.step)).toEqual(['region', 'restart']);
    const bad = await runVigie(['failover', 'trigger', 'worker-9'], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('WORKER_NOT_FOUND');
  }, 240_000);

  it('a standalone coordinator with ENABLE_FAILOVER=true and the default local provider refuses to start, saying what to set', async () => {
    const own = tempDir('vigie-failover-local-');
    try {
      const r = await runVigie(['coordinator', '--port', '0'], { VIGIE_DATA_DIR: own.path, VIGIE_API_KEY: 'k'.repeat(32), ENABLE_FAILOVER: 'true' });
      expect(r.code).not.toBe(0);
      expect(r.stderr + r.stdout).toMatch(/MACHINE_PROVIDER=local heals the local workers of `vigie up` only/);
      // With failover off (the default), the same coordinator starts: nothing changes for it.
      const off = spawnVigie(['coordinator', '--port', '0'], { VIGIE_DATA_DIR: own.path, VIGIE_API_KEY: 'k'.repeat(32) });
      try {
        await off.waitForLog((l) => l.msg === 'coordinator listening', 60_000);
      } finally {
        await off.stop('SIGKILL');
      }
    } finally {
      own.cleanup();
    }
  }, 120_000);
});
