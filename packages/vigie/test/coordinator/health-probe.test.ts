// The health probe's own HTTP/1.1 reading, against raw TCP servers on 127.0.0.2 that write the
// exact bytes each case needs (split answers, chunked bodies, closes at the worst moment), and
// the worker client's use of it (falling back to the general client for what it does not read).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthProbe, readBody, readHead } from '../../src/coordinator/health-probe.js';
import { WorkerClient } from '../../src/coordinator/worker-client.js';
import { tempDir } from '../helpers/vigie-process.js';

const PATH = '/api/v1/worker/health';
const BODY = '{"success":true,"data":{"status":"healthy"}}';
const ANSWER = `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${BODY.length}\r\n\r\n${BODY}`;

interface Raw {
  port: number;
  requests: string[];
  connections: number;
  sockets: net.Socket[];
  close: () => Promise<void>;
}

/** A TCP server that answers each complete request head with `answer(n, socket)` (n counts from 1). */
async function raw(answer: (n: number, socket: net.Socket) => void): Promise<Raw> {
  const r: Raw = { port: 0, requests: [], connections: 0, sockets: [], close: async () => {} };
  const server = net.createServer((socket) => {
    r.connections++;
    r.sockets.push(socket);
    let buf = '';
    socket.on('error', () => {});
    socket.on('data', (c) => {
      buf += c.toString('latin1');
      let end: number;
      while ((end = buf.indexOf('\r\n\r\n')) >= 0) {
        r.requests.push(buf.slice(0, end));
        buf = buf.slice(end + 4);
        answer(r.requests.length, socket);
      }
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.2', ok));
  r.port = (server.address() as net.AddressInfo).port;
  r.close = () =>
    new Promise((ok) => {
      for (const s of r.sockets) s.destroy();
      server.close(() => ok());
    });
  return r;
}

const servers: Raw[] = [];
const probes: HealthProbe[] = [];
afterEach(async () => {
  for (const p of probes.splice(0)) p.close();
  for (const s of servers.splice(0)) await s.close();
});

async function probeOf(answer: (n: number, socket: net.Socket) => void): Promise<{ server: Raw; probe: HealthProbe }> {
  const server = await raw(answer);
  servers.push(server);
  const probe = new HealthProbe(new URL(`http://127.0.0.2:${server.port}/base/`), `/base${PATH}`);
  probes.push(probe);
  return { server, probe };
}

/** Writes `text` a few bytes at a time, so that the probe sees it in many chunks. */
async function dribble(socket: net.Socket, text: string, size = 7): Promise<void> {
  for (let i = 0; i < text.length; i += size) {
    socket.write(text.slice(i, i + size));
    await new Promise((r) => setTimeout(r, 1));
  }
}

describe('readHead and readBody', () => {
  it('read a content-length answer, a chunked one with trailers, and an empty 204', () => {
    const head = readHead('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 2\r\nKeep-Alive: timeout=5');
    expect(head).toEqual({ statusCode: 503, length: 2, close: false, keepAliveMs: 5000 });
    expect(readBody(Buffer.from('xx{}'), 2, head as Exclude<typeof head, string>)).toBe('{}');
    expect(readBody(Buffer.from('xx{'), 2, head as Exclude<typeof head, string>)).toBeNull();
    expect(readBody(Buffer.from('xx{}!'), 2, head as Exclude<typeof head, string>)).toEqual({ error: 'bytes after the answer' });

    const chunked = readHead('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked') as Exclude<ReturnType<typeof readHead>, string>;
    expect(chunked.length).toBe('chunked');
    expect(readBody(Buffer.from('4;ext=1\r\n{"a"\r\n3\r\n:1}\r\n0\r\nx-trailer: y\r\n\r\n'), 0, chunked)).toBe('{"a":1}');
    expect(readBody(Buffer.from('4\r\n{"a"\r\n3\r\n:1'), 0, chunked)).toBeNull();
    expect(readBody(Buffer.from('0\r\n\r\n'), 0, chunked)).toBe('');
    expect(readBody(Buffer.from('zz\r\n'), 0, chunked)).toEqual({ error: 'malformed chunk size line' });
    expect(readBody(Buffer.from('2\r\nabc\r\n'), 0, chunked)).toEqual({ error: 'malformed chunk' });

    expect(readHead('HTTP/1.1 204 No Content')).toEqual({ statusCode: 204, length: 0, close: false });
    expect(readHead('HTTP/1.0 200 OK\r\ncontent-length: 0')).toMatchObject({ close: true });
    expect(readHead('HTTP/1.1 200 OK\r\nConnection: close\r\ncontent-length: 0')).toMatchObject({ close: true });
  });

  it('leave to the general client what they do not read, saying why', () => {
    expect(readHead('HTTP/1.1 200 OK')).toBe('body without content-length');
    expect(readHead('HTTP/1.1 100 Continue')).toBe('informational answer 100');
    expect(readHead('HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked')).toBe('transfer-encoding gzip, chunked');
    expect(readHead('HTTP/1.1 200 OK\r\ncontent-length: 3\r\ntransfer-encoding: chunked')).toBe('transfer-encoding chunked');
    expect(readHead('HTTP/1.1 200 OK\r\ncontent-length: 3\r\ncontent-length: 4')).toBe('invalid content-length');
    expect(readHead('HTTP/1.1 200 OK\r\ncontent-length: -1')).toBe('invalid content-length');
    expect(readHead('SSH-2.0-OpenSSH')).toBe('not an HTTP/1.x status line');
    expect(readHead('HTTP/1.1 200 OK\r\nno colon here')).toBe('malformed header line');
    expect(readHead('HTTP/1.1 200 OK\r\ncontent-length: 999999')).toBe('answer body larger than 256 KB');
  });
});

describe('HealthProbe', () => {
  it('sends one fixed GET with the path and host, and reuses one keep-alive connection', async () => {
    const { server, probe } = await probeOf((_n, s) => s.write(ANSWER));
    for (let i = 0; i < 3; i++) expect(await probe.probe(1000)).toEqual({ kind: 'answer', statusCode: 200, text: BODY });
    expect(server.connections).toBe(1);
    expect(server.requests).toHaveLength(3);
    expect(server.requests[0]).toMatch(new RegExp(`^GET /base${PATH} HTTP/1\\.1\\r\\nhost: 127\\.0\\.0\\.2:${server.port}\\r\\n`));
  });

  it('reads an answer that arrives a few bytes at a time, chunked or not', async () => {
    const chunked = `HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n${BODY.length.toString(16)}\r\n${BODY}\r\n0\r\n\r\n`;
    const { probe } = await probeOf((n, s) => void dribble(s, n === 1 ? ANSWER : chunked));
    expect(await probe.probe(2000)).toEqual({ kind: 'answer', statusCode: 200, text: BODY });
    expect(await probe.probe(2000)).toEqual({ kind: 'answer', statusCode: 200, text: BODY });
  });

  it('opens a new connection after `connection: close`, and when the worker closed the idle one', async () => {
    const { server, probe } = await probeOf((n, s) => {
      if (n === 1) s.end(`HTTP/1.1 503 Unavailable\r\nconnection: close\r\ncontent-length: 2\r\n\r\n{}`);
      else s.write(ANSWER);
    });
    expect(await probe.probe(1000)).toMatchObject({ kind: 'answer', statusCode: 503 });
    expect(await probe.probe(1000)).toMatchObject({ kind: 'answer', statusCode: 200 });
    expect(server.connections).toBe(2);
    // The worker closes the kept-alive connection while it is idle: the next probe reconnects.
    server.sockets[1]!.end();
    await new Promise((r) => setTimeout(r, 50));
    expect(await probe.probe(1000)).toMatchObject({ kind: 'answer', statusCode: 200 });
    expect(server.connections).toBe(3);
  });

  it('tries once more on a new connection when a reused one is closed before any byte of the answer', async () => {
    // The second request finds the connection closed by the worker as it arrives (its idle timeout).
    const { server, probe } = await probeOf((n, s) => (n === 2 ? s.destroy() : s.write(ANSWER)));
    expect(await probe.probe(1000)).toMatchObject({ kind: 'answer', statusCode: 200 });
    expect(await probe.probe(1000)).toMatchObject({ kind: 'answer', statusCode: 200 });
    expect(server.requests).toHaveLength(3);
    expect(server.connections).toBe(2);
  });

  it('fails a probe whose answer is cut, times out a silent worker and drops its connection, and says refused', async () => {
    const { server, probe } = await probeOf((n, s) => {
      if (n === 1) s.destroy(); // on a new connection: not retried
      else if (n === 2) s.end(ANSWER.slice(0, 30)); // cut in the head
      // n === 3: never answers
    });
    expect(await probe.probe(1000)).toMatchObject({ kind: 'network', code: 'ECONNRESET' });
    expect(await probe.probe(1000)).toMatchObject({ kind: 'network', code: 'ECONNRESET' });
    const t0 = Date.now();
    expect(await probe.probe(300)).toEqual({ kind: 'timeout' });
    expect(Date.now() - t0).toBeLessThan(1000);
    await new Promise((r) => setTimeout(r, 50));
    expect(server.sockets.at(-1)!.destroyed || server.sockets.at(-1)!.readableEnded).toBe(true);

    await server.close();
    expect(await probe.probe(1000)).toMatchObject({ kind: 'network', code: 'ECONNREFUSED' });
  });

  it('ends at once when aborted, and is not misled by bytes nobody asked for', async () => {
    const { server, probe } = await probeOf((n, s) => {
      if (n === 2) s.write(ANSWER + ANSWER); // a second answer that no request asked for
      else if (n !== 1) s.write(ANSWER);
    });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    expect(await probe.probe(5000, ac.signal)).toMatchObject({ kind: 'network', code: 'ABORT_ERR' });
    expect(await probe.probe(1000)).toEqual({ kind: 'unsupported', reason: 'bytes after the answer' });
    expect(await probe.probe(1000)).toMatchObject({ kind: 'answer', statusCode: 200 });
    expect(server.connections).toBe(3);
  });

  it('speaks TLS to an https worker and checks its certificate', async () => {
    const dir = tempDir('vigie-probe-tls-');
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir.path, 'k.pem'), '-out', join(dir.path, 'c.pem'), '-days', '1', '-subj', '/CN=127.0.0.2'], { stdio: 'ignore' });
      const server = tls.createServer({ key: readFileSync(join(dir.path, 'k.pem')), cert: readFileSync(join(dir.path, 'c.pem')) }, (s) => s.on('data', () => s.write(ANSWER)));
      await new Promise<void>((ok) => server.listen(0, '127.0.0.2', ok));
      try {
        const probe = new HealthProbe(new URL(`https://127.0.0.2:${(server.address() as net.AddressInfo).port}`), PATH);
        probes.push(probe);
        expect(await probe.probe(2000)).toMatchObject({ kind: 'network', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
      } finally {
        await new Promise((ok) => server.close(ok));
      }
    } finally {
      dir.cleanup();
    }
  });
});

describe('WorkerClient.health', () => {
  it('reads the answer as the other calls do, and asks the general client, from then on, for a worker whose answers the probe does not read', async () => {
    // Close-delimited bodies (no length): the probe gives up on the first; the general client reads it.
    const server = await raw((_n, s) => s.end(`HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n${BODY}`));
    servers.push(server);
    const sick = '{"success":false,"message":"store is down"}';
    const sickWorker = await raw((_n, s) => s.write(`HTTP/1.1 503 Unavailable\r\ncontent-length: ${sick.length}\r\n\r\n${sick}`));
    servers.push(sickWorker);
    const client = new WorkerClient({ apiKey: undefined });
    try {
      const url = `http://127.0.0.2:${server.port}`;
      expect(await client.health(url, 1000)).toMatchObject({ ok: true, data: { status: 'healthy' } });
      expect(server.requests).toHaveLength(2);
      expect(await client.health(url, 1000)).toMatchObject({ ok: true });
      expect(server.requests).toHaveLength(3);
      expect(await client.health(`http://127.0.0.2:${sickWorker.port}`, 1000)).toMatchObject({ ok: false, status: 503, message: 'store is down', failure: { kind: 'http', status: 503 } });
      const dead = await client.health('http://127.0.0.2:1', 1000);
      expect(dead).toMatchObject({ ok: false, failure: { kind: 'network', code: 'ECONNREFUSED' } });
    } finally {
      await client.close();
    }
  });
});
