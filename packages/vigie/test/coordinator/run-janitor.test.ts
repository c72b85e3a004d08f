// The janitor on a real store (SQLite): what it closes, what it leaves, what it logs, and that a
// store outage is logged, not thrown.
import { afterEach, describe, expect, it } from 'vitest';
import { RunJanitor } from '../../src/coordinator/run-janitor.js';
import { openStore, type Store } from '../../src/store/index.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { tempDir } from '../helpers/vigie-process.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setUp(): Promise<Store> {
  const dir = tempDir('vigie-janitor-');
  const store = await openStore({ dataDir: dir.path });
  cleanups.push(dir.cleanup, () => store.close());
  return store;
}

describe('RunJanitor', () => {
  it('closes runs past their deadline or of an older leader, lists their alerts as not checked, and logs each', async () => {
    const store = await setUp();
    const late = await store.alertRuns.start({ trigger: 'schedule', slotKey: 's1', startedAt: 1000, deadlineAt: 2000, fencingToken: 5, owner: 'old:1', alertsTotal: 2, alertIds: ['a1', 'a2'] });
    const stale = await store.alertRuns.start({ trigger: 'schedule', slotKey: 's2', startedAt: 9000, deadlineAt: 99_000, fencingToken: 4, owner: 'old:2', alertsTotal: 1, alertIds: ['a3'] });
    const mine = await store.alertRuns.start({ trigger: 'schedule', slotKey: 's3', startedAt: 9500, deadlineAt: 99_000, fencingToken: 5, owner: 'me:3', alertsTotal: 1, alertIds: ['a4'] });
    const { logger, lines } = captureLogger();
    let now = 10_000;
    const janitor = new RunJanitor({ store, logger, now: () => now, sweepIntervalMs: 60_000 });
    cleanups.push(() => janitor.stop());

    janitor.start(5);
    const closed = await janitor.sweep();
    // start() swept too; together they closed the two, once each.
    const all = await store.alertRuns.listRecent();
    expect(all.find((r) => r.id === late.id)).toMatchObject({ status: 'abandoned', endedAt: 10_000, alertsChecked: 0, alertsFailed: 2 });
    expect(all.find((r) => r.id === late.id)?.summary).toMatchObject({ failedAlerts: [{ alertId: 'a1' }, { alertId: 'a2' }] });
    expect(all.find((r) => r.id === stale.id)?.summary?.abandoned).toMatch(/fencing 4\) lost the leadership to fencing 5/);
    expect(all.find((r) => r.id === mine.id)?.status).toBe('running');
    expect(closed.length).toBeLessThanOrEqual(2);
    const logged = lines().filter((l) => String(l.msg).includes('closed as abandoned'));
    expect(logged.map((l) => l.runId).sort()).toEqual([late.id, stale.id].sort());
    expect(logged.every((l) => l.level === 40)).toBe(true);

    now = 100_000;
    expect((await janitor.sweep()).map((r) => r.id)).toEqual([mine.id]);
    expect(await store.alertRuns.listRunning()).toEqual([]);
  });

  it('logs a store outage and does not throw', async () => {
    const store = await setUp();
    const { logger, lines } = captureLogger();
    await store.close();
    const janitor = new RunJanitor({ store, logger });
    expect(await janitor.sweep()).toEqual([]);
    expect(lines().some((l) => String(l.msg).startsWith('abandoned runs not closed this time'))).toBe(true);
  });
});
