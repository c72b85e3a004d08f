import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyCors from '@fastify/cors';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { LiveConfig } from '../config/live.js';
import { ConfigError } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import type { Store } from '../store/index.js';
import { dashboardApiRoutes } from './api-routes.js';
import type { EventFeed, EventFeedOptions } from './event-feed.js';
import { eventsRoute } from './events-route.js';

/** Where `npm run build` puts the page (scripts/build-dashboard.mjs): dist/web beside dist/dashboard. */
export const WEB_DIR = fileURLToPath(new URL('../web/', import.meta.url));

export interface DashboardDeps {
  bus: EventBus;
  store: Store;
  live: LiveConfig;
  /** Origins of pages on other coordinators allowed to call this one (DASHBOARD_ALLOWED_ORIGINS). */
  allowedOrigins?: readonly string[];
  feed?: EventFeedOptions & { onFeed?: (feed: EventFeed) => void };
  /** The built page; WEB_DIR by default. */
  webDir?: string;
}

/** The dashboard: the page at `/` and `/dashboard`, its live feed and its reads. */
export async function registerDashboard(app: FastifyInstance, deps: DashboardDeps): Promise<void> {
  const origins = checkOrigins(deps.allowedOrigins ?? []);
  if (origins.length > 0) {
    // App-wide on purpose: the page reads the fleet, runs and health routes too.
    await app.register(fastifyCors, {
      origin: origins,
      methods: ['GET', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: ['x-api-key', 'last-event-id', 'content-type', 'idempotency-key'],
      exposedHeaders: ['retry-after'],
      maxAge: 600,
    });
  }
  await app.register(eventsRoute, { bus: deps.bus, ...deps.feed });
  await app.register(dashboardApiRoutes, { store: deps.store, live: deps.live });
  await app.register(dashboardPage, { webDir: deps.webDir ?? WEB_DIR });
}

/** The origins as browsers send them (`scheme://host[:port]`), or a ConfigError naming the bad one. */
function checkOrigins(origins: readonly string[]): string[] {
  return origins.map((o) => {
    let u: URL | undefined;
    try {
      u = new URL(o);
    } catch {
      u = undefined;
    }
    if (!u || !['http:', 'https:'].includes(u.protocol) || u.origin !== o.replace(/\/$/, '')) {
      throw new ConfigError(`DASHBOARD_ALLOWED_ORIGINS: "${o}" is not an origin; give scheme://host[:port] with no path, e.g. http://10.0.0.2:8080.`);
    }
    return u.origin;
  });
}

/** Serves the built page; without a build, says how to make one instead of a bare 404. */
async function dashboardPage(app: FastifyInstance, opts: { webDir: string }): Promise<void> {
  const built = existsSync(`${opts.webDir}/index.html`);
  // The page and its assets are open: they hold no data, everything shown comes with the key.
  // Every route of this plugin (those of @fastify/static included) is marked so.
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, open: true };
  });
  if (built) {
    await app.register(fastifyStatic, { root: opts.webDir, prefix: '/dashboard/', redirect: false, index: 'index.html', cacheControl: false });
  }
  const page = async (_request: unknown, reply: import('fastify').FastifyReply) => {
    if (!built) {
      return reply.code(503).type('text/plain; charset=utf-8').send('The dashboard is not built: run `npm run build` (it bundles packages/vigie/dashboard into dist/web).\n');
    }
    // The page is small and changes with each build: no caching, so an upgrade shows at once.
    return reply.header('cache-control', 'no-store').sendFile('index.html');
  };
  app.get('/', page);
  app.get('/dashboard', page);
}
