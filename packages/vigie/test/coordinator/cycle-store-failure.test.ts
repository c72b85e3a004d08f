// A cycle whose writes fail with the store gone ends "failed" with the store's reason, when the
// store takes that last write (issue 18 §1); the run records its owner, deadline and alerts.
import { afterEach, describe, expect, it } from 'vitest';
import { CycleRunner } from '../../src/coordinator/cycle-runner.js';
import type { Dispatcher } from '../../src/coordinator/dispatcher.js';
import { Fleet } from '../../src/coordinator/fleet.js';
import { openStore, StoreError, type Store } from '../../src/store/index.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { tempDir } from '../helpers/vigie-process.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('a cycle whose store fails', () => {
  it('ends failed with the store\'s reason, and says so in the log', async () => {
    const dir = tempDir('vigie-cycle-');
    const store: Store = await openStore({ dataDir: dir.path });
    cleanups.push(dir.cleanup, () => store.close());
    for (const name of ['a', 'b']) await store.alerts.create({ name, source: 'test', query: name });
    const { logger, lines } = captureLogger();
    const fleet = await Fleet.load(store, [{ id: 'w1', url: 'http://127.0.0.2:1' }], logger);
    // The worker answers; the database goes away while the matches are recorded.
    const dispatcher = { sendTo: async () => ({ result: { ok: true, data: { matches: [{ alertId: 'x' }], alertsChecked: 2 } } }) } as unknown as Dispatcher;
    const lost = new StoreError('STORE_UNAVAILABLE', 'The store (SQLite at test) is unavailable: connection lost.');
    const runner = new CycleRunner({ store, fleet, dispatcher, logger, owner: 'test-host:1', onMatches: async () => Promise.reject(lost) });

    const started = Date.now();
    await expect(runner.run('manual')).rejects.toBe(lost);
    const [run] = await store.alertRuns.listRecent(1);
    expect(run).toMatchObject({ status: 'failed', owner: 'test-host:1', summary: { error: lost.message } });
    expect(run!.alertIds).toHaveLength(2);
    expect(run!.deadlineAt).toBeGreaterThan(started);
    expect(await store.alertRuns.listRunning()).toEqual([]);
    expect(lines().some((l) => l.level === 50 && String(l.msg).includes('alert cycle failed: The store'))).toBe(true);
  });
});
