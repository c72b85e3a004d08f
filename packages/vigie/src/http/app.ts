import { createServer, type ServerOptions } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { VigieError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { createKeyCheck, providedKey } from './auth.js';
import { DirectRoutes } from './direct-routes.js';
import { clientErrorHandler, frameworkErrors, installErrorHandler, sendError } from './errors.js';
import { installInputGuards, installJsonParser } from './request-guards.js';

export interface HttpAppOptions {
  logger: Logger;
  bodyLimit: number;
  /** Keys accepted in `x-api-key` (or `authorization: Bearer`); empty: no key needed (insecure mode). */
  apiKeys: readonly string[];
  /** GET/HEAD need no key (VIGIE_PUBLIC_READ; checkApiKeyConfig allows it on loopback listeners only). */
  publicRead?: boolean;
  /** Served at GET /metrics. */
  metrics: Registry;
  /** Time to receive a request's headers, and the whole request (headers and body); a slower client gets 408. */
  timeouts: { headersMs: number; requestMs: number };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Routes served before fastify on their common path (direct-routes.ts); register each as a fastify route too. */
    directRoutes: DirectRoutes;
  }
  interface FastifyContextConfig {
    /** Served without a key: health answers that load balancers and the coordinator poll. */
    open?: boolean;
  }
}

/** Route options of an endpoint anyone may call (health only): `app.get(path, OPEN_ROUTE, handler)`. */
export const OPEN_ROUTE = { config: { open: true } } as const;

/** How often Node looks for requests past their timeout (its default, 30 s, would let a slow body hold a socket that much longer). */
const TIMEOUT_CHECK_INTERVAL_MS = 1000;

/**
 * A fastify app with what every Vigie server shares: the error shape, the API key on every
 * route (checked at preParsing, before the body is read, so that a wrong key costs nothing and runs
 * nothing), and `/metrics`. Reads need the key too: they return the fleet, alerts, matches,
 * runs, credential state and config, and `/metrics` names the workers. Only routes declared
 * with OPEN_ROUTE (health) are open, and every GET when `publicRead` is set. Direct routes
 * (`app.directRoutes`, direct-routes.ts) check the same key, with the same function, before
 * they read a body; a request without it goes on to fastify, which refuses it here.
 */
export function createHttpApp(opts: HttpAppOptions): FastifyInstance {
  const checkKey = createKeyCheck(opts.apiKeys);
  const keyRequired = opts.apiKeys.length > 0;
  const publicRead = opts.publicRead === true;
  const direct = new DirectRoutes({
    logger: opts.logger,
    bodyLimit: opts.bodyLimit,
    authorized: (request) => !keyRequired || checkKey(providedKey(request.headers)),
  });
  const app = Fastify({
    // fastify's documented hook for a server of one's own: the direct routes see each request
    // first and pass on the rest. The server is made with the settings fastify would give it.
    serverFactory: (handler, options) => {
      // fastify hands over its options with its defaults filled in.
      const o = options as { http?: ServerOptions | null; keepAliveTimeout: number; requestTimeout: number; connectionTimeout: number };
      const server = createServer(o.http ?? {}, (request, response) => {
        if (!direct.serve(request, response)) handler(request, response);
      });
      server.keepAliveTimeout = o.keepAliveTimeout;
      server.requestTimeout = o.requestTimeout;
      server.setTimeout(o.connectionTimeout);
      return server;
    },
    loggerInstance: opts.logger as FastifyBaseLogger,
    // Commands are logged once each by their route, with outcome and duration; fastify's
    // per-request lines would double that and log health checks every minute per worker.
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request: routes log little, and a pino child per request is a
    // measurable part of the execute hot path (bench/dispatch).
    childLoggerFactory: (logger) => logger,
    bodyLimit: opts.bodyLimit,
    // Slow clients (a body trickled byte by byte) cannot hold sockets: Node answers 408 and closes.
    requestTimeout: opts.timeouts.requestMs,
    http: {
      headersTimeout: Math.min(opts.timeouts.headersMs, opts.timeouts.requestMs),
      connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_INTERVAL_MS, opts.timeouts.headersMs),
    },
    frameworkErrors,
    clientErrorHandler,
  });
  app.decorate('directRoutes', direct);
  // While the server drains, fastify answers 503 to what still arrives on open connections.
  app.addHook('preClose', (done) => {
    direct.close();
    done();
  });
  installErrorHandler(app);
  installJsonParser(app);
  installInputGuards(app);
  // Callback style, not async: this runs on every request, and an async hook costs a promise.
  // preParsing, not onRequest: after the CORS hook (onRequest, DASHBOARD_ALLOWED_ORIGINS), so that
  // a refused call from a page on another coordinator carries the CORS headers and the page can
  // say "wrong key" instead of "unreachable"; still before the body is read.
  app.addHook('preParsing', (request, reply, payload, done) => {
    // OPTIONS: a browser's CORS preflight never carries the key; it runs nothing, and only a
    // route that allows the origin (DASHBOARD_ALLOWED_ORIGINS) answers it.
    // The right key first: the common case, and it needs no look at the route.
    if (!keyRequired || checkKey(providedKey(request.headers))) return done(null, payload);
    if (request.method === 'OPTIONS' || request.routeOptions.config?.open === true) return done(null, payload);
    if (publicRead && (request.method === 'GET' || request.method === 'HEAD')) return done(null, payload);
    request.log.warn({ route: request.url, ip: request.ip }, 'rejected: missing or wrong x-api-key');
    void sendError(reply, new VigieError('UNAUTHORIZED', 'Missing or wrong x-api-key header. Send the key set in VIGIE_API_KEY (`vigie up` keeps the key it generated in .vigie/api-key).', 401));
  });
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', opts.metrics.contentType);
    return opts.metrics.metrics();
  });
  return app;
}
