import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { createTestFleet, FLEET_KEY, get, post, type TestFleet } from '../helpers/fleet.js';
import { runVigie } from '../helpers/vigie-process.js';

interface Stats {
  totalWorkers: number;
  availableWorkers: number;
  bannedWorkers: number;
  unhealthyWorkers: number;
  workers: Array<{ id: string; name: string; region: string; isHealthy: boolean; isBanned: boolean; requestCount: number; successCount: number; errorCount: number; successRate: number }>;
}

let fleet: TestFleet;
afterEach(async () => fleet?.stopAll());

/** Sends `total` echo commands, `concurrency` at a time; calls `midway` once after `at` answers. */
async function burst(url: string, total: number, concurrency: number, at = -1, midway?: () => Promise<void>) {
  let next = 0;
  let done = 0;
  const failures: unknown[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const r = await post(`${url}/api/v1/worker/main/execute`, { type: 'custom', payload: { name: 'echo', data: i } });
        if (r.status !== 200 || r.body.data !== i) failures.push(r);
        if (++done === at) await midway?.();
      }
    }),
  );
  return failures;
}

describe('coordinator with three real workers', () => {
  it('passes 1000 echo commands, and still all of them when a worker is killed part-way', async () => {
    fleet = createTestFleet();
    for (const [i, host] of ['127.0.0.2', '127.0.0.3', '127.0.0.4'].entries()) await fleet.startWorker(`w${i + 1}`, host);
    const { url } = await fleet.startCoordinator({ LB_STRATEGY: 'round-robin' });

    expect(await burst(url, 1000, 16)).toEqual([]);
    const stats = await get<Stats & { workers: Array<{ inFlight: number; latencyP50Ms: number | null; latencyP95Ms: number | null }> }>(`${url}/api/v1/worker/main/stats`);
    // Round-robin spread the load: every worker served a fair share.
    for (const w of stats.workers) expect(w.successCount).toBeGreaterThan(250);
    // Nothing left in flight; each worker's latency known, its p95 no less than its median.
    for (const w of stats.workers) {
      expect(w.inFlight).toBe(0);
      expect(w.latencyP50Ms).toBeGreaterThan(0);
      expect(w.latencyP95Ms).toBeGreaterThanOrEqual(w.latencyP50Ms!);
    }

    const victim = fleet.workers[1]!;
    const failures = await burst(url, 1000, 16, 300, async () => {
      await victim.proc.stop('SIGKILL');
    });
    expect(failures).toEqual([]);
    const after = await get<Stats>(`${url}/api/v1/worker/main/stats`);
    expect(after.workers.find((w) => w.id === victim.id)?.isHealthy).toBe(false);
    expect(after.availableWorkers).toBe(2);
  }, 90_000);

  it('bans a worker that answers 403 at once, skips it, keeps the ban across a restart, and lifts it when it expires', async () => {
    fleet = createTestFleet();
    await fleet.startWorker('ok-1', '127.0.0.2');
    await fleet.startWorker('blocked', '127.0.0.3', { BLOCKED: '1' });
    await fleet.startWorker('ok-2', '127.0.0.4');
    const env = { LB_STRATEGY: 'round-robin', WORKER_BAN_DURATION_MS: '10000' };
    let coordinator = await fleet.startCoordinator(env);
    const probe = () => post(`${coordinator.url}/api/v1/worker/main/execute`, { type: 'custom', payload: { name: 'probe' } });
    type WorkerStats = Stats['workers'][number] & { bannedUntil: string | null };
    const blocked = async () => (await get<Stats>(`${coordinator.url}/api/v1/worker/main/stats`)).workers.find((w) => w.id === 'blocked') as WorkerStats;

    // Round-robin reaches the blocked worker within three commands; its 403 is retried elsewhere.
    for (let i = 0; i < 3; i++) {
      const r = await probe();
      expect(r.status).toBe(200);
      expect(r.body.data).not.toBe('blocked');
    }
    expect(await blocked()).toMatchObject({ isBanned: true, requestCount: 1, errorCount: 1 });
    expect(await get<Stats>(`${coordinator.url}/api/v1/worker/main/stats`)).toMatchObject({ totalWorkers: 3, availableWorkers: 2, bannedWorkers: 1 });
    const until = Date.parse((await blocked()).bannedUntil!);

    // Survives a coordinator restart (SIGTERM flushes the counters; the ban was written at once).
    await coordinator.proc.stop('SIGTERM');
    coordinator = await fleet.startCoordinator(env);
    expect(await blocked()).toMatchObject({ isBanned: true, requestCount: 1 });

    // Skipped by the balancer: 30 more commands, none reaches it.
    for (let i = 0; i < 30; i++) expect((await probe()).status).toBe(200);
    expect((await blocked()).requestCount).toBe(1);

    // Ends by itself.
    await new Promise((r) => setTimeout(r, Math.max(0, until - Date.now()) + 300));
    expect(await blocked()).toMatchObject({ isBanned: false });
    expect((await get<Stats>(`${coordinator.url}/api/v1/worker/main/stats`)).availableWorkers).toBe(3);
  }, 90_000);

  it('accounts for all 100 alerts of a cycle when a worker is killed during it', async () => {
    fleet = createTestFleet();
    const store = await openStore({ dataDir: fleet.dataDir });
    for (let i = 0; i < 100; i++) await store.alerts.create({ name: `alert ${i}`, source: 'test', query: `q${i}` });
    await store.close();
    // ~40 ms an alert: a batch of 34 takes over a second, time enough to kill its worker mid-batch.
    for (const [i, host] of ['127.0.0.2', '127.0.0.3', '127.0.0.4'].entries()) await fleet.startWorker(`w${i + 1}`, host, { PER_ALERT_MS: '40' });
    const { url, proc } = await fleet.startCoordinator();

    const cycle = post(`${url}/api/v1/alerts/run-once`, {});
    await new Promise((r) => setTimeout(r, 500));
    await fleet.workers[0]!.proc.stop('SIGKILL');
    const r = await cycle;
    expect(r.status).toBe(200);
    const summary = r.body.data as Record<string, unknown>;
    expect(summary).toMatchObject({ status: 'ok', alertsTotal: 100, alertsChecked: 100, alertsFailed: 0, workersFailed: 1 });

    // What the handlers saw: every alert was checked to the end by a worker still alive.
    const seen = readFileSync(join(fleet.dir, 'seen.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { worker: string; alert: string });
    const bySurvivors = new Set(seen.filter((s) => s.worker !== 'w1').map((s) => s.alert));
    expect(bySurvivors.size).toBe(100);

    const runs = await get<{ runs: Array<Record<string, unknown>> }>(`${url}/api/v1/alerts/runs`);
    expect(runs.runs[0]).toMatchObject({ id: summary.runId, status: 'ok', alertsTotal: 100, alertsChecked: 100, alertsFailed: 0 });
    const outcomes = runs.runs[0]!.workers as Array<{ workerId: string; ok: boolean }>;
    expect(outcomes.filter((o) => !o.ok).map((o) => o.workerId)).toEqual(['w1']);
    await proc.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('Cycle finished'));
  }, 60_000);

  it('reports alerts as failed, with the reason, when no worker is left', async () => {
    fleet = createTestFleet();
    const store = await openStore({ dataDir: fleet.dataDir });
    for (let i = 0; i < 5; i++) await store.alerts.create({ name: `alert ${i}`, source: 'test', query: `q${i}` });
    await store.close();
    await fleet.startWorker('only', '127.0.0.2');
    const { url } = await fleet.startCoordinator();
    await fleet.workers[0]!.proc.stop('SIGKILL');
    const r = await post(`${url}/api/v1/alerts/run-once`, {});
    const summary = r.body.data as { status: string; alertsFailed: number; failedAlerts: Array<{ reason: string }> };
    expect(summary.status).toBe('failed');
    expect(summary.alertsFailed).toBe(5);
    for (const f of summary.failedAlerts) expect(f.reason).toMatch(/no worker left|NO_WORKER/);
  });

  it('adds and removes workers at run time, with the API key', async () => {
    fleet = createTestFleet();
    await fleet.startWorker('w1', '127.0.0.2');
    const { url } = await fleet.startCoordinator();
    const extra = await fleet.startWorker('w2', '127.0.0.3');

    const noKey = await fetch(`${url}/api/v1/worker/main/workers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'w2', url: extra.url }) });
    expect(noKey.status).toBe(401);
    expect((await post(`${url}/api/v1/worker/main/workers`, { id: 'w2', url: 'not a url' })).status).toBe(400);
    expect((await post(`${url}/api/v1/worker/main/workers`, { id: 'w2', name: 'W2', region: 'ams', url: extra.url })).status).toBe(201);
    expect((await post(`${url}/api/v1/worker/main/workers`, { id: 'w2', url: extra.url })).status).toBe(409);
    expect((await get<Stats>(`${url}/api/v1/worker/main/stats`)).totalWorkers).toBe(2);

    const del = await fetch(`${url}/api/v1/worker/main/workers/w2`, { method: 'DELETE', headers: { 'x-api-key': 'fleet-test-key-0123456789abcdef' } });
    expect(del.status).toBe(200);
    expect((await get<Stats>(`${url}/api/v1/worker/main/stats`)).totalWorkers).toBe(1);
  });

  it('moves a running worker with PATCH: the next command goes to the new url, and the move outlives a restart', async () => {
    fleet = createTestFleet();
    await fleet.startWorker('w1', '127.0.0.2');
    const first = await fleet.startCoordinator();
    // The machine it moves to: another process, on another address, that says who it is.
    const target = await fleet.startWorker('w1-moved', '127.0.0.3');
    const probe = () => post(`${first.url}/api/v1/worker/main/execute`, { type: 'custom', payload: { name: 'probe' } });
    expect((await probe()).body.data).toBe('w1');

    const patch = (body: unknown, url = first.url) =>
      fetch(`${url}/api/v1/worker/main/workers/w1`, { method: 'PATCH', headers: { 'content-type': 'application/json', 'x-api-key': FLEET_KEY }, body: JSON.stringify(body) });
    expect((await patch({})).status).toBe(400);
    expect((await patch({ url: 'ftp://x' })).status).toBe(400);
    expect((await patch({ port: 1 })).status).toBe(400);
    expect((await fetch(`${first.url}/api/v1/worker/main/workers/nope`, { method: 'PATCH', headers: { 'content-type': 'application/json', 'x-api-key': FLEET_KEY }, body: '{"name":"x"}' })).status).toBe(404);
    const moved = await patch({ url: target.url, region: 'iad' });
    expect(moved.status).toBe(200);
    expect(((await moved.json()) as { worker: { url: string; region: string } }).worker).toMatchObject({ url: target.url, region: 'iad' });
    for (let i = 0; i < 5; i++) expect((await probe()).body.data).toBe('w1-moved');

    // The config file still names the old url; the run-time move holds across a restart.
    await first.proc.stop('SIGTERM');
    const second = await fleet.startCoordinator();
    const stats = await get<Stats & { workers: Array<{ url: string }> }>(`${second.url}/api/v1/worker/main/stats`);
    expect(stats.workers.find((w) => w.id === 'w1')).toMatchObject({ url: target.url, region: 'iad' });

    // The CLI does the same.
    const cli = await runVigie(['workers', 'update', 'w1', '--name', 'Worker One'], { VIGIE_URL: second.url, VIGIE_API_KEY: FLEET_KEY });
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout).worker).toMatchObject({ id: 'w1', name: 'Worker One', url: target.url });
  }, 60_000);

  it('adds, lists and removes workers from the CLI', async () => {
    fleet = createTestFleet();
    await fleet.startWorker('w1', '127.0.0.2');
    const { url } = await fleet.startCoordinator();
    const extra = await fleet.startWorker('w2', '127.0.0.3');
    const env = { VIGIE_URL: url, VIGIE_API_KEY: FLEET_KEY };
    const add = await runVigie(['workers', 'add', 'w2', extra.url, '--name', 'W2', '--region', 'ams'], env);
    expect(add.code).toBe(0);
    const list = await runVigie(['workers', 'list'], env);
    expect(JSON.parse(list.stdout).workers.map((w: { id: string }) => w.id)).toEqual(['w1', 'w2']);
    const wrongKey = await runVigie(['workers', 'rm', 'w2'], { ...env, VIGIE_API_KEY: 'not-the-key-at-all' });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toContain('x-api-key');
    expect((await runVigie(['workers', 'rm', 'w2'], env)).code).toBe(0);
    expect((await get<Stats>(`${url}/api/v1/worker/main/stats`)).totalWorkers).toBe(1);
  });

  it('answers /api/health and /metrics', async () => {
    fleet = createTestFleet();
    await fleet.startWorker('w1', '127.0.0.2');
    const { url } = await fleet.startCoordinator();
    expect(await get(`${url}/api/health`)).toMatchObject({ status: 'ok', role: 'coordinator', store: { reachable: true }, workers: { total: 1, available: 1 } });
    await post(`${url}/api/v1/worker/main/execute`, { type: 'custom', payload: { name: 'echo', data: 1 } });
    const metrics = await (await fetch(`${url}/metrics`, { headers: { 'x-api-key': FLEET_KEY } })).text();
    expect(metrics).toMatch(/vigie_dispatch_total\{outcome="ok"\} 1/);
  });

  it('vigie coordinator collects a cycle\'s garbage once the cycle has ended (issue 16)', async () => {
    fleet = createTestFleet();
    await fleet.startWorker('w1', '127.0.0.2');
    const { proc, url } = await fleet.startCoordinator({ LOG_LEVEL: 'debug' });
    await post(`${url}/api/v1/alerts/run-once`, {});
    const line = await proc.waitForLog((l) => l.msg === 'garbage of the cycle collected');
    expect(typeof line.ms).toBe('number');
  });
});
