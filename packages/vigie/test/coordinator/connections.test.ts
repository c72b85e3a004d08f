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
});
