// Direct routes (http/direct-routes.ts): the common path is served before fastify, everything
// else reaches the fastify route of the same url unread, and both answer alike.
import { PassThrough } from 'node:stream';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { VigieError } from '../../src/errors.js';
import { createHttpApp } from '../../src/http/app.js';
import type { DirectAnswer } from '../../src/http/direct-routes.js';
import { captureLogger } from '../helpers/capture-logger.js';

const KEY = 'direct-routes-test-key-0123456789';
const BODY_LIMIT = 1000;

let app: FastifyInstance;
let base: string;
let log: ReturnType<typeof captureLogger>;
/** Which way each request went, in order. */
let via: string[];

/** The route's one handler: echoes `x`, refuses `{ "refuse": true }`, fails on `{ "crash": true }`. */
async function handle(body: unknown): Promise<DirectAnswer> {
  const b = body as { x?: unknown; refuse?: boolean; crash?: boolean };
  if (b.refuse) throw new VigieError('INVALID_COMMAND', 'refused on purpose', 400);
  if (b.crash) throw new Error('boom');
  return { status: 200, body: { success: true, x: b.x } };
}

beforeEach(async () => {
  log = captureLogger('info');
  via = [];
  app = createHttpApp({ logger: log.logger, bodyLimit: BODY_LIMIT, apiKeys: [KEY], metrics: new Registry(), timeouts: { headersMs: 5000, requestMs: 10_000 } });
  app.post('/echo', async (request, reply) => {
    via.push('fastify');
    const a = await handle(request.body);
    return reply.code(a.status).send(a.body);
  });
  app.directRoutes.add({ url: '/echo', handle: (body) => (via.push('direct'), handle(body)) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
afterEach(() => app.close());

async function post(body: string | Uint8Array | ReadableStream, headers: Record<string, string> = {}, path = '/echo'): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    // A header given as '' is left out.
    headers: Object.fromEntries(Object.entries({ 'x-api-key': KEY, 'content-type': 'application/json', ...headers }).filter(([, v]) => v !== '')),
    body,
    ...(body instanceof ReadableStream && { duplex: 'half' }),
  } as RequestInit);
  return { status: res.status, json: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

describe('direct routes', () => {
  it('serve the common path before fastify, with the same answer and headers', async () => {
    const direct = await post('{"x": 1}');
    const framework = await post('{"x": 1}', { origin: 'http://127.0.0.1' });
    expect(via).toEqual(['direct', 'fastify']);
    expect(direct.status).toBe(200);
    expect(direct.json).toEqual({ success: true, x: 1 });
    expect(framework.json).toEqual(direct.json);
    expect(direct.headers.get('content-type')).toBe(framework.headers.get('content-type'));
    expect(direct.headers.get('content-length')).toBe(framework.headers.get('content-length'));
    // application/json with parameters, in any case.
    expect((await post('{"x": 2}', { 'content-type': 'Application/JSON; charset=utf-8' })).json).toEqual({ success: true, x: 2 });
    expect(via.at(-1)).toBe('direct');
  });

  it('answer bad bodies as fastify does, in Vigie\'s shape', async () => {
    const cases: Array<[string, number, string]> = [
      ['{"x": ', 400, 'INVALID_JSON'],
      ['', 400, 'INVALID_JSON'],
      ['{"__proto__": {"x": 1}}', 400, 'INVALID_JSON'],
      ['{"constructor": {"prototype": {"x": 1}}}', 400, 'INVALID_JSON'],
      [`{"x": ${'['.repeat(100)}${']'.repeat(100)}}`, 400, 'JSON_TOO_DEEP'],
      ['{"refuse": true}', 400, 'INVALID_COMMAND'],
    ];
    for (const [body, status, code] of cases) {
      via = [];
      const direct = await post(body);
      const framework = await post(body, { origin: 'http://127.0.0.1' });
      expect(direct.status, body).toBe(status);
      expect(direct.json, body).toMatchObject({ success: false, error: code, code, httpStatus: status });
      expect(framework.json, body).toEqual(direct.json);
      // The two parse errors are found before the handler runs, on either path.
      expect(via, body).toEqual(code === 'INVALID_COMMAND' ? ['direct', 'fastify'] : []);
    }
  });

  it('answer a handler\'s unexpected error with INTERNAL_ERROR and log it, on either path', async () => {
    const direct = await post('{"crash": true}');
    const framework = await post('{"crash": true}', { origin: 'http://127.0.0.1' });
    expect(via).toEqual(['direct', 'fastify']);
    for (const a of [direct, framework]) expect(a).toMatchObject({ status: 500, json: { success: false, error: 'INTERNAL_ERROR', httpStatus: 500 } });
    expect(direct.json.message).not.toContain('boom');
    expect(log.lines().filter((l) => l.msg === 'unhandled error' && (l.err as { message?: string })?.message === 'boom')).toHaveLength(2);
  });

  it('pass every other request to fastify unread', async () => {
    const chunked = new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode('{"x": 3}')), c.close()) });
    expect((await post(chunked)).json).toEqual({ success: true, x: 3 });
    expect(via).toEqual(['fastify']);
    // fastify's own answers: wrong key, wrong type, too large, unknown route, query string.
    expect(await post('{"x": 1}', { 'x-api-key': 'wrong' })).toMatchObject({ status: 401, json: { error: 'UNAUTHORIZED' } });
    expect(await post('x', { 'content-type': 'text/x-nothing' })).toMatchObject({ status: 415, json: { error: 'UNSUPPORTED_MEDIA_TYPE' } });
    expect(await post(`{"x": "${'a'.repeat(BODY_LIMIT)}"}`)).toMatchObject({ status: 413, json: { error: 'BODY_TOO_LARGE' } });
    expect(await post('{"x": 1}', {}, '/echo2')).toMatchObject({ status: 404, json: { error: 'NOT_FOUND' } });
    expect((await post('{"x": 4}', {}, '/echo?a=1')).json).toEqual({ success: true, x: 4 });
    expect(via).toEqual(['fastify', 'fastify']);
    // The key in `authorization: Bearer` takes the direct path too.
    expect((await post('{"x": 5}', { 'x-api-key': '', authorization: `Bearer ${KEY}` })).json).toEqual({ success: true, x: 5 });
    expect(via.at(-1)).toBe('direct');
  });

  it('stop serving once the server closes (fastify answers what still arrives)', async () => {
    const direct = app.directRoutes;
    const req = { method: 'POST', url: '/echo', headers: { 'content-type': 'application/json', 'content-length': '2', 'x-api-key': KEY } };
    const res = {};
    // Served before close (the request is read; nothing arrives, so nothing is answered).
    expect(direct.serve(Object.assign(new PassThrough(), req) as never, res as never)).toBe(true);
    await app.close();
    expect(direct.serve(Object.assign(new PassThrough(), req) as never, res as never)).toBe(false);
  });

  it('refuse a url registered twice', () => {
    expect(() => app.directRoutes.add({ url: '/echo', handle })).toThrow(/already registered/);
  });
});
