import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { countFleetEvents, logFleetEvents, releaseLeftWorkers } from '../../src/coordinator/event-subscribers.js';
import { Fleet } from '../../src/coordinator/fleet.js';
import { fleetStats } from '../../src/coordinator/fleet-stats.js';
import { WorkerClient } from '../../src/coordinator/worker-client.js';
import { EventBus, type BusEvent } from '../../src/events/bus.js';
import { createCoordinatorMetrics } from '../../src/observability/metrics.js';
import { openStore, type Store } from '../../src/store/index.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { tempDir } from '../helpers/vigie-process.js';

const CONFIG = [
  { id: 'w1', name: 'W1', region: 'cdg', url: 'http://127.0.0.2:8081' },
  { id: 'w2', name: 'W2', region: 'iad', url: 'http://127.0.0.3:8081' },
];

let dir: ReturnType<typeof tempDir>;
let store: Store;
let events: EventBus;
let seen: BusEvent[];
const { logger, lines } = captureLogger();

beforeEach(async () => {
  dir = tempDir('vigie-fleet-unit-');
  store = await openStore({ dataDir: dir.path });
  events = new EventBus();
  seen = [];
  events.on('*', (e) => seen.push(e));
});
afterEach(async () => {
  await store.close();
  dir.cleanup();
});

const types = () => seen.map((e) => e.type);

describe('Fleet: the only writer of worker state', () => {
  it('emits one event per change, and none for a repeat of the same state', async () => {
    const fleet = await Fleet.load(store, CONFIG, logger, events);
    expect(await fleet.setHealth('w1', true, null, 1)).toBe(false);
    expect(await fleet.setHealth('w1', false, 'ECONNREFUSED', 2)).toBe(true);
    expect(await fleet.setHealth('w1', false, 'ECONNREFUSED', 3)).toBe(false);
    expect(await fleet.setHealth('w1', true, null, 4)).toBe(true);
    expect(seen.map((e) => e.data)).toEqual([
      { workerId: 'w1', healthy: false, reason: 'ECONNREFUSED' },
      { workerId: 'w1', healthy: true, reason: null },
    ]);
  });

  it('bans, ends a ban early or at its term, once each, and saves every change', async () => {
    const fleet = await Fleet.load(store, CONFIG, logger, events);
    await fleet.ban('w1', { until: 10_000, banCount: 1, reason: 'HTTP 403', status: 403 });
    await fleet.expireBans(5_000);
    await fleet.expireBans(10_001);
    await fleet.expireBans(10_002);
    expect(types()).toEqual(['worker.banned', 'worker.unbanned']);
    expect(seen[1]!.data).toEqual({ workerId: 'w1', reason: 'expired' });
    expect((await store.workers.getStatus('w1'))?.banReason).toBeNull();

    await fleet.ban('w2', { until: 50_000, banCount: 2, reason: 'HTTP 403' });
    expect(await fleet.unban('w2', 'operator', 20_000)).toBe(true);
    expect(await fleet.unban('w2', 'operator', 20_001)).toBe(false);
    expect(types().slice(2)).toEqual(['worker.banned', 'worker.unbanned']);
    const reloaded = await Fleet.load(store, CONFIG, logger, new EventBus());
    expect(reloaded.get('w2')).toMatchObject({ bannedUntil: null, banReason: null, banCount: 2 });
  });

  it('answers the same frozen selection until the fleet changes or a ban ends, and a fresh one after', async () => {
    const fleet = await Fleet.load(store, CONFIG, logger, events);
    const first = fleet.selection(1_000);
    expect(first).toEqual({ mode: 'healthy', workerIds: ['w1', 'w2'] });
    expect(Object.isFrozen(first.workerIds)).toBe(true);
    expect(fleet.selection(2_000)).toBe(first); // nothing changed: the very same object

    await fleet.ban('w1', { until: 10_000, banCount: 1, reason: 'HTTP 403' });
    const banned = fleet.selection(3_000);
    expect(banned.workerIds).toEqual(['w2']);
    expect(fleet.selection(9_999)).toBe(banned);
    expect(fleet.selection(10_000).workerIds).toEqual(['w1', 'w2']); // the ban's term, no event needed
    expect(fleet.selection(5_000).workerIds).toEqual(['w2']); // a clock that steps back sees the ban again

    await fleet.setHealth('w2', false, 'ECONNREFUSED', 11_000);
    expect(fleet.selection(11_000).workerIds).toEqual(['w1']);
    await fleet.setHealth('w1', false, 'ECONNREFUSED', 11_001);
    expect(fleet.selection(11_001)).toEqual({ mode: 'unhealthy-fallback', workerIds: ['w1', 'w2'] });
    await fleet.setHealth('w1', true, null, 11_002);
    await fleet.setHealth('w2', true, null, 11_002);
    await fleet.add({ id: 'w3', url: 'http://127.0.0.4:8081' });
    expect(fleet.selection(11_003).workerIds).toEqual(['w1', 'w2', 'w3']);
    await fleet.ban('w3', { until: 90_000, banCount: 1, reason: 'HTTP 403' });
    expect(fleet.selection(11_500).workerIds).toEqual(['w1', 'w2']);
    await fleet.unban('w3', 'operator', 12_000);
    expect(fleet.selection(12_000).workerIds).toEqual(['w1', 'w2', 'w3']);
    await fleet.remove('w1');
    expect(fleet.selection(12_001).workerIds).toEqual(['w2', 'w3']);
  });

  it('updates url, region and name, emitting only what changed, and keeps the move across a reload', async () => {
    const fleet = await Fleet.load(store, CONFIG, logger, events);
    await fleet.update('w1', { url: 'http://127.0.0.9:8081', region: 'cdg' }, 'failover');
    await fleet.update('w1', { url: 'http://127.0.0.9:8081' }, 'operator');
    expect(seen.map((e) => e.data)).toEqual([
      { workerId: 'w1', changes: { url: 'http://127.0.0.9:8081' }, previous: { url: 'http://127.0.0.2:8081' }, source: 'failover' },
    ]);
    const reloaded = await Fleet.load(store, CONFIG, logger, new EventBus());
    expect(reloaded.get('w1')).toMatchObject({ url: 'http://127.0.0.9:8081', configBase: { url: 'http://127.0.0.2:8081', region: 'cdg', name: 'W1' } });
    // The operator edits the file's entry: the file wins again.
    const edited = [{ ...CONFIG[0]!, url: 'http://127.0.0.5:8081' }, CONFIG[1]!];
    const again = await Fleet.load(store, edited, logger, new EventBus());
    expect(again.get('w1')).toMatchObject({ url: 'http://127.0.0.5:8081', configBase: null });
    await expect(fleet.update('nope', { name: 'x' }, 'operator')).rejects.toMatchObject({ code: 'WORKER_NOT_FOUND' });
  });

  it('adds and removes at run time with their events; stats say why a worker is out', async () => {
    const fleet = await Fleet.load(store, CONFIG, logger, events);
    await fleet.add({ id: 'w3', url: 'http://127.0.0.4:8081', region: 'lhr' });
    await expect(fleet.add({ id: 'w3', url: 'http://127.0.0.4:8081' })).rejects.toMatchObject({ code: 'WORKER_EXISTS' });
    await fleet.ban('w3', { until: Date.now() + 60_000, banCount: 1, reason: 'HTTP 403' });
    await fleet.setHealth('w2', false, 'ECONNREFUSED', Date.now());
    const stats = fleetStats(fleet.list(), Date.now());
    expect(stats.workers.find((w) => w.id === 'w3')).toMatchObject({ isBanned: true, banReason: 'HTTP 403' });
    expect(stats.workers.find((w) => w.id === 'w2')).toMatchObject({ isHealthy: false, lastError: 'ECONNREFUSED' });
    expect(stats).toMatchObject({ totalWorkers: 3, availableWorkers: 1, bannedWorkers: 1, unhealthyWorkers: 1 });
    await fleet.remove('w3');
    await expect(fleet.remove('w3')).rejects.toMatchObject({ code: 'WORKER_NOT_FOUND' });
    expect(types()).toEqual(['worker.added', 'worker.banned', 'worker.health', 'worker.removed']);
    expect(await store.workers.get('w3')).toBeUndefined();
  });

  it('counts commands in flight and keeps each worker\'s latency percentiles for stats', async () => {
    const fleet = await Fleet.load(store, CONFIG, logger, events);
    fleet.begin('w1');
    fleet.begin('w1');
    expect(fleetStats(fleet.list(), Date.now()).workers[0]).toMatchObject({ inFlight: 2, latencyP50Ms: null, latencyP95Ms: null });
    for (const ms of [10, 20, 30, 40]) fleet.recordOutcome('w1', true, Date.now(), ms);
    const row = fleetStats(fleet.list(), Date.now(), (id) => fleet.latency(id)).workers[0]!;
    expect(row).toMatchObject({ inFlight: 0, latencyP50Ms: 20, latencyP95Ms: 40, requestCount: 4 });
  });

  it('logs each change once and counts it', async () => {
    const fleet = await Fleet.load(store, CONFIG, logger, events);
    const metrics = createCoordinatorMetrics();
    const offs = [logFleetEvents(events, fleet, logger), countFleetEvents(events, metrics)];
    const before = lines().length;
    await fleet.setHealth('w1', false, 'ECONNREFUSED', 1);
    await fleet.setHealth('w1', false, 'ECONNREFUSED', 2);
    expect(lines().slice(before).map((l) => l.msg)).toEqual(['⚠ Worker W1 (cdg): unhealthy - ECONNREFUSED']);
    expect(await metrics.registry.getSingleMetricAsString('vigie_worker_events_total')).toContain('vigie_worker_events_total{event="worker.health"} 1');
    offs.forEach((off) => off());
  });
});

describe('a worker that leaves', () => {
  let server: Server;
  let url: string;
  beforeEach(async () => {
    server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"success":true,"data":"ok"}'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('has its connection pool closed and its balancer state forgotten, when removed or moved', async () => {
    const fleet = await Fleet.load(store, [{ id: 'w1', url }, { id: 'w2', url: `${url}/two` }], logger, events);
    const client = new WorkerClient({ apiKey: 'k' });
    const forgotten: string[] = [];
    const off = releaseLeftWorkers(events, { forget: (id) => forgotten.push(id) }, client);
    expect((await client.health(url, 1000)).ok).toBe(true);
    expect((await client.health(`${url}/two`, 1000)).ok).toBe(true);
    expect(client.poolCount).toBe(2);

    await fleet.remove('w1');
    await fleet.update('w2', { url: 'http://127.0.0.1:1' }, 'operator');
    await new Promise((r) => setImmediate(r));
    expect(client.poolCount).toBe(0);
    expect(forgotten).toEqual(['w1', 'w2']);
    // A rename does not drop the pool.
    expect((await client.health('http://127.0.0.1:1', 200)).ok).toBe(false);
    await fleet.update('w2', { name: 'renamed' }, 'operator');
    expect(forgotten).toEqual(['w1', 'w2']);
    off();
    await client.close();
  });
});
