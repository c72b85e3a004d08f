import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { VigieConfig } from '../config/load.js';
import { ForeignError, isErrorCode, VigieError } from '../errors.js';
import { createHttpApp, OPEN_ROUTE } from '../http/app.js';
import { sendError } from '../http/errors.js';
import type { SuccessBody } from '../wire/answer.js';
import type { Logger } from '../observability/logger.js';
import type { WorkerMetrics } from '../observability/metrics.js';
import type { Store } from '../store/index.js';
import { withDeadline } from '../util/deadline.js';
import type { CommandRegistry } from './commands/registry.js';
import { COMMAND_TYPES, type CommandContext, type WorkerIdentity } from './commands/types.js';

const commandSchema = z
  .object({
    type: z.string({ error: 'type is required (one of check-alerts, scrape, generate-cookies, custom)' }),
    payload: z.unknown().optional(),
    id: z.string().max(200).optional(),
  })
  .strict();

/** Header a caller (the coordinator) uses to ask for a shorter deadline than COMMAND_TIMEOUT_MS. */
export const DEADLINE_HEADER = 'x-vigie-deadline-ms';

export interface WorkerServerDeps {
  config: VigieConfig;
  identity: WorkerIdentity;
  registry: CommandRegistry;
  store: Store;
  logger: Logger;
  metrics: WorkerMetrics;
}

/** The state a worker's routes share: commands in flight, draining on shutdown. */
export interface WorkerServer {
  app: FastifyInstance;
  inFlight(): number;
  /** Refuses new commands from now on; resolves when those in flight have answered or `graceMs` passed. */
  drain(graceMs: number): Promise<void>;
}

/** Builds the worker's HTTP app: health, metrics and the command endpoint. */
export function createWorkerServer(deps: WorkerServerDeps): WorkerServer {
  const { config, identity, registry, store, logger, metrics } = deps;
  const startedAt = Date.now();
  const shutdown = new AbortController();
  let inFlight = 0;
  let draining = false;
  let idle: (() => void) | undefined;

  const app = createHttpApp({ logger, bodyLimit: config.maxBodyBytes, apiKeys: config.apiKey ?? [], publicRead: config.publicRead, metrics: metrics.registry, timeouts: { headersMs: config.httpHeadersTimeoutMs, requestMs: config.httpRequestTimeoutMs } });

  app.get('/api/health', OPEN_ROUTE, async () => ({ status: 'ok', role: 'worker', id: identity.id, version: identity.version }));

  app.get('/api/v1/worker/health', OPEN_ROUTE, async (_request, reply) => {
    let storeReachable = true;
    try {
      await withDeadline(2000, () => store.ping());
    } catch {
      storeReachable = false;
    }
    // A worker whose store is gone cannot read its credentials: report it sick so that the
    // coordinator routes around it instead of collecting NO_SCRAPING_COOKIES answers.
    const healthy = storeReachable && !draining;
    return reply.code(healthy ? 200 : 503).send({
      status: healthy ? 'healthy' : draining ? 'draining' : 'unhealthy',
      id: identity.id,
      name: identity.name,
      region: identity.region,
      version: identity.version,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      inFlight,
      store: { kind: store.kind, reachable: storeReachable },
      customCommands: registry.customCommands().map((c) => c.name),
    });
  });

  app.post('/api/v1/worker/execute', async (request, reply) => {
    if (draining) {
      return sendError(reply, new VigieError('SHUTTING_DOWN', 'This worker is shutting down; send the command to another worker.', 503));
    }
    const parsed = commandSchema.safeParse(request.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
      const msg = issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : `${where}${issue.message}`;
      metrics.commands.inc({ type: 'invalid', outcome: 'INVALID_COMMAND' });
      return sendError(reply, new VigieError('INVALID_COMMAND', `Invalid command: ${msg}. Expected { "type": ..., "payload": ... }.`, 400));
    }
    const { type, payload } = parsed.data;
    const started = performance.now();
    inFlight++;
    metrics.inFlight.inc();
    try {
      const handler = registry.resolve(type);
      const ms = deadlineFor(request.headers[DEADLINE_HEADER], config.commandTimeoutMs);
      const data = await withDeadline(
        ms,
        (signal) => {
          const ctx: CommandContext = { signal, deadline: Date.now() + ms, logger: request.log as unknown as Logger, store, config, worker: identity };
          return handler(payload, ctx);
        },
        () => new VigieError('COMMAND_TIMEOUT', `The "${type}" command did not finish within ${ms} ms; it was abandoned.`, 504),
        shutdown.signal,
      );
      metrics.commands.inc({ type, outcome: 'ok' });
      // The seed's jobs are logged as they succeed; custom commands (echo, diagnostics) can come
      // by the thousand a second, so their successes go to debug.
      if (type === 'custom') request.log.debug({ type, ms: elapsed(started) }, 'command ok');
      else request.log.info({ type, ms: elapsed(started) }, 'command ok');
      const answer: SuccessBody = { success: true, data };
      return answer;
    } catch (err) {
      const e = toVigieError(err, type);
      metrics.commands.inc({ type: typeLabel(type), outcome: e.code });
      request.log.warn({ type, code: e.code, status: e.httpStatus, ms: elapsed(started) }, 'command failed');
      return sendError(reply, e);
    } finally {
      metrics.duration.observe({ type: typeLabel(type) }, elapsed(started) / 1000);
      metrics.inFlight.dec();
      if (--inFlight === 0) idle?.();
    }
  });

  return {
    app,
    inFlight: () => inFlight,
    async drain(graceMs) {
      draining = true;
      if (inFlight === 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          logger.warn({ inFlight }, 'shutdown grace over; abandoning commands in flight');
          shutdown.abort(new VigieError('SHUTTING_DOWN', 'The worker is shutting down.', 503));
          resolve();
        }, graceMs);
        idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
  };
}

function deadlineFor(header: string | string[] | undefined, max: number): number {
  const asked = typeof header === 'string' ? Number(header) : NaN;
  return Number.isFinite(asked) && asked > 0 ? Math.min(asked, max) : max;
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}

/** Bounded label values: an attacker-chosen type must not grow the metrics without limit. */
function typeLabel(type: string): string {
  return (COMMAND_TYPES as readonly string[]).includes(type) ? type : 'unknown';
}

/**
 * A handler's failure as an answer. Plugins need not import Vigie's classes: any error with a
 * string `code` and a numeric `httpStatus` (4xx/5xx) keeps them, e.g. an upstream block as
 * `{ code: 'UPSTREAM_FORBIDDEN', httpStatus: 403 }`, which the coordinator bans on.
 */
function toVigieError(err: unknown, type: string): VigieError | ForeignError {
  if (err instanceof VigieError) return err;
  const e = err as { code?: unknown; httpStatus?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (typeof e?.code === 'string' && /^[A-Z][A-Z0-9_]{1,63}$/.test(e.code) && typeof e.httpStatus === 'number' && e.httpStatus >= 400 && e.httpStatus <= 599) {
    return isErrorCode(e.code) ? new VigieError(e.code, message, e.httpStatus, { cause: err }) : new ForeignError(e.code, message, e.httpStatus, { cause: err });
  }
  return new VigieError('COMMAND_FAILED', `The "${type}" command failed: ${message}`, 500, { cause: err });
}
