import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSources, builtinSourceFactories, UpstreamError, type Source, type SourceFactory } from '../../src/alerts/sources/index.js';
import { renderUrl } from '../../src/alerts/sources/http-json.js';
import { ConfigError } from '../../src/errors.js';
import type { Alert } from '../../src/store/index.js';
import { json, startServer, type LocalServer } from './local-server.js';

const CRED = 'session=c00kie-s3cret-value; cf=an0ther';

function alert(patch: Partial<Alert> = {}): Alert {
  return {
    id: 'a1', name: 'Vestes', source: 'market', query: 'veste cuir', priceMin: null, priceMax: null,
    conditions: [], includeWords: [], excludeWords: [], notify: [], active: true, createdAt: 0, updatedAt: 0,
    ...patch,
  };
}

function source(server: LocalServer, def: Record<string, unknown> = {}, name = 'market'): Source {
  return createSources({
    [name]: {
      type: 'http-json',
      url: `${server.url}/api/items?q={query}&min={priceMin}&max={priceMax}`,
      itemsPath: 'data.items',
      fields: { id: 'id', title: 'title', price: 'price.amount', currency: 'price.currency', url: 'url', condition: 'status', brand: 'brand_title', photo: 'photo.url' },
      ...def,
    },
  }).get(name)!;
}

const ctx = (timeoutMs = 5000) => ({ credential: CRED, signal: new AbortController().signal, timeoutMs });

/** A server whose answer each test sets by path. */
let server: LocalServer;
const routes = new Map<string, (res: ServerResponse) => void>();

beforeAll(async () => {
  server = await startServer((req, res) => {
    const path = req.url.split('?')[0]!;
    const route = routes.get(path);
    if (route) return route(res);
    json(res, { data: { items: [] } });
  });
});

afterAll(async () => {
  await server.close();
});

describe('http-json source', () => {
  it('maps the answer with the field paths', async () => {
    routes.set('/api/items', (res) =>
      json(res, {
        data: {
          items: [
            { id: 101, title: ' Veste cuir ', price: { amount: '45.50', currency: 'EUR' }, url: '/items/101', status: 'Neuf', brand_title: 'Schott', photo: { url: 'https://img.example/101.jpg' } },
            { id: 'b-102', title: 'Veste 2', price: { amount: 30 }, url: 'javascript:alert(1)' },
            { id: 103, title: 'Veste 3', price: { amount: '12,5' } },
            { id: 104, title: 'Veste 4', price: { amount: 'free' } },
            { title: 'no id' },
            { id: 105 },
            { id: 106, title: '' },
            'not an object',
            null,
          ],
        },
      }),
    );
    const items = await source(server).search(alert(), ctx());
    expect(items).toEqual([
      { id: '101', title: 'Veste cuir', price: 45.5, currency: 'EUR', url: `${server.url}/items/101`, condition: 'Neuf', brand: 'Schott', photo: 'https://img.example/101.jpg' },
      { id: 'b-102', title: 'Veste 2', price: 30, currency: null, url: null, condition: null, brand: null, photo: null },
      { id: '103', title: 'Veste 3', price: 12.5, currency: null, url: null, condition: null, brand: null, photo: null },
      { id: '104', title: 'Veste 4', price: null, currency: null, url: null, condition: null, brand: null, photo: null },
    ]);
  });

  it('fills the URL template with the alert, URI-encoded, empty for null', async () => {
    routes.delete('/api/items');
    const before = server.requests.length;
    await source(server).search(alert({ query: 'sac à main & co/x?', priceMin: 10, priceMax: null }), ctx());
    expect(server.requests.slice(before).map((r) => r.url)).toEqual(['/api/items?q=sac%20%C3%A0%20main%20%26%20co%2Fx%3F&min=10&max=']);
    expect(renderUrl('http://h/{source}/{name}?q={query}', alert({ name: 'Mes vestes' }))).toBe('http://h/market/Mes%20vestes?q=veste%20cuir');
  });

  it('sends the credential as configured, and only there', async () => {
    routes.delete('/api/items');
    const sent = async (credential: unknown, headers: Record<string, string> = {}) => {
      const before = server.requests.length;
      await source(server, { credential, headers }).search(alert(), ctx());
      return server.requests[before]!.headers;
    };
    expect((await sent({ as: 'cookie' })).cookie).toBe(CRED);
    expect((await sent(undefined)).cookie).toBe(CRED); // the default
    const bearer = await sent({ as: 'bearer' });
    expect(bearer.authorization).toBe(`Bearer ${CRED}`);
    expect(bearer.cookie).toBeUndefined();
    const custom = await sent({ as: 'header', name: 'X-Token' }, { accept: 'application/json' });
    expect(custom['x-token']).toBe(CRED);
    expect(custom.accept).toBe('application/json');
    expect(custom.cookie).toBeUndefined();
    const none = await sent({ as: 'none' });
    expect(none.cookie).toBeUndefined();
    expect(none.authorization).toBeUndefined();
  });

  it('POSTs a JSON body template, keeping the type of a lone placeholder', async () => {
    routes.set('/api/search', (res) => json(res, [{ id: 1, title: 'x' }]));
    const before = server.requests.length;
    const items = await source(server, { url: `${server.url}/api/search`, method: 'POST', body: { q: '{query}', max: '{priceMax}', min: '{priceMin}', label: 'for {name}' }, itemsPath: '' }).search(
      alert({ priceMax: 80 }),
      ctx(),
    );
    expect(items.map((i) => i.id)).toEqual(['1']);
    const req = server.requests[before]!;
    expect(req.method).toBe('POST');
    expect(req.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req.body)).toEqual({ q: 'veste cuir', max: 80, min: null, label: 'for Vestes' });
  });

  it.each([401, 403])('maps HTTP %i to UPSTREAM_FORBIDDEN (answered 403), without the credential in the message', async (status) => {
    routes.set('/api/items', (res) => json(res, { error: 'blocked' }, status));
    const err = await source(server).search(alert(), ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ code: 'UPSTREAM_FORBIDDEN', httpStatus: 403, status });
    expect((err as Error).message).toContain(`HTTP ${status}`);
    expect((err as Error).message).not.toContain('c00kie-s3cret');
  });

  it('maps 429 to UPSTREAM_RATE_LIMITED with Retry-After in seconds', async () => {
    routes.set('/api/items', (res) => json(res, {}, 429, { 'retry-after': '7' }));
    await expect(source(server).search(alert(), ctx())).rejects.toMatchObject({ code: 'UPSTREAM_RATE_LIMITED', httpStatus: 429, status: 429, retryAfterMs: 7000 });
  });

  it('maps 429 with Retry-After as an HTTP date', async () => {
    const at = new Date(Date.now() + 60_000);
    routes.set('/api/items', (res) => json(res, {}, 429, { 'retry-after': at.toUTCString() }));
    const err = (await source(server).search(alert(), ctx()).catch((e: unknown) => e)) as UpstreamError;
    expect(err.code).toBe('UPSTREAM_RATE_LIMITED');
    // The header has second precision and time passes between the two clocks: a range, not a value.
    expect(err.retryAfterMs).toBeGreaterThan(50_000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('maps 429 without Retry-After to no retryAfterMs', async () => {
    routes.set('/api/items', (res) => json(res, {}, 429));
    const err = (await source(server).search(alert(), ctx()).catch((e: unknown) => e)) as UpstreamError;
    expect(err.code).toBe('UPSTREAM_RATE_LIMITED');
    expect(err.retryAfterMs).toBeUndefined();
  });

  it('ignores a garbage Retry-After on 429 instead of reading it as "at once"', async () => {
    routes.set('/api/items', (res) => json(res, {}, 429, { 'retry-after': '-5' }));
    const err = (await source(server).search(alert(), ctx()).catch((e: unknown) => e)) as UpstreamError;
    expect(err.code).toBe('UPSTREAM_RATE_LIMITED');
    expect(err.retryAfterMs).toBeUndefined();
  });

  it('maps 5xx and other unexpected statuses to UPSTREAM_ERROR (502)', async () => {
    routes.set('/api/items', (res) => json(res, {}, 500));
    await expect(source(server).search(alert(), ctx())).rejects.toMatchObject({ code: 'UPSTREAM_ERROR', httpStatus: 502, status: 500 });
    routes.set('/api/items', (res) => json(res, {}, 404));
    await expect(source(server).search(alert(), ctx())).rejects.toMatchObject({ code: 'UPSTREAM_ERROR', status: 404 });
    routes.set('/api/items', (res) => {
      res.writeHead(302, { location: 'http://127.0.0.2:1/' });
      res.end();
    });
    await expect(source(server).search(alert(), ctx())).rejects.toMatchObject({ code: 'UPSTREAM_ERROR', status: 302 });
  });

  it('maps a body that is not JSON to UPSTREAM_ERROR', async () => {
    routes.set('/api/items', (res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>captcha</html>');
    });
    await expect(source(server).search(alert(), ctx())).rejects.toMatchObject({ code: 'UPSTREAM_ERROR', httpStatus: 502, message: expect.stringMatching(/not JSON \(text\/html\)/) });
  });

  it('maps an answer without the items array to UPSTREAM_ERROR naming itemsPath', async () => {
    routes.set('/api/items', (res) => json(res, { data: { results: [] } }));
    await expect(source(server).search(alert(), ctx())).rejects.toMatchObject({ code: 'UPSTREAM_ERROR', message: expect.stringContaining('"data.items"') });
    routes.set('/api/items', (res) => json(res, { data: { items: { not: 'an array' } } }));
    await expect(source(server).search(alert(), ctx())).rejects.toMatchObject({ code: 'UPSTREAM_ERROR' });
  });

  it('refuses a body over maxResponseBytes, declared or streamed', async () => {
    const big = JSON.stringify({ data: { items: [{ id: 1, title: 'x'.repeat(5000) }] } });
    routes.set('/api/items', (res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(big)) });
      res.end(big);
    });
    await expect(source(server, { maxResponseBytes: 1024 }).search(alert(), ctx())).rejects.toMatchObject({ code: 'UPSTREAM_ERROR', message: expect.stringContaining('more than 1024 bytes') });
    routes.set('/api/items', (res) => {
      res.writeHead(200, { 'content-type': 'application/json' }); // chunked: no length declared
      res.write(big.slice(0, 3000));
      res.end(big.slice(3000));
    });
    await expect(source(server, { maxResponseBytes: 1024 }).search(alert(), ctx())).rejects.toMatchObject({ code: 'UPSTREAM_ERROR', message: expect.stringContaining('more than 1024 bytes') });
    // The same answer under a cap that fits is read.
    await expect(source(server, { maxResponseBytes: 10_000 }).search(alert(), ctx())).resolves.toHaveLength(1);
  });

  it('times out a server that never answers with UPSTREAM_TIMEOUT (504)', async () => {
    routes.set('/api/items', () => undefined); // never answers
    await expect(source(server, { timeoutMs: 200 }).search(alert(), ctx())).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT', httpStatus: 504, status: null });
    // The context's bound applies too when it is the shorter one.
    await expect(source(server, { timeoutMs: 60_000 }).search(alert(), ctx(200))).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
  });

  it('times out a body that stops midway', async () => {
    routes.set('/api/items', (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"data":{"items":['); // and nothing more
    });
    await expect(source(server, { timeoutMs: 200 }).search(alert(), ctx())).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
  });

  it('rethrows the abort reason when the command is abandoned', async () => {
    routes.set('/api/items', () => undefined);
    const controller = new AbortController();
    const reason = new Error('command abandoned');
    const pending = source(server).search(alert(), { credential: CRED, signal: controller.signal, timeoutMs: 60_000 });
    const before = server.requests.length;
    while (server.requests.length === before) await new Promise((r) => setTimeout(r, 5));
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });

  it('maps a refused connection to UPSTREAM_ERROR', async () => {
    const gone = await startServer(() => undefined);
    await gone.close();
    const s = source(gone);
    await expect(s.search(alert(), ctx())).rejects.toMatchObject({ code: 'UPSTREAM_ERROR', status: null, message: expect.stringContaining('ECONNREFUSED') });
  });
});

describe('createSources', () => {
  it('names the source and the types there are for an unknown or missing type', () => {
    expect(() => createSources({ shop: { type: 'graphql' } })).toThrow(ConfigError);
    expect(() => createSources({ shop: { type: 'graphql' } })).toThrow('Source "shop" has unknown type "graphql". Types there are: http-json.');
    expect(() => createSources({ shop: { url: 'http://x' } })).toThrow(/Source "shop" has no "type"/);
    expect(() => createSources({ shop: 'http://x' })).toThrow(/Source "shop" has no "type"/);
  });

  it('names the source and the field of a bad definition', () => {
    const base = { type: 'http-json', url: 'http://127.0.0.1:1/?q={query}' };
    expect(() => createSources({ shop: { ...base, url: 'ftp://x/{query}' } })).toThrow(/Invalid source "shop" \(http-json\): url: expected an http or https URL/);
    expect(() => createSources({ shop: { ...base, url: 'http://x/?q={qery}' } })).toThrow(/url: unknown placeholder\(s\) \{qery\}/);
    expect(() => createSources({ shop: { ...base, fields: { id: 'id', titel: 'title' } } })).toThrow(/Invalid source "shop" \(http-json\): fields/);
    expect(() => createSources({ shop: { ...base, credential: { as: 'header' } } })).toThrow(/credential/);
    expect(() => createSources({ shop: { ...base, timeoutMs: 10 } })).toThrow(/timeoutMs/);
    expect(() => createSources({ shop: { ...base, body: { q: '{query}' } } })).toThrow(/body: a body needs "method": "POST"/);
    expect(() => createSources({ shop: { ...base, extra: 1 } })).toThrow(/Invalid source "shop"/);
  });

  it('builds every source by name, with defaults', () => {
    const sources = createSources({ a: { type: 'http-json', url: 'http://127.0.0.1:1/a' }, b: { type: 'http-json', url: 'https://example.com/b?q={query}' } });
    expect([...sources.keys()]).toEqual(['a', 'b']);
    expect(sources.get('a')!.name).toBe('a');
  });

  it('takes more adapters through factories', async () => {
    const fake: SourceFactory = {
      type: 'fake',
      create: (name) => ({ name, search: async (a) => [{ id: a.id, title: a.query, price: null, currency: null, url: null, condition: null, brand: null, photo: null }] }),
    };
    const sources = createSources({ f: { type: 'fake' }, h: { type: 'http-json', url: 'http://127.0.0.1:1/' } }, { factories: [...builtinSourceFactories, fake] });
    await expect(sources.get('f')!.search(alert(), ctx())).resolves.toEqual([expect.objectContaining({ id: 'a1', title: 'veste cuir' })]);
    expect(() => createSources({ f: { type: 'fake' } })).toThrow(/unknown type "fake"/);
  });
});

