// The same behaviours in headless Chromium: the built package (dist) is served from a loopback
// server and loaded by the page through an import map, as a browser app loads it; the scenarios
// (browser/scenarios.mjs) run in page context against real fixture nodes (CORS enabled).
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DIST_DIR, ensureBuilt } from './helpers/build.js';
import { chromiumAvailable, launchChromium, reportMissingChromium } from './helpers/chromium.js';
import { admin, countOf, eventually, freshCluster, stopAll, type TestNode } from './helpers/servers.js';

const available = chromiumAvailable;
const distDir = DIST_DIR;
const scenariosFile = fileURLToPath(new URL('./browser/scenarios.mjs', import.meta.url));

reportMissingChromium('browser tests');

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8">
<script type="importmap">{ "imports": { "@vigie/client": "/client/index.js" } }</script>
<script type="module">
  import * as scenarios from '/scenarios.mjs';
  window.vigieScenarios = scenarios;
  window.vigieReady = true;
</script>
</head><body>vigie client browser tests</body></html>`;

/** Serves the page, the scenarios and packages/client/dist (read-only, loopback only). */
function startStaticServer(): Promise<Server> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    let body: Buffer | string | undefined;
    let type = 'text/javascript; charset=utf-8';
    if (path === '/' || path === '/index.html') {
      body = PAGE;
      type = 'text/html; charset=utf-8';
    } else if (path === '/scenarios.mjs') {
      body = readFileSync(scenariosFile);
    } else if (path.startsWith('/client/')) {
      const file = normalize(join(distDir, path.slice('/client/'.length)));
      if (file.startsWith(distDir) && ['.js', '.map'].includes(extname(file)) && existsSync(file)) {
        body = readFileSync(file);
        if (file.endsWith('.map')) type = 'application/json';
      }
    }
    if (body === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe.skipIf(!available)('in headless Chromium', () => {
  let browser: Browser | undefined;
  let page: Page;
  let staticServer: Server | undefined;
  let nodes: TestNode[] = [];
  const pageErrors: string[] = [];
  const urls = () => nodes.map((n) => n.url);
  const node = (i: number): TestNode => {
    const n = nodes[i];
    if (n === undefined) throw new Error(`no node ${i}`);
    return n;
  };

  // Runs a scenario of browser/scenarios.mjs in the page.
  function run<T>(name: string, args: Record<string, unknown> = {}): Promise<T> {
    return page.evaluate(
      (call: { name: string; args: Record<string, unknown> }) =>
        (window as unknown as { vigieScenarios: Record<string, (a: unknown) => Promise<unknown>> }).vigieScenarios[call.name]!(call.args),
      { name, args: { urls: urls(), ...args } },
    ) as Promise<T>;
  }

  beforeAll(async () => {
    // Build the package so the page gets the current code (incremental: fast when up to date).
    await ensureBuilt();
    browser = await launchChromium();
    staticServer = await startStaticServer();
    const origin = `http://127.0.0.1:${(staticServer.address() as AddressInfo).port}`;
    page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.exposeFunction('vigieKill', async (i: number) => {
      await nodes[i]?.kill();
    });
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => (window as unknown as { vigieReady?: boolean }).vigieReady === true, undefined, {
      timeout: 10_000,
    });
  });

  beforeEach(async () => {
    nodes = await freshCluster(nodes);
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (staticServer ? staticServer.close(() => resolve()) : resolve()));
    await stopAll(nodes);
  });

  it('loads the package as ES modules through an import map', async () => {
    // A string, so that the test runner does not rewrite the dynamic import for Node.
    const kind = await page.evaluate(
      "import('@vigie/client').then((m) => [typeof m.createClient, typeof m.VigieClientError, typeof m.SseParser])",
    );
    expect(kind).toEqual(['function', 'function', 'function']);
    expect(pageErrors).toEqual([]);
  });

  it('loses no GET of a burst when the primary is killed in the middle of it', async () => {
    const r = await run<{ answeredBy: string[]; failovers: [number, number, string][]; statuses: string[] }>('burst');
    expect(r.answeredBy.filter((a) => a.startsWith('error'))).toEqual([]);
    // The kill really happened mid-burst: the primary answered the first requests (Chromium
    // sends at most 6 at a time per node, the rest wait in its queue), a backup all the rest
    // (n2 only should n1 be too slow on an overloaded machine).
    const firstBackup = r.answeredBy.findIndex((n) => n !== 'n0');
    expect(firstBackup).toBeGreaterThan(0);
    expect(r.answeredBy.slice(0, firstBackup).every((n) => n === 'n0')).toBe(true);
    expect(r.answeredBy.slice(firstBackup).filter((n) => n !== 'n1' && n !== 'n2')).toEqual([]);
    // Browsers hide why a fetch failed, so every network error is "may have reached the server".
    expect(r.failovers.some(([from, to, reason]) => from === 0 && to === 1 && reason === 'NETWORK_ERROR')).toBe(true);
    expect(r.statuses[0]).toBe('failed');
  });

  it('never moves a 4xx to another node', async () => {
    const r = await run<{ answers: [number, string][]; jsonError: unknown; statuses: string[] }>('clientErrors');
    expect(r.answers).toEqual([400, 401, 403, 404, 409, 422, 429].map((s) => [s, 'n0']));
    expect(r.jsonError).toMatchObject({ code: 'HTTP_ERROR', status: 404, body: { node: 'n0' } });
    expect(r.statuses).toEqual(['healthy', 'healthy', 'healthy']);
    for (const other of [node(1), node(2)]) expect((await other.counts()).counts).toEqual({});
  });

  it('does not resend a POST without Idempotency-Key after a timeout (and does with one)', async () => {
    const r = await run<{ plain: { code: string; attempts: unknown[] }; keyed: { code: string; attempts: unknown[] } }>('postTimeout');
    expect(r.plain).toMatchObject({ code: 'NOT_RETRYABLE', attempts: [{ node: 0, code: 'TIMEOUT' }] });
    expect(r.keyed).toMatchObject({
      code: 'ALL_NODES_FAILED',
      attempts: [
        { node: 0, code: 'TIMEOUT' },
        { node: 1, code: 'TIMEOUT' },
        { node: 2, code: 'TIMEOUT' },
      ],
    });
    // n0: the plain POST and the keyed one; n1 and n2: the keyed one only.
    expect(await countOf(node(0), 'POST /slow')).toBe(2);
    expect(await countOf(node(1), 'POST /slow')).toBe(1);
    expect(await countOf(node(2), 'POST /slow')).toBe(1);
  });

  it('resumes a stream on another node without losing or repeating an event when its node is killed', async () => {
    const total = 60;
    const path = `/events?t0=${Date.now()}&period=20&total=${total}&retry=50`;
    // Killed when event 20 is due: later events exist only on the other nodes.
    const kill = new Promise((r) => setTimeout(r, 20 * 20)).then(() => node(0).kill());
    const r = await run<{
      messages: { id: string; node: string; type: string }[];
      opens: { node: string; resumedFrom: string }[];
      errors: { code: string; willRetry: boolean }[];
    }>('streamKill', { path, total });
    await kill;
    expect(r.messages.map((m) => m.id)).toEqual(Array.from({ length: total }, (_, i) => String(i + 1)));
    expect(r.messages.every((m) => m.type === 'tick')).toBe(true);
    const moved = r.messages.findIndex((m) => m.node !== node(0).url);
    expect(moved).toBeGreaterThan(0);
    expect(r.messages.slice(moved).every((m) => m.node === node(1).url)).toBe(true);
    expect(r.opens.map((o) => o.resumedFrom)).toEqual(['', String(moved)]);
    expect(r.errors[0]).toMatchObject({ code: 'NODE_FAILED', willRetry: true });
  });

  it("the caller's AbortSignal cancels the request and its hedge at once", async () => {
    const r = await run<{ code: string; elapsedMs: number }>('abortAll');
    expect(r.code).toBe('ABORTED');
    expect(r.elapsedMs).toBeLessThan(4000);
    expect(await eventually(async () => (await node(0).counts()).aborted === 1 && (await node(1).counts()).aborted === 1)).toBe(true);
  });

  it('hedges a slow idempotent request to another node', async () => {
    await admin(node(0), 'delay?ms=1500');
    const r = await run<{ node: string; statuses: string[] }>('hedge');
    expect(r).toEqual({ node: 'n1', statuses: ['healthy', 'healthy', 'healthy'] });
  });
});
