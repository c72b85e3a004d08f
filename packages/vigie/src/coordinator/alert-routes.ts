import type { FastifyInstance } from 'fastify';
import { alertInputSchema, alertPatchSchema, describeIssue } from '../alerts/schema.js';
import { VigieError } from '../errors.js';
import { intQuery } from '../http/request-guards.js';
import type { Store } from '../store/index.js';

export interface AlertRoutesDeps {
  store: Store;
  /** Source names the coordinator knows (its config file's `sources`); empty: not checked here. */
  knownSources: readonly string[];
}

/** Alerts CRUD under /api/v1/alerts and the recent matches. Bad input → 400 naming the field, nothing stored. */
export function registerAlertRoutes(app: FastifyInstance, deps: AlertRoutesDeps): void {
  const { store, knownSources } = deps;

  /** Refuses a source the coordinator knows is not configured; when it knows none, a warning for the answer. */
  const checkSource = (source: string | undefined): { warnings?: string[] } => {
    if (source === undefined) return {};
    if (knownSources.length === 0) {
      return {
        warnings: [
          `The coordinator has no sources in its config file, so source "${source}" was not checked: a worker without it fails this alert at each cycle with UNKNOWN_SOURCE. Define "${source}" under "sources" in the coordinator's config file (the workers' too) to have it checked here.`,
        ],
      };
    }
    if (!knownSources.includes(source)) {
      throw new VigieError('UNKNOWN_SOURCE', `Invalid alert: source: "${source}" is not a configured source. Known: ${knownSources.join(', ')}. Nothing was stored.`, 400);
    }
    return {};
  };
  const notFound = (id: string) => new VigieError('ALERT_NOT_FOUND', `No alert with id "${id}". List them with GET /api/v1/alerts.`, 404);

  app.get<{ Querystring: { active?: string } }>('/api/v1/alerts', async (request) => ({
    alerts: await store.alerts.list({ activeOnly: request.query.active === 'true' }),
  }));

  app.get<{ Params: { id: string } }>('/api/v1/alerts/:id', async (request) => {
    const alert = await store.alerts.get(request.params.id);
    if (!alert) throw notFound(request.params.id);
    return { alert };
  });

  app.post('/api/v1/alerts', async (request, reply) => {
    const parsed = alertInputSchema.safeParse(request.body);
    if (!parsed.success) throw new VigieError('INVALID_ALERT', `Invalid alert: ${describeIssue(parsed.error)}.`, 400);
    const checked = checkSource(parsed.data.source);
    const alert = await store.alerts.create(parsed.data);
    return reply.code(201).send({ success: true, alert, ...checked });
  });

  app.patch<{ Params: { id: string } }>('/api/v1/alerts/:id', async (request) => {
    const parsed = alertPatchSchema.safeParse(request.body);
    if (!parsed.success) throw new VigieError('INVALID_ALERT', `Invalid alert: ${describeIssue(parsed.error)}.`, 400);
    const checked = checkSource(parsed.data.source);
    const current = await store.alerts.get(request.params.id);
    if (!current) throw notFound(request.params.id);
    const min = parsed.data.priceMin !== undefined ? parsed.data.priceMin : current.priceMin;
    const max = parsed.data.priceMax !== undefined ? parsed.data.priceMax : current.priceMax;
    if (min != null && max != null && min > max) throw new VigieError('INVALID_ALERT', 'Invalid alert: priceMin: must not be above priceMax.', 400);
    const alert = await store.alerts.update(request.params.id, parsed.data);
    if (!alert) throw notFound(request.params.id);
    return { success: true, alert, ...checked };
  });

  for (const [verb, active] of [['pause', false], ['resume', true]] as const) {
    app.post<{ Params: { id: string } }>(`/api/v1/alerts/:id/${verb}`, async (request) => {
      if (!(await store.alerts.setActive(request.params.id, active))) throw notFound(request.params.id);
      return { success: true, alert: await store.alerts.get(request.params.id) };
    });
  }

  app.delete<{ Params: { id: string } }>('/api/v1/alerts/:id', async (request) => {
    if (!(await store.alerts.remove(request.params.id))) throw notFound(request.params.id);
    return { success: true };
  });

  app.get<{ Querystring: { limit?: string; alertId?: string } }>('/api/v1/matches', async (request) => {
    const limit = intQuery('limit', request.query.limit, 50, 1, 500);
    return { matches: await store.matches.listRecent(limit, request.query.alertId ? { alertId: request.query.alertId } : {}) };
  });
}
