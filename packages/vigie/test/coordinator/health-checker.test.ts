// The health checker over real HTTP: worker stand-ins on 127.0.0.2, the real worker client and
// fleet (on a SQLite store), real timers with short intervals.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Fleet } from '../../src/coordinator/fleet.js';
import { HealthChecker } from '../../src/coordinator/health-checker.js';
import { WorkerClient } from '../../src/coordinator/worker-client.js';
import { openStore, type Store } from '../../src/store/index.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { tempDir } from '../helpers/vigie-process.js';

const INTERVAL = 2000;
const TIMEOUT = 500;
/** Room for the test machine's scheduling on top of the promised bound. */
const SLACK = 700;

interface StandIn { server: Server; url: string; probes: number[]; connections: number; mode: 'ok' | 'hang' }

async function standIn(): Promise<StandIn> {
  const s: StandIn = { server: createServer(), url: '', probes: [], connections: 0, mode: 'ok' };
  s.server.on('connection', () => s.connections++);
  s.server.on('request', (req, res) => {
    if (req.url !== '/api/v1/worker/health') return void res.writeHead(404).end();
    s.probes.push(Date.now());
    if (s.mode === 'hang') return; // accepts, never answers
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"success":true,"data":{"status":"healthy"}}');
  });
  await new Promise<void>((r) => s.server.listen(0, '127.0.0.2', r));
  s.url = `http://127.0.0.2:${(s.server.address() as AddressInfo).port}`;
  return s;
}

function kill(s: StandIn): Promise<void> {
  return new Promise((r) => {
    s.server.close(() => r());
    s.server.closeAllConnections();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await sleep(10);
  }
  return Date.now();
}

describe('HealthChecker', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: Store;
  let client: WorkerClient;
  let checker: HealthChecker | undefined;
  let standIns: StandIn[];
  let fleet: Fleet;

  async function setUp(n: number): Promise<void> {
    standIns = await Promise.all(Array.from({ length: n }, standIn));
    fleet = await Fleet.load(store, standIns.map((s, i) => ({ id: `w${i}`, url: s.url })), captureLogger().logger);
    checker = new HealthChecker({ fleet, client, logger: captureLogger().logger, settings: () => ({ intervalMs: INTERVAL, timeoutMs: TIMEOUT }) });
    await checker.start();
  }

  beforeEach(async () => {
    dir = tempDir('vigie-health-');
    store = await openStore({ dataDir: dir.path });
    client = new WorkerClient({ apiKey: undefined });
  });
  afterEach(async () => {
    await checker?.stop();
    checker = undefined;
    await client.close();
    for (const s of standIns) await kill(s).catch(() => {});
    await store.close();
    dir.cleanup();
  });

  it('probes everyone at start, then each worker once an interval, spread out rather than in a burst', async () => {
    await setUp(20);
    const started = Date.now();
    for (const s of standIns) expect(s.probes).toHaveLength(1);
    await sleep(2 * INTERVAL + 200);
    const later = standIns.flatMap((s) => s.probes.filter((p) => p > started));
    for (const s of standIns) expect(s.probes.length, 'probes per worker in two intervals').toBeGreaterThanOrEqual(2);
    for (const s of standIns) expect(s.probes.length).toBeLessThanOrEqual(4);
    // No burst: no tenth of an interval holds more than a quarter of the probes.
    const buckets = new Map<number, number>();
    for (const p of later) buckets.set(Math.floor((p - started) / (INTERVAL / 10)), (buckets.get(Math.floor((p - started) / (INTERVAL / 10))) ?? 0) + 1);
    expect(Math.max(...buckets.values())).toBeLessThanOrEqual(later.length / 4);
    // Over one keep-alive connection per worker, not one per probe.
    for (const s of standIns) expect(s.connections).toBe(1);
    expect(fleet.list().every((w) => w.healthy)).toBe(true);
  });

  it('marks a worker that dies unhealthy within one interval plus the timeout', async () => {
    await setUp(3);
    await sleep(300);
    const diedAt = Date.now();
    await kill(standIns[1]!);
    const seenAt = await until(() => fleet.get('w1')?.healthy === false, INTERVAL + TIMEOUT + SLACK);
    expect(seenAt - diedAt).toBeLessThanOrEqual(INTERVAL + TIMEOUT + SLACK);
    expect(fleet.get('w0')?.healthy).toBe(true);
  });

  it('marks a worker that stops answering (connection open, no answer) unhealthy within one interval plus the timeout', async () => {
    await setUp(2);
    await sleep(300);
    const hungAt = Date.now();
    standIns[0]!.mode = 'hang';
    const seenAt = await until(() => fleet.get('w0')?.healthy === false, INTERVAL + TIMEOUT + SLACK);
    expect(seenAt - hungAt).toBeLessThanOrEqual(INTERVAL + TIMEOUT + SLACK);
  });

  it('does not probe a worker that commands prove alive, and still catches it within the bound once it dies', async () => {
    await setUp(2);
    const busy = standIns[0]!;
    const afterStart = busy.probes.length;
    // Commands answered every 100 ms for two intervals (what the dispatcher reports).
    const traffic = setInterval(() => fleet.recordOutcome('w0', true, Date.now()), 100);
    await sleep(2 * INTERVAL);
    clearInterval(traffic);
    const lastCommandAt = fleet.get('w0')!.lastSeenAt!;
    expect(busy.probes.length - afterStart, 'probes of a worker busy with commands').toBe(0);
    expect(standIns[1]!.probes.length - afterStart, 'the idle one is probed').toBeGreaterThanOrEqual(1);
    await kill(busy);
    const seenAt = await until(() => fleet.get('w0')?.healthy === false, INTERVAL + TIMEOUT + SLACK);
    expect(seenAt - lastCommandAt).toBeLessThanOrEqual(INTERVAL + TIMEOUT + SLACK);
  });

  it('brings a worker found down back soon after it answers again', async () => {
    await setUp(1);
    const s = standIns[0]!;
    s.mode = 'hang';
    await until(() => fleet.get('w0')?.healthy === false, INTERVAL + TIMEOUT + SLACK);
    s.mode = 'ok';
    // The early re-check (1 s, 2 s …) sees it back before the next slot would.
    await until(() => fleet.get('w0')?.healthy === true, 1000 + TIMEOUT + SLACK);
  });

  it('stops: no probe after stop, and stop waits for the probes in flight', async () => {
    await setUp(2);
    await checker!.stop();
    const counts = standIns.map((s) => s.probes.length);
    await sleep(INTERVAL + 300);
    expect(standIns.map((s) => s.probes.length)).toEqual(counts);
  });
});
