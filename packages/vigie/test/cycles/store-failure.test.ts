// A cycle whose writes fail with the store gone ends "failed" with the store's reason, when the
// store takes that last write (issue 18 §1); the run records its owner, deadline and alerts.
import { afterEach, describe, expect, it } from 'vitest';
import { CycleRunner, type BatchExecutor } from '../../src/cycles/runner.js';
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
    // The worker answers; the database goes away while the matches are recorded.
    const executor: BatchExecutor = {
      available: () => ['w1'],
      send: async () => ({ ok: true, data: { matches: [], alertsChecked: 2 } }),
      label: (id) => id,
      batchTimeoutMs: () => 1000,
    };
    const lost = new StoreError('STORE_UNAVAILABLE', 'The store (SQLite at test) is unavailable: connection lost.');
    const runner = new CycleRunner({ store, executor, logger, owner: 'test-host:1', onMatches: async () => Promise.reject(lost) });

    const started = Date.now();
    await expect(runner.run('manual')).rejects.toBe(lost);
    const [run] = await store.alertRuns.listRecent(1);
    expect(run).toMatchObject({ status: 'failed', owner: 'test-host:1', summary: { error: lost.message } });
    expect(run!.alertIds).toHaveLength(2);
    // Two rounds of one batch at most (one worker), plus a minute.
    expect(run!.deadlineAt! - run!.startedAt).toBe(1000 * 2 + 60_000);
    expect(run!.startedAt).toBeGreaterThanOrEqual(started);
    expect(await store.alertRuns.listRunning()).toEqual([]);
    expect(lines().some((l) => l.level === 50 && String(l.msg).includes('alert cycle failed: The store'))).toBe(true);
  });
});
