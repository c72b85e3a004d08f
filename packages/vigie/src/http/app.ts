import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { VigieError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { createKeyCheck } from './auth.js';
import { installErrorHandler, sendError } from './errors.js';

export interface HttpAppOptions {
  logger: Logger;
  bodyLimit: number;
  /** Keys accepted in `x-api-key` on mutating routes; empty: no key needed (insecure mode). */
  apiKeys: readonly string[];
  /** Served at GET /metrics. */
  metrics: Registry;
}

/**
 * A fastify app with what every Vigie server shares: the error shape, `x-api-key` on every
 * non-GET route (checked onRequest, before the body is read, so that a wrong key costs
 * nothing and runs nothing), and `/metrics`. Reads (GET) are open: health checks and
 * dashboards need no secret, and no GET answer holds one.
 */
export function createHttpApp(opts: HttpAppOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: opts.logger as FastifyBaseLogger,
    // Commands are logged once each by their route, with outcome and duration; fastify's
    // per-request lines would double that and log health checks every minute per worker.
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request: routes log little, and a pino child per request is a
    // measurable part of the execute hot path (bench/dispatch).
    childLoggerFactory: (logger) => logger,
    bodyLimit: opts.bodyLimit,
  });
  installErrorHandler(app);
  const checkKey = createKeyCheck(opts.apiKeys);
  const keyRequired = opts.apiKeys.length > 0;
  // Callback style, not async: this runs on every request, and an async hook costs a promise.
  app.addHook('onRequest', (request, reply, done) => {
    // OPTIONS: a browser's CORS preflight never carries the key; it runs nothing, and only a
    // route that allows the origin (DASHBOARD_ALLOWED_ORIGINS) answers it.
    if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS' || !keyRequired) return done();
    const provided = request.headers['x-api-key'];
    if (checkKey(typeof provided === 'string' ? provided : undefined)) return done();
    request.log.warn({ route: request.url, ip: request.ip }, 'rejected: missing or wrong x-api-key');
    void sendError(reply, new VigieError('UNAUTHORIZED', 'Missing or wrong x-api-key header. Send the key set in VIGIE_API_KEY.', 401));
  });
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', opts.metrics.contentType);
    return opts.metrics.metrics();
  });
  return app;
}
