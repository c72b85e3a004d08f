// The request state machine with a fake clock and a scripted fetch: exact timing of timeouts,
// hedges and Retry-After waits, without real time passing.
import { describe, expect, it } from 'vitest';
import { createClient, type VigieClientError } from '../src/index.js';
import { FakeClock } from './helpers/fake-clock.js';

interface Call {
  url: string;
  init: RequestInit;
  answer(status: number, headers?: Record<string, string>): void;
  fail(error: unknown): void;
}

/** A fetch whose calls wait until the test answers them; aborting rejects like fetch does. */
function scriptedFetch() {
  const calls: Call[] = [];
  const fetch = (url: string, init: RequestInit): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      init.signal?.addEventListener('abort', () => reject(init.signal?.reason), { once: true });
      calls.push({
        url,
        init,
        answer: (status, headers = {}) => resolve(new Response(status === 204 ? null : `{"from":"${url}"}`, { status, headers })),
        fail: reject,
      });
    });
  return { calls, fetch };
}

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};
const refused = () => new TypeError('fetch failed', { cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) });

function setup(options: Record<string, unknown> = {}, nodes = ['http://a', 'http://b', 'http://c']) {
  const clock = new FakeClock();
  const { calls, fetch } = scriptedFetch();
  const client = createClient({ nodes, clock, fetch, healthCheckIntervalMs: 0, random: () => 0.5, ...options });
  return { clock, calls, client };
}

describe('request state machine (fake clock)', () => {
  it('times out an attempt after exactly timeoutMs and moves on', async () => {
    const { clock, calls, client } = setup({ timeoutMs: 1000 });
    const p = client.request('/x');
    await flush();
    expect(calls).toHaveLength(1);
    clock.advance(999);
    await flush();
    expect(calls).toHaveLength(1);
    clock.advance(1);
    await flush();
    expect(calls.map((c) => c.url)).toEqual(['http://a/x', 'http://b/x']);
    expect(calls[0]?.init.signal?.aborted).toBe(true);
    calls[1]?.answer(200);
    expect((await p).status).toBe(200);
    client.close();
  });

  it('hedges after hedgeAfterMs, takes the first answer and aborts the other copy', async () => {
    const { clock, calls, client } = setup({ hedgeAfterMs: 100 });
    const p = client.request('/x');
    await flush();
    clock.advance(99);
    await flush();
    expect(calls).toHaveLength(1);
    clock.advance(1);
    await flush();
    expect(calls.map((c) => c.url)).toEqual(['http://a/x', 'http://b/x']);
    calls[1]?.answer(200);
    const res = await p;
    expect(await res.json()).toEqual({ from: 'http://b/x' });
    expect(calls[0]?.init.signal?.aborted).toBe(true);
    expect(client.getNodesHealthStatus().nodes.map((n) => n.status)).toEqual(['healthy', 'healthy', 'healthy']);
    expect(clock.pending).toBe(0);
    client.close();
  });

  it('keeps waiting for the hedge partner when one copy fails', async () => {
    const { clock, calls, client } = setup({ hedgeAfterMs: 100 });
    const p = client.request('/x');
    await flush();
    clock.advance(100);
    await flush();
    calls[1]?.fail(new TypeError('reset'));
    await flush();
    expect(calls).toHaveLength(2); // no third copy while the first is still under way
    calls[0]?.answer(200);
    expect((await p).status).toBe(200);
    expect(client.getNodesHealthStatus().nodes[1]?.status).toBe('failed');
    client.close();
  });

  it('retries a single node after a 503 Retry-After, waiting exactly that long', async () => {
    const { clock, calls, client } = setup({}, ['http://only']);
    const p = client.request('/x');
    await flush();
    calls[0]?.answer(503, { 'retry-after': '2' });
    await flush();
    clock.advance(1999);
    await flush();
    expect(calls).toHaveLength(1);
    clock.advance(1);
    await flush();
    expect(calls).toHaveLength(2);
    calls[1]?.answer(200);
    expect((await p).status).toBe(200);
    expect(client.getNodesHealthStatus().nodes[0]?.status).toBe('healthy');
    client.close();
  });

  it('moves a refused POST but not a POST cut after it was sent', async () => {
    const { calls, client } = setup();
    const ok = client.request('/x', { method: 'POST', body: 'a' });
    await flush();
    calls[0]?.fail(refused());
    await flush();
    calls[1]?.answer(201);
    expect((await ok).status).toBe(201);

    const cut = client.request('/x', { method: 'POST', body: 'b' });
    await flush();
    expect(calls[2]?.url).toBe('http://b/x');
    calls[2]?.fail(new TypeError('other side closed'));
    const err = (await cut.catch((e: unknown) => e)) as VigieClientError;
    expect(err.code).toBe('NOT_RETRYABLE');
    expect(calls).toHaveLength(3);
    client.close();
  });

  it('does not let a slow success that started before a failure revive the node', async () => {
    const { calls, client } = setup();
    const slow = client.request('/slow');
    const fast = client.request('/fast');
    await flush();
    calls[1]?.fail(new TypeError('reset')); // node a fails through the second request
    await flush();
    calls[2]?.answer(200); // /fast moved to b
    calls[0]?.answer(200); // the old /slow on a still succeeds
    await Promise.all([slow, fast]);
    expect(client.getNodesHealthStatus().nodes[0]?.status).toBe('failed');
    client.close();
  });

  it("the caller's abort settles at once, even while waiting for a Retry-After", async () => {
    const { calls, client } = setup({}, ['http://only']);
    const controller = new AbortController();
    const p = client.request('/x', { signal: controller.signal });
    await flush();
    calls[0]?.answer(429, { 'retry-after': '5' });
    await flush();
    controller.abort();
    const err = (await p.catch((e: unknown) => e)) as VigieClientError;
    expect(err.code).toBe('ABORTED');
    expect(err.attempts.map((a) => a.code)).toEqual(['RATE_LIMITED']);
    client.close();
  });
});
