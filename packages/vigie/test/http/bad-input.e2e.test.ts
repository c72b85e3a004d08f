// Bad input against a real coordinator and worker (issue 18 §5, §6): each request gets a 4xx in
// Vigie's error shape and changes nothing; a client that trickles its body is cut off.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestFleet, FLEET_KEY, type TestFleet } from '../helpers/fleet.js';

const REQUEST_TIMEOUT_MS = 1500;
let fleet: TestFleet;
let coordinator: string;
let worker: string;

interface Answer { status: number; body: Record<string, unknown> }

async function send(url: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { 'x-api-key': FLEET_KEY, ...(init.body !== undefined && { 'content-type': 'application/json' }), ...init.headers },
    ...(init.body !== undefined && { body: init.body }),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
}
const post = (url: string, body: unknown) => send(url, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });

/** Expects Vigie's error shape with `status` and `code`. */
function refused(a: Answer, status: number, code: string): void {
  expect(a.status, JSON.stringify(a.body)).toBe(status);
  expect(a.body).toMatchObject({ success: false, error: code, code, httpStatus: status });
  expect(typeof a.body.message).toBe('string');
}

/** Sends raw bytes and reads the whole answer (the server closes after an error). */
function raw(url: string, bytes: string, trickle?: { bytes: string; everyMs: number }): Promise<{ text: string; ms: number }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect({ host: u.hostname, port: Number(u.port) });
    let text = '';
    let timer: NodeJS.Timeout | undefined;
    const guard = setTimeout(() => (socket.destroy(), reject(new Error(`still open after 10 s; got: ${text}`))), 10_000);
    socket.on('connect', () => {
      socket.write(bytes);
      if (trickle) {
        let i = 0;
        timer = setInterval(() => {
          if (i < trickle.bytes.length && !socket.destroyed) socket.write(trickle.bytes[i++]!);
        }, trickle.everyMs);
      }
    });
    socket.on('data', (c) => (text += c.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(guard);
      resolve({ text, ms: Date.now() - started });
    });
  });
}

function jsonOf(text: string): Record<string, unknown> {
  return JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
}

beforeAll(async () => {
  fleet = createTestFleet();
  // No plugin: the real check-alerts handler validates its payload.
  const w = await fleet.startWorker('w1', '127.0.0.2', { HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) }, { plugin: false });
  worker = w.url;
  coordinator = (await fleet.startCoordinator({ HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS), ALERT_INITIAL_DELAY_MS: '600000' })).url;
}, 60_000);
afterAll(() => fleet?.stopAll());

describe('bad input answers 4xx in Vigie\'s shape and changes nothing', () => {
  it('refuses JSON nested past the bound at parse time', async () => {
    const deep = `{"type":"custom","payload":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    refused(await post(`${coordinator}/api/v1/worker/main/execute`, deep), 400, 'JSON_TOO_DEEP');
    refused(await post(`${worker}/api/v1/worker/execute`, deep), 400, 'JSON_TOO_DEEP');
    // Brackets inside strings are text, not nesting.
    const flat = await post(`${coordinator}/api/v1/worker/main/execute`, { type: 'custom', payload: { name: 'echo', data: '['.repeat(5000) } });
    expect(flat.status).toBe(200);
  });

  it('answers a bad command alike on the direct path and through fastify', async () => {
    // An Origin header sends the request through fastify (direct-routes.ts leaves CORS to it).
    const bodies: Array<[string, number, string]> = [
      ['{"type": ', 400, 'INVALID_JSON'],
      ['', 400, 'INVALID_JSON'],
      ['{"__proto__": {"type": "custom"}}', 400, 'INVALID_JSON'],
      ['{"typo": "custom"}', 400, 'INVALID_COMMAND'],
      ['{"type": "no-such-type"}', 400, 'UNKNOWN_COMMAND_TYPE'],
    ];
    for (const [body, status, code] of bodies) {
      const direct = await post(`${coordinator}/api/v1/worker/main/execute`, body);
      const framework = await send(`${coordinator}/api/v1/worker/main/execute`, { method: 'POST', body, headers: { origin: 'http://127.0.0.1' } });
      refused(direct, status, code);
      // Alike but for the attempts' latencies.
      const timeless = (a: Answer) => JSON.stringify(a.body, (k, v: unknown) => (k === 'latencyMs' ? 0 : v));
      expect(timeless(framework), body).toBe(timeless(direct));
    }
  });

  it('refuses a repeated query parameter and a limit not in decimal digits', async () => {
    refused(await send(`${coordinator}/api/v1/matches?alertId=a&alertId=b`), 400, 'INVALID_QUERY');
    for (const limit of ['0x10', '1e1', '+5', ' 5', '5.0']) {
      refused(await send(`${coordinator}/api/v1/matches?limit=${encodeURIComponent(limit)}`), 400, 'INVALID_QUERY');
      refused(await send(`${coordinator}/api/v1/alerts/runs?limit=${encodeURIComponent(limit)}`), 400, 'INVALID_QUERY');
    }
    expect((await send(`${coordinator}/api/v1/matches?limit=16`)).status).toBe(200);
  });

  it('refuses a NUL character in an alert, a worker, or a path id', async () => {
    refused(await post(`${coordinator}/api/v1/alerts`, { name: 'lamp\u0000', source: 'test', query: 'x' }), 400, 'INVALID_ALERT');
    refused(await post(`${coordinator}/api/v1/alerts`, { name: 'lamp', source: 'test', query: 'x\u0000y' }), 400, 'INVALID_ALERT');
    refused(await post(`${coordinator}/api/v1/worker/main/workers`, { id: 'w9', name: 'bad\u0000name', url: 'http://127.0.0.9:1' }), 400, 'INVALID_WORKER');
    refused(await send(`${coordinator}/api/v1/worker/main/workers/w1`, { method: 'PATCH', body: JSON.stringify({ name: 'x\u0000' }) }), 400, 'INVALID_WORKER');
    refused(await send(`${coordinator}/api/v1/worker/main/workers/w1`, { method: 'PATCH', body: JSON.stringify({ url: 'http://127.0.0.2:1/a\u0000' }) }), 400, 'INVALID_WORKER');
    expect((await post(`${coordinator}/api/v1/worker/main/workers/w1/ban`, { reason: 'x\u0000' })).status).toBe(400);
    refused(await send(`${coordinator}/api/v1/alerts/a%00b`), 400, 'INVALID_INPUT');
    refused(await send(`${coordinator}/api/v1/alerts/a%00b`, { method: 'DELETE' }), 400, 'INVALID_INPUT');
    refused(await send(`${coordinator}/api/v1/worker/main/workers/w%00`, { method: 'DELETE' }), 400, 'INVALID_INPUT');
    refused(await send(`${coordinator}/api/v1/matches?alertId=a%00`), 400, 'INVALID_QUERY');
  });

  it('refuses a worker URL with a password or a query, added or patched, and never echoes the password', async () => {
    const added = await post(`${coordinator}/api/v1/worker/main/workers`, { id: 'w9', url: 'http://user:hunter2secret@127.0.0.9:1' });
    refused(added, 400, 'INVALID_WORKER');
    expect(added.body.message).toContain('user or password');
    expect(JSON.stringify(added.body)).not.toContain('hunter2secret');
    const patched = await send(`${coordinator}/api/v1/worker/main/workers/w1`, { method: 'PATCH', body: JSON.stringify({ url: 'http://127.0.0.2:1/?token=abcdef123' }) });
    refused(patched, 400, 'INVALID_WORKER');
    expect(patched.body.message).toContain('query or fragment');
    const listed = await send(`${coordinator}/api/v1/worker/main/workers`);
    expect(JSON.stringify(listed.body)).not.toMatch(/hunter2secret|abcdef123/);
  });

  it('refuses a ban duration out of bounds, naming the bounds', async () => {
    for (const durationMs of [1e308, 8 * 24 * 3_600_000]) {
      const a = await post(`${coordinator}/api/v1/worker/main/workers/w1/ban`, { durationMs });
      refused(a, 400, 'INVALID_INPUT');
      expect(a.body.message).toContain('<=604800000');
    }
    refused(await post(`${coordinator}/api/v1/worker/main/workers/w1/ban`, { durationMs: 500 }), 400, 'INVALID_INPUT');
    refused(await post(`${coordinator}/api/v1/worker/main/workers/w1/ban`, { durationMs: 1500.5 }), 400, 'INVALID_INPUT');
  });

  it('refuses the worker ids __proto__, constructor and prototype', async () => {
    for (const id of ['__proto__', 'constructor', 'prototype']) {
      refused(await post(`${coordinator}/api/v1/worker/main/workers`, { id, url: 'http://127.0.0.9:1' }), 400, 'INVALID_WORKER');
    }
  });

  it('answers fastify\'s own rejections in Vigie\'s shape', async () => {
    refused(await send(`${coordinator}/api/v1/alerts/%E0%A4%A`), 400, 'BAD_URL');
    refused(await send(`${coordinator}/api/v1/alerts/${'a'.repeat(300)}`), 414, 'URL_TOO_LONG');
    refused(await post(`${coordinator}/api/v1/alerts`, '{"name": '), 400, 'INVALID_JSON');
    refused(await post(`${coordinator}/api/v1/alerts`, '{"__proto__": {"x": 1}}'), 400, 'INVALID_JSON');
    refused(await send(`${coordinator}/api/v1/alerts`, { method: 'POST', body: 'x', headers: { 'content-type': 'text/x-nothing' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    const big = await raw(coordinator, `GET /api/v1/alerts HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(big.text).toMatch(/^HTTP\/1\.1 431 /);
    expect(jsonOf(big.text)).toMatchObject({ success: false, error: 'HEADERS_TOO_LARGE', code: 'HEADERS_TOO_LARGE', httpStatus: 431 });
  });

  it('refuses a token refresh whose body is not an object, without running the refresher', async () => {
    for (const body of ['null', '123', '[]', '"x"']) refused(await post(`${coordinator}/api/v1/token/refresh/force`, body), 400, 'INVALID_INPUT');
  });

  it('validates prices in the worker\'s check-alerts like the alerts API', async () => {
    const check = (alert: Record<string, unknown>) => post(`${worker}/api/v1/worker/execute`, { type: 'check-alerts', payload: { alerts: [{ id: 'a1', source: 'test', query: 'q', ...alert }] } });
    refused(await check({ priceMin: -1 }), 400, 'INVALID_COMMAND');
    refused(await check({ priceMin: 50, priceMax: 10 }), 400, 'INVALID_COMMAND');
    refused(await check({ name: 'x\u0000' }), 400, 'INVALID_COMMAND');
    // A valid payload gets past validation (to the credential check, here).
    expect((await check({ priceMin: 10, priceMax: 50 })).body.error).not.toBe('INVALID_COMMAND');
  });

  it('changed nothing', async () => {
    expect((await send(`${coordinator}/api/v1/alerts`)).body.alerts).toEqual([]);
    expect(((await send(`${coordinator}/api/v1/worker/main/workers`)).body.workers as Array<{ id: string }>).map((w) => w.id)).toEqual(['w1']);
  });
});

describe('request timeouts', () => {
  // The coordinator's execute is a direct route (http/direct-routes.ts): Node's timeout holds there too.
  for (const [name, url, path] of [
    ['coordinator', () => coordinator, '/api/v1/alerts'],
    ['coordinator (execute)', () => coordinator, '/api/v1/worker/main/execute'],
    ['worker', () => worker, '/api/v1/worker/execute'],
  ] as const) {
    it(`the ${name} cuts off a client that trickles its body (408 in Vigie's shape)`, async () => {
      const head = `POST ${path} HTTP/1.1\r\nHost: x\r\nx-api-key: ${FLEET_KEY}\r\ncontent-type: application/json\r\ncontent-length: 200\r\n\r\n{`;
      const { text, ms } = await raw(url(), head, { bytes: ' '.repeat(199), everyMs: 200 });
      expect(text).toMatch(/^HTTP\/1\.1 408 /);
      expect(jsonOf(text)).toMatchObject({ success: false, error: 'REQUEST_TIMEOUT', httpStatus: 408 });
      expect(ms).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
      expect(ms).toBeLessThan(REQUEST_TIMEOUT_MS + 2500);
    });
  }
});
