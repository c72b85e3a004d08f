// Server-Sent Events against real nodes that share an event timeline (a replay buffer).
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient, type FailoverEvent, type VigieClient } from '../src/index.js';
import { admin, countOf, eventually, freshCluster, stopAll, type TestNode } from './helpers/servers.js';
import { collect, ids } from './helpers/stream-collector.js';

let nodes: TestNode[] = [];
let client: VigieClient | undefined;
const node = (i: number): TestNode => {
  const n = nodes[i];
  if (n === undefined) throw new Error(`no node ${i}`);
  return n;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function make(options: Partial<Parameters<typeof createClient>[0]> = {}): VigieClient {
  client = createClient({ nodes: nodes.map((n) => n.url), healthCheckIntervalMs: 0, timeoutMs: 2000, ...options });
  return client;
}

/** An event timeline starting now: event i exists from t0 + i·period on every node. */
function timeline(total: number, period = 20, extra = ''): string {
  return `/events?t0=${Date.now()}&period=${period}&total=${total}&retry=50${extra}`;
}

beforeEach(async () => {
  nodes = await freshCluster(nodes);
});
afterEach(() => {
  client?.close();
  client = undefined;
});
afterAll(async () => {
  await stopAll(nodes);
});

describe('stream()', () => {
  it('delivers parsed events in order with type, data and id', async () => {
    const c = make();
    const s = collect(c, timeline(15), 15);
    await s.done;
    expect(s.messages.map((m) => m.lastEventId)).toEqual(ids(15));
    expect(s.messages[0]).toEqual({ type: 'tick', data: '1\nfrom n0', lastEventId: '1', node: node(0).url });
    expect(s.opens).toEqual([{ node: node(0).url, status: 200, resumedFrom: '', connection: 1 }]);
    expect(s.handle.readyState).toBe('open');
    expect(s.handle.node).toBe(node(0).url);
    s.handle.close();
    await s.handle.closed;
    expect(s.handle.readyState).toBe('closed');
    expect(s.handle.lastEventId).toBe('15');
  });

  it('resumes on another node without losing or repeating an event when its node is killed', async () => {
    const c = make();
    const failovers: FailoverEvent[] = [];
    c.on('failover', (e) => failovers.push(e));
    // Killed on the timeline (when event 20 is due), not on the client's progress: events after
    // the kill do not exist yet on n0, so they can only come from another node, however late the
    // client is on a loaded machine.
    const s = collect(c, timeline(60, 20), 60);
    const kill = sleep(20 * 20).then(() => node(0).kill());
    await s.done;
    await kill;
    await sleep(100); // anything repeated would arrive now
    expect(s.messages.map((m) => m.lastEventId)).toEqual(ids(60));
    const movedAt = s.messages.findIndex((m) => m.node !== node(0).url);
    expect(movedAt).toBeGreaterThan(0);
    expect(s.messages.slice(movedAt).every((m) => m.node === node(1).url)).toBe(true);
    expect(s.opens).toHaveLength(2);
    expect(s.opens[1]).toMatchObject({ node: node(1).url, resumedFrom: String(movedAt), connection: 2 });
    expect(s.errors[0]).toMatchObject({ error: { code: 'NODE_FAILED' }, info: { willRetry: true, node: node(0).url } });
    // The server asked `retry: 50`: the first reconnection waits 50 ms with equal jitter, [25, 50].
    expect(s.errors[0]?.info.delayMs).toBeGreaterThanOrEqual(25);
    expect(s.errors[0]?.info.delayMs).toBeLessThanOrEqual(50);
    expect(failovers).toMatchObject([{ kind: 'stream', from: { index: 0 }, to: { index: 1 } }]);
    expect(c.getNodesHealthStatus().nodes[0]?.status).toBe('failed');
  });

  it('reconnects to the same node with Last-Event-ID when the server ends the stream', async () => {
    const c = make();
    const s = collect(c, timeline(20, 10, '&endAfter=5'), 20);
    await s.done;
    expect(s.messages.map((m) => m.lastEventId)).toEqual(ids(20));
    expect(s.messages.every((m) => m.node === node(0).url)).toBe(true);
    expect(s.opens.length).toBeGreaterThanOrEqual(4);
    expect(s.opens[1]?.resumedFrom).toBe('5');
    expect(s.errors).toEqual([]);
  });

  it('moves on when its node stops answering (idle timeout, then connect timeout)', async () => {
    const c = make({ timeoutMs: 400 });
    const s = collect(c, timeline(40, 25), 40, { idleTimeoutMs: 500 });
    await sleep(10 * 25); // frozen when event 10 is due: later events must come from elsewhere
    node(0).freeze();
    await s.done;
    expect(s.messages.map((m) => m.lastEventId)).toEqual(ids(40));
    expect(s.messages.at(-1)?.node).toBe(node(1).url);
    // Idle timeout on the frozen node, then its reconnection times out and fails it.
    const codes = s.errors.map((e) => e.error.code);
    expect(codes).toContain('TIMEOUT');
    expect(codes.at(-1)).toBe('NODE_FAILED');
    expect(s.errors.at(-1)?.error.attempts[0]?.code).toBe('TIMEOUT');
  });

  it('moves to the next node when its node answers 503', async () => {
    await admin(node(0), 'fail?status=503');
    const c = make();
    const s = collect(c, timeline(5), 5);
    await s.done;
    expect(s.messages.every((m) => m.node === node(1).url)).toBe(true);
    expect(s.errors[0]).toMatchObject({ error: { code: 'NODE_FAILED', status: 503 }, info: { willRetry: true } });
  });

  it('stops for good on 204, without reconnecting', async () => {
    const c = make();
    const s = collect(c, '/status/204', 1);
    await s.handle.closed;
    await sleep(150);
    expect(await countOf(node(0), 'GET /status/204')).toBe(1);
    expect(s.errors).toEqual([]);
    expect(s.handle.readyState).toBe('closed');
  });

  it('stops with STREAM_REJECTED on 404 or a body that is not an event stream, without moving', async () => {
    const c = make();
    const a = collect(c, '/status/404', 1);
    await a.handle.closed;
    expect(a.errors).toMatchObject([{ error: { code: 'STREAM_REJECTED', status: 404 }, info: { willRetry: false } }]);
    const b = collect(c, '/echo', 1);
    await b.handle.closed;
    expect(b.errors[0]?.error.message).toMatch(/not text\/event-stream/);
    expect((await node(1).counts()).counts).toEqual({});
  });

  it('closes on the AbortSignal and delivers nothing afterwards', async () => {
    const c = make();
    const controller = new AbortController();
    const s = collect(c, timeline(200, 10), 200, { signal: controller.signal });
    await s.after(3);
    controller.abort();
    await s.handle.closed;
    const n = s.messages.length;
    await sleep(100);
    expect(s.messages.length).toBe(n);
    expect(await eventually(async () => (await node(0).counts()).counts['GET /events'] === 1)).toBe(true);
  });

  it('survives a throwing onMessage', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const c = make();
      let seen = 0;
      c.stream(timeline(5), {
        onMessage: () => {
          seen++;
          throw new Error('bug in the app');
        },
      });
      expect(await eventually(() => seen === 5)).toBe(true);
      expect(spy).toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it('sends client-wide and per-connection headers', async () => {
    const c = make({ headers: { 'x-api-key': 'k1' } });
    let calls = 0;
    const s = collect(c, timeline(12, 10, '&endAfter=4&hello=1'), 15, {
      headers: () => ({ 'x-token': String(++calls) }),
    });
    await s.done;
    const hellos = s.messages.filter((m) => m.type === 'hello').map((m) => JSON.parse(m.data) as Record<string, unknown>);
    expect(hellos.slice(0, 3)).toEqual([
      { node: 'n0', apiKey: 'k1', token: '1', lastEventId: null },
      { node: 'n0', apiKey: 'k1', token: '2', lastEventId: '4' },
      { node: 'n0', apiKey: 'k1', token: '3', lastEventId: '8' },
    ]);
    // Events without id keep the last event ID, so resumption is unaffected.
    expect(s.messages.filter((m) => m.type === 'tick').map((m) => m.lastEventId)).toEqual(ids(12));
  });
});
