// Failover against three real nodes (child processes on 127.0.0.1), killed or frozen for real.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClient, VigieClientError, type FailoverEvent, type NodeDownEvent, type NodeUpEvent, type VigieClient } from '../src/index.js';
import { afterAll } from 'vitest';
import { admin, countOf, eventually, freshCluster, startNode, stopAll, type TestNode } from './helpers/servers.js';
import { trackingClock } from './helpers/tracking-clock.js';

let nodes: TestNode[] = [];
let client: VigieClient | undefined;

const urls = () => nodes.map((n) => n.url);
const node = (i: number): TestNode => {
  const n = nodes[i];
  if (n === undefined) throw new Error(`no node ${i}`);
  return n;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function make(options: Partial<Parameters<typeof createClient>[0]> = {}): VigieClient {
  client = createClient({ nodes: urls(), healthCheckIntervalMs: 0, timeoutMs: 2000, ...options });
  return client;
}

async function echo(c: VigieClient, init?: RequestInit): Promise<string> {
  const res = await c.request('/echo', init);
  return ((await res.json()) as { node: string }).node;
}

async function rejection(p: Promise<unknown>): Promise<VigieClientError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof VigieClientError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
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

describe('failover on node failure', () => {
  it('loses no GET of a burst when the primary is killed in the middle of it', async () => {
    const c = make({ timeoutMs: 5000 });
    const failovers: FailoverEvent[] = [];
    const downs: NodeDownEvent[] = [];
    c.on('failover', (e) => failovers.push(e));
    c.on('nodeDown', (e) => downs.push(e));
    const pending: Promise<string>[] = [];
    const KILL_AT = 60;
    for (let i = 0; i < 120; i++) {
      pending.push(echo(c));
      if (i === KILL_AT) {
        await pending[0]; // the primary has answered: the kill falls in the middle of the burst
        await node(0).kill();
      }
      if (i % 8 === 7) await sleep(2);
    }
    const results = await Promise.allSettled(pending);
    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed).toEqual([]);
    const answeredBy = results.map((r) => (r.status === 'fulfilled' ? r.value : 'none'));
    expect(answeredBy[0]).toBe('n0');
    // Requests in flight at the kill may have been answered by either; later ones by a backup
    // (n1, or n2 should n1 be too slow on an overloaded machine), never by the dead primary.
    expect(answeredBy.slice(KILL_AT + 1).filter((n) => n !== 'n1' && n !== 'n2')).toEqual([]);
    expect(answeredBy.filter((n) => n === 'n1').length).toBeGreaterThan(KILL_AT / 2);
    expect(downs[0]).toMatchObject({ index: 0, url: node(0).url });
    expect(failovers.some((f) => f.from.index === 0 && f.to.index === 1)).toBe(true);
    const status = c.getNodesHealthStatus();
    expect(status.nodes[0]?.status).toBe('failed');
    expect(status.currentNode).not.toBe(0);
  });

  for (const status of [500, 502, 503, 504]) {
    it(`moves a GET to the next node on ${status}`, async () => {
      await admin(node(0), `fail?status=${status}`);
      const c = make();
      const events: FailoverEvent[] = [];
      c.on('failover', (e) => events.push(e));
      expect(await echo(c)).toBe('n1');
      expect(events).toMatchObject([{ kind: 'request', reason: 'HTTP_STATUS', status, from: { index: 0 }, to: { index: 1 }, attempt: 2 }]);
      expect(await countOf(node(0), 'GET /echo')).toBe(1);
    });
  }

  it('never moves a 4xx to another node', async () => {
    const c = make();
    for (const status of [400, 401, 403, 404, 409, 422, 429]) {
      const res = await c.request(`/status/${status}`);
      expect(res.status).toBe(status);
      expect(((await res.json()) as { node: string }).node).toBe('n0');
    }
    const notFound = await rejection(c.getJson('/status/404'));
    expect(notFound).toMatchObject({ code: 'HTTP_ERROR', status: 404, body: { node: 'n0', status: 404 } });
    for (const other of [node(1), node(2)]) expect((await other.counts()).counts).toEqual({});
    expect(c.getNodesHealthStatus().nodes.every((n) => n.status === 'healthy')).toBe(true);
  });

  it('does not resend a POST without Idempotency-Key after a timeout', async () => {
    const c = make({ timeoutMs: 300 });
    const err = await rejection(c.request('/slow?ms=3000', { method: 'POST', body: 'pay 10€' }));
    expect(err.code).toBe('NOT_RETRYABLE');
    expect(err.attempts).toMatchObject([{ node: node(0).url, code: 'TIMEOUT', reachedServer: true }]);
    await sleep(200);
    expect(await countOf(node(0), 'POST /slow')).toBe(1);
    expect(await countOf(node(1), 'POST /slow')).toBe(0);
    expect(await countOf(node(2), 'POST /slow')).toBe(0);
  });

  it('resends a POST carrying an Idempotency-Key after a timeout', async () => {
    const c = make({ timeoutMs: 300 });
    const err = await rejection(c.request('/slow?ms=3000', { method: 'POST', body: 'x', headers: { 'Idempotency-Key': 'k-1' } }));
    expect(err.code).toBe('ALL_NODES_FAILED');
    expect(err.attempts.map((a) => [a.nodeIndex, a.code])).toEqual([
      [0, 'TIMEOUT'],
      [1, 'TIMEOUT'],
      [2, 'TIMEOUT'],
    ]);
    for (const n of nodes) expect(await countOf(n, 'POST /slow')).toBe(1);
  });

  it('moves a POST whose connection was refused (it never reached a server)', async () => {
    await node(0).kill();
    const c = make();
    const res = await c.request('/echo', { method: 'POST', body: 'hello' });
    expect(await res.json()).toMatchObject({ node: 'n1', method: 'POST', body: 'hello' });
  });

  it('does not resend a POST answered 503, and lets the caller read that answer', async () => {
    await admin(node(0), 'fail?status=503');
    const c = make();
    const err = await rejection(c.request('/echo', { method: 'POST', body: 'x' }));
    expect(err).toMatchObject({ code: 'NOT_RETRYABLE', status: 503 });
    expect(await err.response?.json()).toEqual({ node: 'n0', status: 503 });
    expect(await countOf(node(1), 'POST /echo')).toBe(0);
  });

  it('fails with ALL_NODES_FAILED and every cause when every node is down', async () => {
    await stopAll(nodes);
    const c = make();
    const err = await rejection(c.request('/echo'));
    expect({ code: err.code, message: err.message }).toMatchObject({ code: 'ALL_NODES_FAILED' });
    expect(err.attempts.map((a) => a.nodeIndex)).toEqual([0, 1, 2]);
    // Refused, normally. Another process on this machine may grab a freed port in between and
    // reset the connection instead: still a node failure, just not provably unsent.
    for (const a of err.attempts) {
      expect(['CONNECTION_REFUSED', 'NETWORK_ERROR']).toContain(a.code);
      expect(a.reachedServer).toBe(a.code !== 'CONNECTION_REFUSED');
    }
    expect(err.attempts.filter((a) => a.code === 'CONNECTION_REFUSED').length).toBeGreaterThanOrEqual(2);
    expect(err.message).toContain('CONNECTION_REFUSED');
  });

  it('respects maxAttempts', async () => {
    await stopAll(nodes);
    const c = make({ maxAttempts: 2 });
    const err = await rejection(c.request('/echo'));
    expect(err.attempts).toHaveLength(2);
  });
});

describe('Retry-After', () => {
  it('keeps a node that answered 503 + Retry-After out for that long (capped)', async () => {
    await admin(node(0), 'fail?status=503&retryAfter=120');
    const c = make({ maxRetryAfterMs: 5000 });
    const before = Date.now();
    expect(await echo(c)).toBe('n1');
    const n0 = c.getNodesHealthStatus().nodes[0];
    expect(n0?.status).toBe('failed');
    expect(n0?.downUntil).not.toBeNull();
    expect((n0?.downUntil ?? 0) - before).toBeLessThanOrEqual(5000 + 1000);
    expect((n0?.downUntil ?? 0) - before).toBeGreaterThan(4000);
  });

  it('waits Retry-After on a 429 and retries the same node', async () => {
    const c = make({ maxAttempts: 2 });
    const t0 = Date.now();
    const res = await c.request('/status/429?retryAfter=1');
    expect(res.status).toBe(429);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(await countOf(node(0), 'GET /status/429')).toBe(2);
    expect(await countOf(node(1), 'GET /status/429')).toBe(0);
  });

  it('hands back a 429 at once when its Retry-After exceeds the cap', async () => {
    const c = make({ maxRetryAfterMs: 1000 });
    const res = await c.request('/status/429?retryAfter=120');
    expect(res.status).toBe(429);
    expect(await countOf(node(0), 'GET /status/429')).toBe(1);
  });
});

describe('abort and close', () => {
  it("the caller's AbortSignal cancels every attempt at once", async () => {
    const c = make({ hedgeAfterMs: 50, timeoutMs: 10_000 });
    const controller = new AbortController();
    c.on('hedge', () => setTimeout(() => controller.abort(new Error('user left')), 50));
    const t0 = Date.now();
    const err = await rejection(c.request('/slow?ms=8000', { signal: controller.signal }));
    expect(err.code).toBe('ABORTED');
    expect((err.cause as Error).message).toBe('user left');
    expect(Date.now() - t0).toBeLessThan(4000);
    // Both copies (the first and the hedge) were cut, as the nodes saw.
    expect(await eventually(async () => (await node(0).counts()).aborted === 1 && (await node(1).counts()).aborted === 1)).toBe(true);
    expect(c.getNodesHealthStatus().nodes.every((n) => n.status === 'healthy' && n.metrics.inflight === 0)).toBe(true);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const c = make();
    const err = await rejection(c.request('/echo', { signal: AbortSignal.abort() }));
    expect(err.code).toBe('ABORTED');
    expect((await node(0).counts()).counts).toEqual({});
  });

  it('close() stops every timer and aborts what is under way', async () => {
    const { clock, live } = trackingClock();
    await node(0).kill();
    const c = make({ clock, healthCheckIntervalMs: 60_000, hedgeAfterMs: 1000, timeoutMs: 10_000 });
    expect(await echo(c)).toBe('n1'); // fails n0 over: the health timer is now armed
    const inflight = c.request('/slow?ms=5000');
    const stream = c.stream('/events?total=1000&period=1000', { onMessage: () => undefined });
    await sleep(100);
    expect(live.size).toBeGreaterThan(0);
    c.close();
    expect((await rejection(inflight)).code).toBe('CLOSED');
    await stream.closed;
    expect(live.size).toBe(0);
    expect(c.closed).toBe(true);
    expect((await rejection(c.request('/echo'))).code).toBe('CLOSED');
    expect(() => c.stream('/events', { onMessage: () => undefined })).toThrow(VigieClientError);
  });
});

describe('health checks and node management', () => {
  it('re-probes a failed node and re-enables it when it is back, then fails back to it', async () => {
    const c = make({ healthCheckIntervalMs: 150, healthPath: '/health' });
    const ups: NodeUpEvent[] = [];
    c.on('nodeUp', (e) => ups.push(e));
    const port = node(0).port;
    await node(0).kill();
    expect(await echo(c)).toBe('n1');
    await sleep(400); // a few probe rounds against a dead node
    expect(c.getNodesHealthStatus().nodes[0]?.status).toBe('failed');
    nodes[0] = await startNode('n0', port);
    expect(await eventually(() => ups.length > 0, 5000)).toBe(true);
    expect(ups[0]).toMatchObject({ index: 0, reason: 'health-check' });
    const status = c.getNodesHealthStatus();
    expect(status.currentNode).toBe(0);
    expect(status.nodes[0]?.lastCheckedAt).not.toBeNull();
    expect(await echo(c)).toBe('n0');
  });

  it('keeps a node whose health endpoint fails out of rotation', async () => {
    const c = make({ healthCheckIntervalMs: 100, healthPath: '/health' });
    await admin(node(0), 'fail?status=500');
    expect(await echo(c)).toBe('n1');
    expect(await eventually(async () => (await countOf(node(0), 'GET /health')) >= 2)).toBe(true);
    expect(c.getNodesHealthStatus().nodes[0]?.status).toBe('failed');
    await admin(node(0), 'fail?status=0');
    expect(await eventually(() => c.getNodesHealthStatus().nodes[0]?.status === 'healthy')).toBe(true);
  });

  it('checkHealth() probes every node now', async () => {
    const c = make({ healthPath: '/health' });
    await node(2).kill();
    const status = await c.checkHealth();
    expect(status.nodes.map((n) => n.status)).toEqual(['healthy', 'healthy', 'failed']);
    expect(status.nodes[0]?.responseTime).toBeGreaterThan(0);
  });

  it('switchToNode, resetFailedNodes, addNode and removeNode act on the live client', async () => {
    const c = make();
    expect(c.switchToNode(2)).toBe(true);
    expect(await echo(c)).toBe('n2');
    expect(c.switchToNode(7)).toBe(false);
    expect(c.removeNode(node(2).url)).toBe(true);
    expect(c.getNodesHealthStatus().nodes).toHaveLength(2);
    expect(await echo(c)).toBe('n0');
    expect(c.addNode(`${node(2).url}/`)).toBe(2);
    expect(c.switchToNode(2)).toBe(true);
    expect(await echo(c)).toBe('n2');
    await node(2).kill();
    expect(await echo(c)).toBe('n0'); // wraps around to the first healthy node
    expect(c.getNodesHealthStatus().nodes[2]?.status).toBe('failed');
    c.resetFailedNodes();
    expect(c.getNodesHealthStatus().nodes.map((n) => n.status)).toEqual(['healthy', 'healthy', 'healthy']);
    c.removeNode(node(0).url);
    c.removeNode(node(1).url);
    c.removeNode(node(2).url);
    expect((await rejection(c.request('/echo'))).code).toBe('NO_NODES');
  });
});

describe('strategies and metrics', () => {
  it('round-robin spreads requests evenly over healthy nodes', async () => {
    const c = make({ strategy: 'round-robin' });
    const seen: string[] = [];
    for (let i = 0; i < 30; i++) seen.push(await echo(c));
    for (const name of ['n0', 'n1', 'n2']) expect(seen.filter((s) => s === name)).toHaveLength(10);
  });

  it('p2c-ewma steers traffic away from a slow node', async () => {
    await admin(node(0), 'delay?ms=300');
    const c = make({ strategy: 'p2c-ewma' });
    const seen: string[] = [];
    for (let i = 0; i < 30; i++) seen.push(await echo(c));
    // Once measured, n0 loses every draw it is in; a generous bound absorbs load spikes on n1/n2.
    expect(seen.filter((s) => s === 'n0').length).toBeLessThanOrEqual(5);
    expect(seen.filter((s) => s === 'n1').length).toBeGreaterThan(0);
    expect(seen.filter((s) => s === 'n2').length).toBeGreaterThan(0);
  });

  it('records requests, errors, latency EWMA and percentiles per node', async () => {
    const c = make();
    for (let i = 0; i < 20; i++) await echo(c);
    await admin(node(0), 'fail?status=502');
    await echo(c);
    const [n0, n1] = c.getNodesHealthStatus().nodes;
    expect(n0?.metrics).toMatchObject({ requests: 21, errors: 1, inflight: 0 });
    expect(n0?.metrics.p50Ms).toBeGreaterThan(0);
    expect(n0?.metrics.p95Ms).toBeGreaterThanOrEqual(n0?.metrics.p50Ms ?? Infinity);
    expect(n0?.metrics.latencyEwmaMs).toBeGreaterThan(0);
    expect(n0?.metrics.throughputPerSec).toBeGreaterThan(0);
    expect(n1?.metrics).toMatchObject({ requests: 1, errors: 0 });
    expect(n0?.responseTime).toBeGreaterThan(0);
  });
});

describe('hedging', () => {
  it('sends a second copy after hedgeAfterMs; the first answer wins, the other is aborted', async () => {
    await admin(node(0), 'delay?ms=1500');
    const c = make({ hedgeAfterMs: 100 });
    const hedges: unknown[] = [];
    c.on('hedge', (e) => hedges.push(e));
    expect(await echo(c)).toBe('n1');
    expect(hedges).toMatchObject([{ first: { index: 0 }, hedge: { index: 1 }, afterMs: 100 }]);
    expect(await eventually(async () => (await node(0).counts()).aborted === 1)).toBe(true);
    // A slow node is not a failed node.
    expect(c.getNodesHealthStatus().nodes[0]?.status).toBe('healthy');
  });

  it('does not hedge when disabled per request (control)', async () => {
    await admin(node(0), 'delay?ms=400');
    const c = make({ hedgeAfterMs: 50 });
    expect(await echo(c, { hedge: false } as RequestInit)).toBe('n0');
    expect(await countOf(node(1), 'GET /echo')).toBe(0);
  });

  it('never hedges a POST', async () => {
    await admin(node(0), 'delay?ms=400');
    const c = make({ hedgeAfterMs: 50 });
    expect(await echo(c, { method: 'POST', body: 'x', headers: { 'Idempotency-Key': 'k' } })).toBe('n0');
    expect(await countOf(node(1), 'POST /echo')).toBe(0);
  });
});

describe('JSON helpers', () => {
  it('send and parse JSON, with the client-wide headers', async () => {
    const c = make({ headers: { 'x-api-key': 'secret-1' } });
    const echoed = await c.postJson<{ body: string; apiKey: string; method: string }>('/echo', { a: 1 });
    expect(echoed).toMatchObject({ method: 'POST', body: '{"a":1}', apiKey: 'secret-1' });
    const put = await c.putJson<{ method: string }>('/echo', [1]);
    expect(put.method).toBe('PUT');
    const del = await c.deleteJson<{ method: string }>('/echo');
    expect(del.method).toBe('DELETE');
    const patch = await c.patchJson<{ method: string }>('/echo', {});
    expect(patch.method).toBe('PATCH');
    expect(await c.getJson('/status/204')).toBeUndefined();
  });

  it('refuses absolute URLs, which would bypass failover', async () => {
    const c = make();
    expect((await rejection(c.request('http://example.com/x'))).code).toBe('INVALID_ARGUMENT');
    expect((await rejection(c.request('//example.com/x'))).code).toBe('INVALID_ARGUMENT');
  });

  it('refuses a GET with a body without blaming any node', async () => {
    const c = make();
    expect((await rejection(c.request('/echo', { body: 'x' }))).code).toBe('INVALID_ARGUMENT');
    expect(c.getNodesHealthStatus().nodes.every((n) => n.status === 'healthy' && n.metrics.requests === 0)).toBe(true);
  });

  it('json() with a json body and no method POSTs it', async () => {
    const c = make();
    expect(await c.json('/echo', { json: { b: 2 } })).toMatchObject({ method: 'POST', body: '{"b":2}' });
    expect(await c.json('echo')).toMatchObject({ method: 'GET', path: '/echo' });
  });

  it('throws INVALID_RESPONSE for a 2xx answer that is not JSON', async () => {
    const c = make();
    expect(await rejection(c.getJson('/ping'))).toMatchObject({ code: 'INVALID_RESPONSE', status: 200, body: 'ok' });
  });
});
