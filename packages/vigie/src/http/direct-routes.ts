import type { IncomingMessage, ServerResponse } from 'node:http';
import { ForeignError, VigieError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { errorBody, internalError } from './errors.js';
import { parseJsonBody } from './request-guards.js';

/** What a direct route answers: a status and a JSON body. */
export interface DirectAnswer {
  status: number;
  body: unknown;
}

/**
 * A POST route with a JSON body served straight from node:http, before fastify. The data plane
 * (`POST /api/v1/worker/main/execute`, every command of every client) costs the coordinator
 * about 5 % less CPU per command this way (measured A/B, bench/dispatch/README.md); the same
 * handler is also registered as a fastify route, which serves every request the direct path
 * passes on.
 */
export interface DirectRoute {
  url: string;
  /** Runs with the parsed body; throws a VigieError to refuse it. */
  handle(body: unknown): Promise<DirectAnswer>;
}

export interface DirectRoutesOptions {
  logger: Logger;
  bodyLimit: number;
  /** True when the request carries a key the server accepts (or none is needed). */
  authorized: (request: IncomingMessage) => boolean;
}

/**
 * The direct routes of one server. A request is served here only on the common, well-formed
 * path: POST to a registered url (no query string), `content-type: application/json`, a
 * Content-Length within the body limit, the right key, no `Origin` (CORS is fastify's plugin),
 * and the server not closing. Anything else goes to fastify, unread, which answers it as it
 * answers every other route (401, 404, 413, 415, 503 while closing, CORS), in Vigie's shape.
 */
export class DirectRoutes {
  private readonly routes = new Map<string, DirectRoute>();
  private closing = false;

  constructor(private readonly opts: DirectRoutesOptions) {}

  add(route: DirectRoute): void {
    if (this.routes.has(route.url)) throw new Error(`direct route ${route.url} is already registered`);
    this.routes.set(route.url, route);
  }

  /** From now on every request goes to fastify (it answers 503 while the server drains). */
  close(): void {
    this.closing = true;
  }

  /** Serves `request` and returns true, or returns false without touching it. */
  serve(request: IncomingMessage, response: ServerResponse): boolean {
    if (request.method !== 'POST' || this.closing) return false;
    const route = this.routes.get(request.url!);
    if (route === undefined) return false;
    const headers = request.headers;
    if (headers.origin !== undefined || headers['transfer-encoding'] !== undefined || !isJson(headers['content-type'])) return false;
    const length = Number(headers['content-length']);
    if (!(length <= this.opts.bodyLimit) || !this.opts.authorized(request)) return false;

    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void this.answer(route, chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'), response);
    });
    // A client gone mid-body: Node has closed its socket; nothing to answer.
    request.on('error', () => {});
    return true;
  }

  private async answer(route: DirectRoute, text: string, response: ServerResponse): Promise<void> {
    let answer: DirectAnswer;
    try {
      answer = await route.handle(parseJsonBody(text));
    } catch (err) {
      answer = this.refusal(err);
    }
    const payload = JSON.stringify(answer.body);
    response.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) });
    response.end(payload);
  }

  /** A thrown error in Vigie's shape, as fastify's error handler (errors.ts) answers it. */
  private refusal(err: unknown): DirectAnswer {
    const e = err instanceof VigieError || err instanceof ForeignError ? err : internalError(err, this.opts.logger);
    return { status: e.httpStatus, body: errorBody(e) };
  }
}

/** `application/json`, with or without parameters (fastify's parser takes both). */
function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  if (contentType === 'application/json') return true;
  const semicolon = contentType.indexOf(';');
  return semicolon >= 0 && contentType.slice(0, semicolon).trim().toLowerCase() === 'application/json';
}
