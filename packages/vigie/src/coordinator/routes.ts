import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { workerEntrySchema } from '../config/load.js';
import { VigieError } from '../errors.js';
import { sendError } from '../http/errors.js';
import { OPEN_ROUTE } from '../http/app.js';
import type { DirectAnswer } from '../http/direct-routes.js';
import { intQuery } from '../http/request-guards.js';
import type { LiveConfig } from '../config/live.js';
import { RUNTIME_KEYS } from '../config-store/index.js';
import type { LeaderElector, LockBackend } from '../lock/index.js';
import type { Store } from '../store/index.js';
import { withDeadline } from '../util/deadline.js';
import type { CycleScheduler } from './scheduler.js';
import type { Dispatcher } from './dispatcher.js';
import type { Fleet } from './fleet.js';
import { fleetStats } from './fleet-stats.js';
import { hasNul, NUL_MESSAGE } from '../util/text.js';

const commandSchema = z.object({ type: z.string().min(1), payload: z.unknown().optional() }).strict();

/** A PATCH of a worker: the entry's own rules for url, region and name; at least one of them. */
const workerPatchSchema = workerEntrySchema
  .pick({ url: true, region: true, name: true })
  .partial()
  .strict()
  .refine((p) => p.url !== undefined || p.region !== undefined || p.name !== undefined, 'give at least one field');

// The bounds before int(): an answer to 1e308 names the 7-day bound, not the largest safe integer.
const banSchema = z.object({ durationMs: z.number().min(1000).max(7 * 24 * 3_600_000).int().optional(), reason: z.string().min(1).max(200).refine((s) => !hasNul(s), NUL_MESSAGE).optional() }).strict();

export interface CoordinatorRoutesDeps {
  fleet: Fleet;
  dispatcher: Dispatcher;
  store: Store;
  cycles: CycleScheduler;
  version: string;
  startedAt: number;
  elector: LeaderElector;
  lock: LockBackend;
  /** The settings in force now (run-time ones may have been changed by `vigie config set`). */
  live: LiveConfig;
  onDispatch?: (ok: boolean, code: string, seconds: number) => void;
}

/** The coordinator's HTTP API (the seed's endpoints, plus runtime registry and run history). */
export function registerCoordinatorRoutes(app: FastifyInstance, deps: CoordinatorRoutesDeps): void {
  const { fleet, dispatcher, store } = deps;

  app.get('/api/health', OPEN_ROUTE, async (_request, reply) => {
    let storeReachable = true;
    try {
      await withDeadline(2000, () => store.ping());
    } catch {
      storeReachable = false;
    }
    let lockReachable = true;
    try {
      await withDeadline(2000, () => deps.lock.inspect(deps.elector.key));
    } catch {
      lockReachable = false;
    }
    const stats = fleetStats(fleet.list(), Date.now());
    const leadership = deps.elector.status();
    return reply.code(storeReachable ? 200 : 503).send({
      status: storeReachable ? (lockReachable ? 'ok' : 'degraded') : 'unhealthy',
      role: 'coordinator',
      version: deps.version,
      uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
      store: { kind: store.kind, reachable: storeReachable },
      // Redis (or the file lock): without it no coordinator can lead, so no cycle runs.
      lock: { backend: deps.lock.kind, reachable: lockReachable },
      leadership: { role: leadership.role, holder: leadership.holder, fencing: leadership.fencing, leaseLeftMs: leadership.leaseLeftMs, since: new Date(leadership.since).toISOString() },
      workers: { total: stats.totalWorkers, available: stats.availableWorkers },
    });
  });

  app.get('/api/v1/worker/main/stats', async () => fleetStats(fleet.list(), Date.now(), (id) => fleet.latency(id)));

  // Run-time settings only: none is a secret (the config store refuses secret keys).
  app.get('/api/v1/config/runtime', async () => {
    const current = deps.live.current();
    return { settings: Object.fromEntries(RUNTIME_KEYS.map((k) => [k, current[k]])) };
  });

  app.get('/api/v1/worker/main/workers', async () => ({ workers: fleet.list().map(({ id, name, region, url, origin }) => ({ id, name, region, url, origin })) }));

  app.post('/api/v1/worker/main/workers', async (request, reply) => {
    const parsed = workerEntrySchema.safeParse(request.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return sendError(reply, new VigieError('INVALID_WORKER', `Invalid worker: ${issue.path.join('.') || 'body'}: ${issue.message}. Expected { "id", "url", "name"?, "region"? }.`, 400));
    }
    const w = await fleet.add(parsed.data);
    return reply.code(201).send({ success: true, worker: { id: w.id, name: w.name, region: w.region, url: w.url, origin: w.origin } });
  });

  app.delete<{ Params: { id: string } }>('/api/v1/worker/main/workers/:id', async (request) => {
    await fleet.remove(request.params.id);
    return { success: true };
  });

  // Moves or renames a worker while it runs: the next command goes to the new url.
  app.patch<{ Params: { id: string } }>('/api/v1/worker/main/workers/:id', async (request, reply) => {
    const parsed = workerPatchSchema.safeParse(request.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return sendError(reply, new VigieError('INVALID_WORKER', `Invalid change: ${issue.path.join('.') || 'body'}: ${issue.message}. Expected one or more of { "url", "region", "name" }.`));
    }
    const w = await fleet.update(request.params.id, parsed.data, 'operator');
    return { success: true, worker: { id: w.id, name: w.name, region: w.region, url: w.url, origin: w.origin } };
  });

  app.post<{ Params: { id: string } }>('/api/v1/worker/main/workers/:id/ban', async (request, reply) => {
    const parsed = banSchema.safeParse(request.body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return sendError(reply, new VigieError('INVALID_INPUT', `Invalid ban: ${issue.path.join('.') || 'body'}: ${issue.message}. Expected { "durationMs"?, "reason"? }.`));
    }
    const w = fleet.get(request.params.id);
    if (!w) throw new VigieError('WORKER_NOT_FOUND', `No worker with id "${request.params.id}"; vigie workers list shows them.`);
    const until = Date.now() + (parsed.data.durationMs ?? deps.live.current().workerBanDurationMs);
    // An operator's ban does not count towards the doubling of repeat offenders' bans.
    await fleet.ban(w.id, { until, banCount: w.banCount, reason: parsed.data.reason ?? 'banned by an operator' });
    return { success: true, bannedUntil: new Date(until).toISOString() };
  });

  app.post<{ Params: { id: string } }>('/api/v1/worker/main/workers/:id/unban', async (request) => {
    const unbanned = await fleet.unban(request.params.id, 'operator', Date.now());
    return { success: true, unbanned };
  });

  // The data plane: every client's commands. Served directly from node:http on its common path
  // (http/direct-routes.ts), by fastify otherwise (CORS, chunked bodies, inject in tests).
  const execute = async (body: unknown): Promise<DirectAnswer> => {
    const parsed = commandSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new VigieError('INVALID_COMMAND', `Invalid command: ${issue.path.join('.') || 'body'}: ${issue.message}. Expected { "type": ..., "payload": ... }.`, 400);
    }
    const t0 = performance.now();
    const result = await dispatcher.dispatch(parsed.data);
    deps.onDispatch?.(result.ok, result.ok ? 'ok' : result.code, (performance.now() - t0) / 1000);
    if (result.ok) return { status: 200, body: { success: true, data: result.data, workerId: result.workerId, attempts: result.attempts.length } };
    return {
      status: result.httpStatus,
      body: { success: false, error: result.code, code: result.code, message: result.message, httpStatus: result.httpStatus, attempts: result.attempts },
    };
  };
  app.post('/api/v1/worker/main/execute', async (request, reply) => {
    const answer = await execute(request.body);
    return reply.code(answer.status).send(answer.body);
  });
  app.directRoutes.add({ url: '/api/v1/worker/main/execute', handle: execute });

  app.post('/api/v1/alerts/run-once', async () => {
    // Cycles write under the leader's fence: a follower would be refused by the store anyway.
    const leadership = deps.elector.status();
    if (leadership.role !== 'leader') {
      throw new VigieError('NOT_LEADER', `This coordinator is a follower; send run-once to the leader (${leadership.holder ?? 'none elected yet'}).`, 503);
    }
    return { success: true, data: await deps.cycles.runOnce('manual') };
  });

  app.get<{ Querystring: { limit?: string } }>('/api/v1/alerts/runs', async (request) => {
    const limit = intQuery('limit', request.query.limit, 20, 1, 500);
    return { runs: await store.alertRuns.listRecent(limit) };
  });
}
