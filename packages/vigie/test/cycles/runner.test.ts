import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { countCycleEvents } from '../../src/coordinator/event-subscribers.js';
import { CycleRunner, type BatchExecutor } from '../../src/cycles/runner.js';
import { EventBus, type BusEvent } from '../../src/events/bus.js';
import { createCoordinatorMetrics } from '../../src/observability/metrics.js';
import { openStore, type Store } from '../../src/store/index.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { tempDir } from '../helpers/vigie-process.js';

let dir: ReturnType<typeof tempDir>;
let store: Store;
beforeEach(async () => {
  dir = tempDir('vigie-runner-');
  store = await openStore({ dataDir: dir.path });
});
afterEach(async () => {
  await store.close();
  dir.cleanup();
});

/** Workers a and b; b fails every batch, so its alerts go to a in a second round. */
function executor(sent: Array<[string, number]>): BatchExecutor {
  return {
    available: () => ['a', 'b'],
    async send(workerId, alerts) {
      sent.push([workerId, alerts.length]);
      if (workerId === 'b') return { ok: false, message: 'ECONNREFUSED' };
      return { ok: true, data: { matches: [], alertsChecked: alerts.length, itemsChecked: 0, failed: [] } };
    },
    label: (id) => `Worker ${id}`,
  };
}

describe('CycleRunner events', () => {
  it('says when a cycle starts, each batch, the re-dispatch and the end, once each, in order', async () => {
    for (let i = 0; i < 4; i++) await store.alerts.create({ name: `a${i}`, source: 'market', query: 'q' });
    const events = new EventBus();
    const seen: BusEvent[] = [];
    events.on('*', (e) => seen.push(e));
    const metrics = createCoordinatorMetrics();
    const off = countCycleEvents(events, metrics);
    const sent: Array<[string, number]> = [];
    const summary = await new CycleRunner({ store, logger: captureLogger().logger, executor: executor(sent), events }).run('manual');

    expect(summary).toMatchObject({ status: 'ok', alertsChecked: 4, workersOk: 2, workersFailed: 1 });
    expect(seen.map((e) => e.type)).toEqual(['cycle.started', 'cycle.batch', 'cycle.batch', 'cycle.redispatched', 'cycle.batch', 'cycle.ended']);
    expect(seen.map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6]);
    const batches = seen.filter((e): e is BusEvent<'cycle.batch'> => e.type === 'cycle.batch').map((e) => [e.data.workerId, e.data.ok, e.data.round]);
    expect(batches).toEqual(expect.arrayContaining([['a', true, 1], ['b', false, 1], ['a', true, 2]]));
    expect(seen.at(-1)!.data).toMatchObject({ runId: summary.runId, status: 'ok', alertsChecked: 4, alertsFailed: 0 });
    expect(await metrics.registry.getSingleMetricAsString('vigie_alert_cycles_total')).toContain('vigie_alert_cycles_total{status="ok"} 1');
    expect(await metrics.registry.getSingleMetricAsString('vigie_alerts_checked_total')).toContain('vigie_alerts_checked_total{result="checked"} 4');
    off();
  });

  it('says a cycle with no active alert was skipped', async () => {
    const events = new EventBus();
    const seen: BusEvent[] = [];
    events.on('*', (e) => seen.push(e));
    await new CycleRunner({ store, logger: captureLogger().logger, executor: executor([]), events }).run('schedule');
    expect(seen.map((e) => [e.type, (e.data as { status?: string }).status])).toEqual([['cycle.ended', 'skipped']]);
  });
});
