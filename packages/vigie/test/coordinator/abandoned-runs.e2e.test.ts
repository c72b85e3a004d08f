// A coordinator killed in the middle of a cycle leaves its run "running"; the next leader closes
// it as abandoned when it takes the leadership, every alert listed as not checked (issue 18 §2).
import { afterEach, describe, expect, it } from 'vitest';
import { createTestFleet, FLEET_KEY, get, type TestFleet } from '../helpers/fleet.js';

interface Run { id: string; status: string; alertIds: string[]; owner: string | null; deadlineAt: number | null; summary: { abandoned?: string; failedAlerts?: Array<{ alertId: string; reason: string }> } | null }

let fleet: TestFleet;
afterEach(async () => fleet?.stopAll());

describe('abandoned runs', () => {
  it('are closed by the next leader, with every alert not checked and the reason, and logged', async () => {
    fleet = createTestFleet();
    await fleet.startWorker('w1', '127.0.0.2', { PER_ALERT_MS: '10000' });
    // A 3 s lease: short enough for a quick takeover, long enough that a loaded machine does not flap.
    const env = { ALERT_INITIAL_DELAY_MS: '0', ALERT_CHECK_INTERVAL_MS: '600000', LEADER_LEASE_MS: '3000' };
    const first = await fleet.startCoordinator(env);
    for (const name of ['a', 'b']) {
      const res = await fetch(`${first.url}/api/v1/alerts`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': FLEET_KEY }, body: JSON.stringify({ name, source: 'test', query: name }) });
      expect(res.status).toBe(201);
    }
    void fetch(`${first.url}/api/v1/alerts/run-once`, { method: 'POST', headers: { 'x-api-key': FLEET_KEY } }).catch(() => undefined);
    const started = await first.proc.waitForLog((l) => String(l.msg).startsWith('alert cycle started'));
    await first.proc.stop('SIGKILL');

    const second = await fleet.startCoordinator(env);
    const line = await second.proc.waitForLog((l) => String(l.msg).includes('closed as abandoned'), 40_000);
    expect(line).toMatchObject({ runId: started.runId, level: 40 });
    const { runs } = await get<{ runs: Run[] }>(`${second.url}/api/v1/alerts/runs`);
    const run = runs.find((r) => r.id === started.runId);
    expect(run).toMatchObject({ status: 'abandoned' });
    expect(run?.owner).toMatch(/:\d+$/);
    expect(run?.deadlineAt).toBeGreaterThan(0);
    expect(run?.summary?.failedAlerts?.map((f) => f.alertId).sort()).toEqual([...(run?.alertIds ?? [])].sort());
    expect(run?.alertIds).toHaveLength(2);
    expect(run?.summary?.abandoned).toMatch(/lost the leadership/);
  }, 90_000);
});
