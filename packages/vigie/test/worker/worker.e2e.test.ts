import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVigie, spawnVigie, tempDir, type VigieProcess } from '../helpers/vigie-process.js';

// A real worker process on 127.0.0.2, talked to over real HTTP, as the coordinator would.
const API_KEY = 'test-key-5f0c1d2e3a4b5c6d7e8f';
const COOKIE = 'session=sup3r-s3cret-cookie-value; csrf=an0ther-s3cret';

describe('worker process on 127.0.0.2', () => {
  const dir = tempDir();
  const marker = join(dir.path, 'touched');
  let worker: VigieProcess;
  let url: string;
  const bodies: string[] = [];
  const env = { VIGIE_API_KEY: `old-rotated-key-0000000,${API_KEY}`, VIGIE_DATA_DIR: join(dir.path, 'data') };

  beforeAll(async () => {
    const plugin = join(dir.path, 'plugin.mjs');
    writeFileSync(
      plugin,
      `import { writeFileSync } from 'node:fs';
       export default (api) => {
         api.registerCommand({ name: 'touch', run: async () => { writeFileSync(${JSON.stringify(marker)}, 'x'); return 'touched'; } });
         // Ignores its abort signal on purpose: the worker must abandon it, not wait for it.
         api.registerCommand({ name: 'hang', run: () => new Promise((r) => setTimeout(() => r('late'), 20000).unref()) });
         api.registerCommand({ name: 'slow-ok', run: (data) => new Promise((r) => setTimeout(() => r(data), Number(data))) });
       };`,
    );
    worker = spawnVigie(['worker', '--id', 'worker-fr', '--name', 'Worker FR', '--region', 'cdg', '--host', '127.0.0.2', '--port', '0', '--plugin', plugin], {
      ...env,
      COMMAND_TIMEOUT_MS: '400',
    });
    const line = await worker.waitForLog((l) => l.msg === 'worker listening');
    url = String(line.url);
  });

  afterAll(async () => {
    await worker?.stop();
    dir.cleanup();
  });

  async function execute(body: unknown, headers: Record<string, string> = { 'x-api-key': API_KEY }) {
    const res = await fetch(`${url}/api/v1/worker/execute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    bodies.push(text);
    return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
  }

  it('listens on the address it was given', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.2:\d+$/);
  });

  it('answers GET /api/health', async () => {
    const res = await fetch(`${url}/api/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', role: 'worker', id: 'worker-fr' });
  });

  it('answers GET /api/v1/worker/health with identity, version, uptime, in-flight and store', async () => {
    const res = await fetch(`${url}/api/v1/worker/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'healthy', id: 'worker-fr', name: 'Worker FR', region: 'cdg', inFlight: 0, store: { reachable: true } });
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(typeof body.uptimeSeconds).toBe('number');
  });

  it('runs echo and answers its data', async () => {
    const data = { hello: 'world', n: [1, 2, 3] };
    const r = await execute({ type: 'custom', payload: { name: 'echo', data } });
    expect(r).toEqual({ status: 200, body: { success: true, data } });
  });

  it('accepts any key of a rotation list', async () => {
    const r = await execute({ type: 'custom', payload: { name: 'echo', data: 1 } }, { 'x-api-key': 'old-rotated-key-0000000' });
    expect(r.status).toBe(200);
  });

  it('answers 401 to a missing or wrong key, and runs nothing', async () => {
    const touch = { type: 'custom', payload: { name: 'touch' } };
    const missing = await execute(touch, {});
    const wrong = await execute(touch, { 'x-api-key': `${API_KEY}x` });
    for (const r of [missing, wrong]) {
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({ success: false, error: 'UNAUTHORIZED', httpStatus: 401 });
    }
    expect(existsSync(marker)).toBe(false);
    // The same command with the right key does run: the check above is not vacuous.
    expect((await execute(touch)).status).toBe(200);
    expect(existsSync(marker)).toBe(true);
  });

  it('answers 400 to malformed JSON, naming the problem', async () => {
    const r = await execute('{"type": "custom", ');
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ success: false, error: 'INVALID_JSON', httpStatus: 400 });
    expect(String(r.body.message)).toMatch(/JSON/);
  });

  it('answers 400 to an unknown type, listing the known ones', async () => {
    const r = await execute({ type: 'mine-bitcoin' });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('UNKNOWN_COMMAND_TYPE');
    expect(String(r.body.message)).toContain('check-alerts');
  });

  it('answers 400 to a command without a type or with unknown fields', async () => {
    expect((await execute({ payload: {} })).body.error).toBe('INVALID_COMMAND');
    const extra = await execute({ type: 'custom', payload: {}, tpye: 'x' });
    expect(extra.status).toBe(400);
    expect(String(extra.body.message)).toContain('tpye');
  });

  it('answers 400 to an unknown custom handler name', async () => {
    const r = await execute({ type: 'custom', payload: { name: 'nope' } });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('UNKNOWN_HANDLER');
    expect(String(r.body.message)).toContain('echo');
  });

  it('answers 413 to a body over 1 MiB', async () => {
    const big = { type: 'custom', payload: { name: 'echo', data: 'x'.repeat(1024 * 1024 + 10) } };
    const r = await execute(big);
    expect(r.status).toBe(413);
    expect(r.body.error).toBe('BODY_TOO_LARGE');
  });

  it('answers 501 COMMAND_NOT_SUPPORTED to a known type it cannot run here', async () => {
    // No refresher is configured on this worker, so generate-cookies has nothing to run.
    const r = await execute({ type: 'generate-cookies', payload: {} });
    expect(r.status).toBe(501);
    expect(r.body).toMatchObject({ success: false, error: 'COMMAND_NOT_SUPPORTED', httpStatus: 501 });
  });

  it('answers 504 COMMAND_TIMEOUT to an overrunning handler and keeps answering', async () => {
    const r = await execute({ type: 'custom', payload: { name: 'hang' } });
    expect(r.status).toBe(504);
    expect(r.body.error).toBe('COMMAND_TIMEOUT');
    expect((await fetch(`${url}/api/v1/worker/health`)).status).toBe(200);
    expect((await execute({ type: 'custom', payload: { name: 'echo', data: 'still here' } })).body).toEqual({ success: true, data: 'still here' });
  });

  it('answers 503 NO_SCRAPING_COOKIES to check-alerts until a credential is stored', async () => {
    const before = await execute({ type: 'check-alerts', payload: { alerts: [] } });
    expect(before.status).toBe(503);
    expect(before.body).toMatchObject({ success: false, error: 'NO_SCRAPING_COOKIES', httpStatus: 503 });

    const set = await runVigie(['credentials', 'set', 'scraping', '--stdin'], env, `${COOKIE}\n`);
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('session=****');
    expect(set.stdout).not.toContain('sup3r-s3cret');

    // The credential is now read from the store, and the job runs (over no alert).
    const after = await execute({ type: 'check-alerts', payload: { alerts: [] } });
    expect(after).toEqual({ status: 200, body: { success: true, data: { matches: [], alertsChecked: 0, itemsChecked: 0, failed: [] } } });

    const status = await runVigie(['credentials', 'status', '--json'], env);
    expect(status.code).toBe(0);
    const rows = JSON.parse(status.stdout) as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ name: 'scraping', source: 'cli' });
    expect(status.stdout).not.toContain('sup3r-s3cret');
    expect(status.stdout).not.toContain('an0ther-s3cret');
  });

  it('exposes Prometheus metrics by type and outcome', async () => {
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    const text = await (await fetch(`${url}/metrics`, { headers: { 'x-api-key': API_KEY } })).text();
    expect(text).toMatch(/vigie_worker_commands_total\{type="custom",outcome="ok"\} [1-9]/);
    expect(text).toMatch(/vigie_worker_commands_total\{type="custom",outcome="COMMAND_TIMEOUT"\} 1/);
    expect(text).toContain('vigie_worker_command_duration_seconds_bucket');
  });

  it('never shows the API key or the credential in logs or answers', async () => {
    // Provoke logging around the key: a wrong key, a right key, a command that fails.
    await execute({ type: 'custom', payload: { name: 'echo' } }, { 'x-api-key': 'wrong-key-value-123456' });
    const everything = worker.output() + bodies.join('\n');
    expect(everything.length).toBeGreaterThan(0);
    for (const secret of [API_KEY, 'old-rotated-key-0000000', 'sup3r-s3cret', 'an0ther-s3cret']) {
      expect(everything).not.toContain(secret);
    }
  });

  it('finishes a command in flight on SIGTERM, then exits 0', async () => {
    const inFlight = execute({ type: 'custom', payload: { name: 'slow-ok', data: 300 } });
    await new Promise((r) => setTimeout(r, 100));
    const code = worker.stop('SIGTERM');
    const r = await inFlight;
    expect(r).toEqual({ status: 200, body: { success: true, data: 300 } });
    expect(await code).toBe(0);
  });
});

describe('worker start-up checks', () => {
  it('refuses to start without an API key', async () => {
    const dir = tempDir();
    const r = await runVigie(['worker', '--host', '127.0.0.3', '--port', '0'], { VIGIE_DATA_DIR: dir.path });
    dir.cleanup();
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('VIGIE_API_KEY');
  });

  it('refuses --insecure on a non-loopback address', async () => {
    const dir = tempDir();
    const r = await runVigie(['worker', '--insecure', '--host', '0.0.0.0', '--port', '0'], { VIGIE_DATA_DIR: dir.path });
    dir.cleanup();
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/loopback/);
  });

  it('starts with --insecure on loopback and then needs no key', async () => {
    const dir = tempDir();
    const w = spawnVigie(['worker', '--insecure', '--host', '127.0.0.3', '--port', '0'], { VIGIE_DATA_DIR: dir.path });
    try {
      const { url } = await w.waitForLog((l) => l.msg === 'worker listening');
      const res = await fetch(`${String(url)}/api/v1/worker/execute`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'custom', payload: { name: 'echo', data: 7 } }),
      });
      expect(await res.json()).toEqual({ success: true, data: 7 });
    } finally {
      await w.stop();
      dir.cleanup();
    }
  });

  it('stops on a bad setting with one message naming the key, the value and what is allowed', async () => {
    const r = await runVigie(['worker', '--insecure', '--port', '0'], { LB_STRATEGY: 'fastest' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('LB_STRATEGY');
    expect(r.stderr).toContain('"fastest"');
    expect(r.stderr).toContain('p2c-ewma');
  });
});
