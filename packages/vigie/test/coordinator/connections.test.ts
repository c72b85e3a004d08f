// ConnectionSet over real HTTP on 127.0.0.2: connections opened on demand, reused when idle.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectionSet } from '../../src/coordinator/connections.js';

describe('ConnectionSet', () => {
  let server: Server;
  let origin: string;
  let connections: number;
  let set: ConnectionSet | undefined;
  const releases: Array<() => void> = [];

  beforeEach(async () => {
    connections = 0;
    server = createServer((req, res) => {
      const answer = () => res.end(JSON.stringify({ path: req.url }));
      // /slow answers only when the test says so.
      if (req.url === '/slow') releases.push(answer);
      else answer();
    });
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.2', r));
    origin = `http://127.0.0.2:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    for (const r of releases.splice(0)) r();
    await set?.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('reuses one keep-alive connection for calls one after another', async () => {
    set = new ConnectionSet(origin, { keepAliveTimeout: 10_000 }, 4);
    for (let i = 0; i < 5; i++) expect(await set.exchange({ method: 'GET', path: `/n${i}` })).toEqual({ statusCode: 200, text: `{"path":"/n${i}"}` });
    expect(set.size).toBe(1);
    expect(connections).toBe(1);
  });

  it('opens another connection when the open ones are busy, up to the cap, then queues', async () => {
    set = new ConnectionSet(origin, { keepAliveTimeout: 10_000 }, 2);
    const slow = [set.exchange({ method: 'GET', path: '/slow' }), set.exchange({ method: 'GET', path: '/slow' })];
    // A third call while both are busy waits on one of them rather than opening a third.
    const queued = set.exchange({ method: 'GET', path: '/fast' });
    while (releases.length < 2) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    expect(set.size).toBe(2);
    expect(releases).toHaveLength(2); // the third is queued, not sent
    for (const r of releases.splice(0)) r();
    await Promise.all(slow);
    expect((await queued).text).toBe('{"path":"/fast"}');
    expect(connections).toBe(2);
  });

  it('does not hold a quick call behind a long one', async () => {
    set = new ConnectionSet(origin, { keepAliveTimeout: 10_000 }, 64);
    const long = set.exchange({ method: 'GET', path: '/slow' });
    while (releases.length < 1) await new Promise((r) => setTimeout(r, 10));
    expect((await set.exchange({ method: 'GET', path: '/health' })).statusCode).toBe(200);
    for (const r of releases.splice(0)) r();
    await long;
    expect(set.size).toBe(2);
  });

  it('gathers an answer sent in several chunks, and decodes UTF-8 split across them', async () => {
    server.removeAllListeners('request');
    server.on('request', (_req, res) => {
      const text = Buffer.from('{"name":"café crème"}', 'utf8');
      res.writeHead(200, { 'content-type': 'application/json' }); // no length: chunked
      res.write(text.subarray(0, 14)); // ends inside "é"'s two bytes
      setTimeout(() => res.end(text.subarray(14)), 20);
    });
    set = new ConnectionSet(origin, { keepAliveTimeout: 10_000 }, 4);
    expect(await set.exchange({ method: 'POST', path: '/x', headers: { 'content-type': 'application/json' }, body: '{}' })).toEqual({ statusCode: 200, text: '{"name":"café crème"}' });
  });

  it('rejects with the signal\'s reason when aborted during the call, and frees the connection for the next', async () => {
    set = new ConnectionSet(origin, { keepAliveTimeout: 10_000 }, 1);
    const ac = new AbortController();
    const call = set.exchange({ method: 'GET', path: '/slow', signal: ac.signal });
    while (releases.length < 1) await new Promise((r) => setTimeout(r, 10));
    ac.abort(new Error('cycle cancelled'));
    await expect(call).rejects.toThrow('cycle cancelled');
    expect((await set.exchange({ method: 'GET', path: '/after' })).text).toBe('{"path":"/after"}');
  });

  it('rejects at once when aborted while queued behind a busy connection, and never sends it', async () => {
    set = new ConnectionSet(origin, { keepAliveTimeout: 10_000 }, 1);
    const slow = set.exchange({ method: 'GET', path: '/slow' });
    while (releases.length < 1) await new Promise((r) => setTimeout(r, 10));
    const ac = new AbortController();
    const queued = set.exchange({ method: 'GET', path: '/slow', signal: ac.signal });
    ac.abort();
    await expect(queued).rejects.toMatchObject({ name: 'AbortError' });
    releases.shift()!();
    await slow;
    await new Promise((r) => setTimeout(r, 50));
    expect(releases).toHaveLength(0); // the aborted request never reached the server
  });

  it('a signal already aborted rejects without sending', async () => {
    set = new ConnectionSet(origin, { keepAliveTimeout: 10_000 }, 1);
    await expect(set.exchange({ method: 'GET', path: '/slow', signal: AbortSignal.abort(new Error('too late')) })).rejects.toThrow('too late');
    await new Promise((r) => setTimeout(r, 50));
    expect(releases).toHaveLength(0);
  });

  it('ends a call whose answer does not come within headersTimeout with undici\'s timeout error', async () => {
    set = new ConnectionSet(origin, { keepAliveTimeout: 10_000 }, 1);
    await expect(set.exchange({ method: 'GET', path: '/slow', headersTimeout: 100 })).rejects.toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
  });
});
