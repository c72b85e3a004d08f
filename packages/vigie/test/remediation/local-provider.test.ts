// The local provider's promise that the conformance suite cannot see from outside: after a
// region move or an app switch, the worker's requests to a source leave from its new address
// (the demo marketplace and real sources block by address), and the worker stays supervised there.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalProvider } from '../../src/remediation/providers/local.js';
import { LocalWorker, waitForHealth } from '../../src/up/local-worker.js';
import { LocalFleetSupervisor } from '../../src/up/supervisor.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { VIGIE_BIN } from '../helpers/vigie-process.js';

const KEY = 'local-provider-key-0123456789';
const log = captureLogger();
let source: http.Server;
let sourceUrl: string;
let worker: LocalWorker;
let dataDir: string;

/** Has the worker fetch the source (a real `scrape` command) and returns the address the source saw. */
async function seenFrom(workerUrl: string): Promise<string> {
  const res = await fetch(`${workerUrl}/api/v1/worker/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': KEY },
    body: JSON.stringify({ type: 'scrape', payload: { url: `${sourceUrl}/who` } }),
  });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  const from = /"from\\?":\s*\\?"([0-9.]+)/.exec(text)?.[1];
  if (!from) throw new Error(`no address in ${text}`);
  return from;
}

beforeAll(async () => {
  source = http.createServer((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ from: req.socket.remoteAddress?.replace(/^::ffff:/, '') })));
  await new Promise<void>((resolve) => source.listen(0, '127.0.0.1', resolve));
  sourceUrl = `http://127.0.0.1:${(source.address() as net.AddressInfo).port}`;
  dataDir = mkdtempSync(join(tmpdir(), 'vigie-local-provider-'));
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  worker = new LocalWorker(
    {
      id: 'worker-1',
      name: 'Worker 1',
      region: 'local-1',
      host: '127.0.5.2',
      port,
      args: [VIGIE_BIN, 'worker', '--id', 'worker-1', '--region', 'local-1', '--port', String(port)],
      env: { PATH: process.env.PATH, HOME: process.env.HOME, VIGIE_API_KEY: KEY, VIGIE_DATA_DIR: dataDir, LOG_LEVEL: 'warn', SCRAPE_ALLOWED_HOSTS: new URL(sourceUrl).host },
    },
    log.logger,
  );
  worker.start();
  expect(await waitForHealth(worker.url, 45_000)).toBe(true);
}, 60_000);

afterAll(async () => {
  await worker?.stop(3000);
  await new Promise((resolve) => source?.close(resolve));
  rmSync(dataDir, { recursive: true, force: true });
});

// Real processes: each step restarts a worker (seconds each on a loaded CI machine).
describe('local provider with a real worker process', { timeout: 180_000 }, () => {
  it('region move then app switch: the source sees the new address each time; a moved worker that dies comes back on its new address', async () => {
    const supervisor = new LocalFleetSupervisor([worker], { graceMs: 3000, readyTimeoutMs: 45_000 });
    const provider = new LocalProvider({ supervisor, regionPool: ['127.0.5.2', '127.0.5.3'], appPool: ['127.0.6.2'] });
    const ctx = { signal: new AbortController().signal, logger: log.logger };
    expect(await seenFrom(worker.url)).toBe('127.0.5.2');

    const restarted = await provider.restart({ workerId: 'worker-1', url: worker.url, region: 'local-1' }, ctx);
    expect(await seenFrom(restarted.url)).toBe('127.0.5.2');

    const moved = await provider.moveRegion({ workerId: 'worker-1', url: worker.url, region: 'local-1' }, ['local-1', 'local-2'], ctx);
    expect(moved).toMatchObject({ url: `http://127.0.5.3:${worker.spec.port}`, region: 'local-2', changed: true });
    expect(await seenFrom(moved.url)).toBe('127.0.5.3');

    // The region pool is used up: .2 was left (blocked), .3 is in use.
    await expect(provider.moveRegion({ workerId: 'worker-1', url: moved.url, region: 'local-2' }, ['local-3'], ctx)).rejects.toMatchObject({ code: 'PROVIDER_EXHAUSTED' });

    const switched = await provider.switchApp({ workerId: 'worker-1', url: moved.url, region: 'local-2' }, 'fallback', ctx);
    expect(switched).toMatchObject({ url: `http://127.0.6.2:${worker.spec.port}`, app: 'fallback' });
    expect(await seenFrom(switched.url)).toBe('127.0.6.2');

    // Supervision follows the worker: killed, it is started again where it now lives.
    process.kill(worker.pid!, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    expect(await waitForHealth(switched.url, 45_000)).toBe(true);
    expect(await seenFrom(switched.url)).toBe('127.0.6.2');
  });

  it('one step at a time per worker: a second step while one runs is PROVIDER_BUSY', async () => {
    const supervisor = new LocalFleetSupervisor([worker], { graceMs: 3000, readyTimeoutMs: 45_000 });
    const signal = new AbortController().signal;
    const first = supervisor.restart('worker-1', signal);
    await expect(supervisor.restart('worker-1', signal)).rejects.toMatchObject({ code: 'PROVIDER_BUSY' });
    await first;
    await expect(supervisor.restart('worker-9', signal)).rejects.toMatchObject({ code: 'PROVIDER_UNKNOWN_WORKER' });
  });
});
