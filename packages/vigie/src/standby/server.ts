/**
 * The monitor's small HTTP endpoint: `GET /api/v1/standby/active` tells the primary (and the
 * standby) whether it may run its periodic jobs; status and metrics for operators; the manual
 * commands for `vigie standby activate|deactivate` while a monitor runs. Health and `active` are
 * open; every other route needs the key when VIGIE_API_KEY is set, as on every Vigie server,
 * and without a key the endpoint must stay on loopback.
 */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { ConfigError, VigieError } from '../errors.js';
import { createHttpApp, OPEN_ROUTE } from '../http/app.js';
import { isLoopback } from '../http/auth.js';
import type { Logger } from '../observability/logger.js';
import { registerSecret } from '../observability/secrets.js';
import type { StandbyMonitor } from './monitor.js';

export interface StandbyServerOptions {
  monitor: StandbyMonitor;
  host: string;
  port: number;
  apiKeys: readonly string[];
  /** VIGIE_PUBLIC_READ: GETs without the key (loopback only). */
  publicRead?: boolean;
  /** HTTP_HEADERS_TIMEOUT_MS / HTTP_REQUEST_TIMEOUT_MS. */
  timeouts: { headersMs: number; requestMs: number };
  metrics: Registry;
  logger: Logger;
}

/** Starts the endpoint; resolves with the app (close it to stop) and its URL. */
export async function startStandbyServer(opts: StandbyServerOptions): Promise<{ app: FastifyInstance; url: string }> {
  if (opts.apiKeys.length === 0 && !isLoopback(opts.host)) {
    throw new ConfigError(`STANDBY_HOST is ${opts.host} but VIGIE_API_KEY is not set: anyone reaching it could activate the standby. Set VIGIE_API_KEY, or keep STANDBY_HOST on loopback.`);
  }
  if (opts.publicRead && !isLoopback(opts.host)) {
    throw new ConfigError(`VIGIE_PUBLIC_READ is only allowed on a loopback address, and STANDBY_HOST is ${opts.host}.`);
  }
  for (const k of opts.apiKeys) registerSecret(k);
  const app = createHttpApp({ logger: opts.logger, bodyLimit: 16 * 1024, apiKeys: opts.apiKeys, publicRead: opts.publicRead, metrics: opts.metrics, timeouts: opts.timeouts });
  const { monitor } = opts;

  app.get('/api/health', OPEN_ROUTE, async () => ({ status: 'ok', state: monitor.snapshot().state.name }));
  // Open like health: the sides poll it (a shell one-liner must not need the key), and it tells
  // only which side is active.
  app.get('/api/v1/standby/active', OPEN_ROUTE, async () => {
    const s = monitor.snapshot();
    return {
      active: s.active,
      state: s.state.name,
      since: s.state.since,
      primaryMayRun: s.active === 'primary',
      standbyMayRun: s.active === 'standby',
    };
  });
  app.get('/api/v1/standby/status', async () => monitor.snapshot());
  for (const command of ['activate', 'deactivate'] as const) {
    app.post(`/api/v1/standby/${command}`, async () => {
      const outcome = await monitor.command(command);
      if (outcome.refused) {
        throw new VigieError('STANDBY_COMMAND_REFUSED', `Cannot ${command} now (${outcome.state.name}): ${outcome.refused}.`, 409);
      }
      return { success: true, state: outcome.state.name };
    });
  }

  await app.listen({ host: opts.host, port: opts.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return { app, url: `http://${host}:${port}` };
}
