import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerClient } from '../../src/coordinator/worker-client.js';

const servers: Server[] = [];
const clients: WorkerClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}/`;
}

function client(maxResponseBytes?: number): WorkerClient {
  const c = new WorkerClient({ apiKey: 'k-1234567890abcdef', ...(maxResponseBytes ? { maxResponseBytes } : {}) });
  clients.push(c);
  return c;
}

describe('WorkerClient', () => {
  it('sends the key and the deadline, and unwraps a success', async () => {
    let headers: Record<string, unknown> = {};
    const url = await serve((req, res) => {
      headers = req.headers;
      res.end(JSON.stringify({ success: true, data: { n: 1 } }));
    });
    const r = await client().execute(url, { type: 'custom', payload: {} }, 5000);
    expect(r).toMatchObject({ ok: true, status: 200, data: { n: 1 } });
    expect(headers['x-api-key']).toBe('k-1234567890abcdef');
    expect(headers['x-vigie-deadline-ms']).toBe('4750');
  });

  it('reports an error answer with its status and code', async () => {
    const url = await serve((_req, res) => {
      res.statusCode = 403;
      res.end(JSON.stringify({ success: false, error: 'UPSTREAM_FORBIDDEN', message: 'blocked', httpStatus: 403 }));
    });
    expect(await client().execute(url, { type: 'x' }, 5000)).toMatchObject({ ok: false, status: 403, failure: { kind: 'http', status: 403, error: 'UPSTREAM_FORBIDDEN' }, message: 'blocked' });
  });

  it('gives up on a worker that never answers, as a timeout', async () => {
    const url = await serve(() => undefined);
    const t0 = performance.now();
    const r = await client().execute(url, { type: 'x' }, 300);
    expect(r).toMatchObject({ ok: false, failure: { kind: 'timeout' } });
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('tells a refused connection (network) and a too-large or unreadable answer (502)', async () => {
    const refused = await client().execute('http://127.0.0.1:9', { type: 'x' }, 2000);
    expect(refused).toMatchObject({ ok: false, failure: { kind: 'network', code: 'ECONNREFUSED' } });
    const big = await serve((_req, res) => res.end('x'.repeat(100_000)));
    expect(await client(1000).execute(big, { type: 'x' }, 2000)).toMatchObject({ ok: false, status: 502 });
    const junk = await serve((_req, res) => res.end('not json'));
    expect(await client().execute(junk, { type: 'x' }, 2000)).toMatchObject({ ok: false, status: 502 });
  });
});
