import type { FastifyInstance } from 'fastify';
import { parseAlertImport } from '../alerts/import.js';
import { alertInputSchema, alertPatchSchema, describeIssue } from '../alerts/schema.js';
import { VigieError } from '../errors.js';
import { intQuery } from '../http/request-guards.js';
import type { Store } from '../store/index.js';

export interface AlertRoutesDeps {
  store: Store;
  /** Source names the coordinator knows (its config file's `sources`); empty: not checked here. */
  knownSources: readonly string[];
  /** Largest body of POST /api/v1/alerts/import (ALERT_IMPORT_MAX_BYTES). */
  importMaxBytes: number;
}

/** Content types the import takes; each is read as text and parsed as an array or NDJSON by its first character. */
const IMPORT_TYPES = ['application/json', 'application/x-ndjson', 'application/ndjson', 'application/jsonl', 'text/plain'];

/** Alerts CRUD under /api/v1/alerts and the recent matches. Bad input → 400 naming the field, nothing stored. */
export function registerAlertRoutes(app: FastifyInstance, deps: AlertRoutesDeps): void {
  const { store, knownSources } = deps;

  /** Why `source` is refused, when the coordinator knows its sources and this is not one of them. */
  const sourceIssue = (source: string | undefined) =>
    source !== undefined && knownSources.length > 0 && !knownSources.includes(source)
      ? `source: "${source}" is not a configured source. Known: ${knownSources.join(', ')}`
      : undefined;
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
    const issue = sourceIssue(source);
    if (issue) throw new VigieError('UNKNOWN_SOURCE', `Invalid alert: ${issue}. Nothing was stored.`, 400);
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

  // Bulk import: the whole file is validated before anything is written, then inserted in one
  // transaction, so a bad row (named by its line) or a store failure leaves the alerts as they were.
  // Its own scope: the body is read as text (for line numbers and NDJSON) and may be larger than
  // MAX_BODY_BYTES, without changing how the other routes read theirs.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(IMPORT_TYPES, { parseAs: 'string', bodyLimit: deps.importMaxBytes }, (_req, body, done) => done(null, body));
    scope.post('/api/v1/alerts/import', { bodyLimit: deps.importMaxBytes }, async (request, reply) => {
      const inputs = parseAlertImport(String(request.body ?? ''), (a) => sourceIssue(a.source));
      const imported = await store.alerts.createMany(inputs);
      const unchecked = knownSources.length === 0 ? [...new Set(inputs.map((a) => a.source))] : [];
      const warnings = unchecked.length > 0
        ? [`The coordinator has no sources in its config file, so source(s) ${unchecked.map((x) => `"${x}"`).join(', ')} were not checked: a worker without one fails its alerts at each cycle with UNKNOWN_SOURCE. Define them under "sources" in the coordinator's config file (the workers' too) to have them checked here.`]
        : undefined;
      return reply.code(201).send({ success: true, imported, ...(warnings ? { warnings } : {}) });
    });
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
