// The live feed over real HTTP on loopback: the coordinator's app (its key check) with the
// plugin, clients reading with fetch and @vigie/client's SSE parser, and a raw socket that stops
// reading.
import { connect, type Socket } from 'node:net';
import { SseParser, type SseEvent } from '@vigie/client';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventFeed } from '../../src/dashboard/event-feed.js';
import { eventsRoute } from '../../src/dashboard/events-route.js';
import { EventBus } from '../../src/events/bus.js';
import { createHttpApp } from '../../src/http/app.js';
import { createCoordinatorMetrics } from '../../src/observability/metrics.js';
import { captureLogger } from '../helpers/capture-logger.js';

const KEY = 'events-test-key-0123456789abcdef';

interface Stream {
  events: SseEvent[];
  comments: string[];
  status: number;
  body: string;
  close(): void;
  /** Resolves once `n` events have arrived. */
  waitFor(n: number): Promise<SseEvent[]>;
}

let app: FastifyInstance | undefined;
let feed: EventFeed;
const streams: Stream[] = [];

async function serve(bus: EventBus, opts: { heartbeatMs?: number; maxQueuedBytes?: number; epoch?: string } = {}): Promise<string> {
  app = createHttpApp({ logger: captureLogger().logger, bodyLimit: 1_000_000, apiKeys: [KEY], metrics: createCoordinatorMetrics().registry, timeouts: { headersMs: 10_000, requestMs: 30_000 } });
  await app.register(eventsRoute, { bus, onFeed: (f) => (feed = f), ...opts });
  return app.listen({ host: '127.0.0.1', port: 0 });
}

async function open(url: string, headers: Record<string, string> = { 'x-api-key': KEY }): Promise<Stream> {
  const controller = new AbortController();
  const res = await fetch(`${url}/api/v1/events`, { headers, signal: controller.signal });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const waiters: Array<() => void> = [];
  const stream: Stream = {
    events,
    comments,
    status: res.status,
    body: '',
    close: () => controller.abort(),
    waitFor: (n) =>
      new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`only ${events.length} of ${n} events arrived`)), 5000);
        const check = () => {
          if (events.length < n) return waiters.push(check);
          clearTimeout(t);
          resolve(events);
        };
        check();
      }),
  };
  streams.push(stream);
  if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
    const parser = new SseParser({
      onEvent: (e) => {
        events.push(e);
        for (const w of waiters.splice(0)) w();
      },
      onComment: (c) => comments.push(c),
    });
    void (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of res.body!) parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
      } catch {
        // aborted by close()
      }
    })();
  } else {
    stream.body = await res.text();
  }
  return stream;
}

async function eventually(check: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !check(); ) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const idNumber = (e: SseEvent) => Number(e.lastEventId.split('-')[1]);

afterEach(async () => {
  for (const s of streams.splice(0)) s.close();
  await app?.close();
  app = undefined;
});

describe('GET /api/v1/events', () => {
  it('needs x-api-key: none or a wrong one is a 401 in the error shape, and nothing is streamed', async () => {
    const bus = new EventBus();
    const url = await serve(bus);
    for (const headers of [{}, { 'x-api-key': 'wrong-key-wrong-key-wrong' }] as Record<string, string>[]) {
      const s = await open(url, headers);
      expect(s.status).toBe(401);
      expect(JSON.parse(s.body)).toMatchObject({ success: false, error: 'UNAUTHORIZED', code: 'UNAUTHORIZED', httpStatus: 401 });
    }
    expect(feed.stats().clients).toBe(0);
  });

  it('sends every event in order, with an id, its type and JSON data; ids increase', async () => {
    const bus = new EventBus({ now: () => 1000 });
    const url = await serve(bus);
    const s = await open(url);
    await eventually(() => feed.stats().clients === 1);
    bus.emit('worker.health', { workerId: 'w1', healthy: false, reason: 'ECONNREFUSED' });
    bus.emit('cycle.started', { runId: 'r1', trigger: 'manual', alerts: 3, workers: 2 });
    for (let i = 0; i < 50; i++) bus.emit('matches.recorded', { runId: 'r1', workerId: 'w2', count: i });
    const [hello, ...events] = await s.waitFor(53);
    // A new reader is told to load its snapshot first; the events after it apply on top.
    expect(hello).toMatchObject({ type: 'hello', lastEventId: `${feed.epoch}-0` });
    expect(events[0]).toMatchObject({ type: 'worker.health', lastEventId: `${feed.epoch}-1` });
    expect(JSON.parse(events[0]!.data)).toEqual({ at: 1000, workerId: 'w1', healthy: false, reason: 'ECONNREFUSED' });
    expect(events[1]!.type).toBe('cycle.started');
    expect(events.slice(2).map((e) => JSON.parse(e.data).count)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const ids = events.map(idNumber);
    expect(ids).toEqual(Array.from({ length: 52 }, (_, i) => i + 1));
  });

  it('replays what was missed after Last-Event-ID, then goes on live', async () => {
    const bus = new EventBus();
    const url = await serve(bus);
    for (let i = 1; i <= 5; i++) bus.emit('config.changed', { keys: [`k${i}`] });
    const s = await open(url, { 'x-api-key': KEY, 'last-event-id': `${feed.epoch}-2` });
    await s.waitFor(3);
    bus.emit('config.changed', { keys: ['k6'] });
    const events = await s.waitFor(4);
    expect(events.map((e) => JSON.parse(e.data).keys[0])).toEqual(['k3', 'k4', 'k5', 'k6']);
    expect(events.map(idNumber)).toEqual([3, 4, 5, 6]);
  });

  it('says to reload when the missed events have left the buffer, or the id is another process\'s', async () => {
    const bus = new EventBus({ historySize: 3 });
    const url = await serve(bus, { epoch: 'abc123' });
    for (let i = 1; i <= 10; i++) bus.emit('config.changed', { keys: [`k${i}`] });
    const gap = await open(url, { 'x-api-key': KEY, 'last-event-id': 'abc123-2' });
    const [notice] = await gap.waitFor(1);
    expect(notice).toMatchObject({ type: 'reload', lastEventId: 'abc123-10' });
    expect(JSON.parse(notice!.data)).toEqual({ reason: 'gap' });
    // Another coordinator's numbering (failover) or an id ahead of this bus (a restart).
    for (const id of ['ffff00-9', 'abc123-99', 'garbage']) {
      const other = await open(url, { 'x-api-key': KEY, 'last-event-id': id });
      const [e] = await other.waitFor(1);
      expect(e!.type).toBe('reload');
      expect(JSON.parse(e!.data)).toEqual({ reason: 'other-process' });
    }
    // After a reload notice, the stream goes on from there, with nothing replayed twice.
    bus.emit('config.changed', { keys: ['k11'] });
    const after = await gap.waitFor(2);
    expect(after.map((e) => e.lastEventId)).toEqual(['abc123-10', 'abc123-11']);
  });

  it('sends heartbeat comments on a quiet stream', async () => {
    const url = await serve(new EventBus(), { heartbeatMs: 30 });
    const s = await open(url);
    await eventually(() => s.comments.length >= 2);
    expect(s.comments[0]).toBe(' heartbeat');
  });

  it('drops a client whose socket does not drain, within its queue bound, and stops listening for it', async () => {
    const bus = new EventBus({ historySize: 10 });
    const bound = 64 * 1024;
    const url = await serve(bus, { maxQueuedBytes: bound });
    const { port } = new URL(url);
    // A real socket that sends the request and then never reads.
    const socket: Socket = connect({ host: '127.0.0.1', port: Number(port) });
    socket.pause();
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write(`GET /api/v1/events HTTP/1.1\r\nhost: 127.0.0.1\r\nx-api-key: ${KEY}\r\n\r\n`);
    const fast = await open(url);
    await eventually(() => feed.stats().clients === 2);

    // Far more than the kernel's socket buffers can hold: the server has to queue, then drop.
    const payload = 'x'.repeat(8 * 1024);
    let emitted = 0;
    while (feed.stats().dropped === 0 && emitted < 20_000) {
      bus.emit('failover.step', { workerId: 'w1', step: payload, fromValue: null, toValue: null, ok: true, reason: 'test', error: null });
      emitted++;
      // One event per turn of the loop, as a fleet emits them: the fast client keeps up; only
      // the socket that never reads falls behind.
      await fast.waitFor(emitted + 1);
    }
    await eventually(() => feed.stats().dropped === 1);
    const stats = feed.stats();
    // The queue never held much more than its bound (one frame may push it over, then it drops).
    expect(stats.peakQueuedBytes).toBeGreaterThan(0);
    expect(stats.peakQueuedBytes).toBeLessThanOrEqual(bound + payload.length + 200);
    expect(stats.clients).toBe(1);
    // The fast client is not affected: it got every event.
    await fast.waitFor(emitted + 1);
    expect(fast.events.slice(1).map(idNumber)).toEqual(Array.from({ length: emitted }, (_, i) => i + 1));
    // The slow socket is closed by the server (it reconnects with Last-Event-ID in real life).
    const ended = new Promise<void>((r) => socket.once('close', () => r()));
    socket.resume();
    await ended;
  });

  it('unsubscribes from the bus when a client goes away, and ends open streams when the server closes', async () => {
    const bus = new EventBus();
    const url = await serve(bus);
    const a = await open(url);
    await open(url);
    await eventually(() => feed.stats().clients === 2);
    a.close();
    await eventually(() => feed.stats().clients === 1);
    bus.emit('leadership.lost', { reason: 'test' });
    await app!.close();
    app = undefined;
    expect(feed.stats().clients).toBe(0);
  });
});
