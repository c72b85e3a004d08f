import type { FastifyInstance } from 'fastify';
import { previewSecret } from '../config/mask.js';
import { VigieError } from '../errors.js';
import type { Store } from '../store/index.js';
import type { Dispatcher } from './dispatcher.js';

export interface TokenRoutesDeps {
  store: Store;
  dispatcher: Dispatcher;
  /** The credential workers scrape with (SCRAPING_CREDENTIAL). */
  credentialName: string;
}

/** The seed's credential debug routes: status (redacted) and a forced refresh run on a worker. */
export function registerTokenRoutes(app: FastifyInstance, deps: TokenRoutesDeps): void {
  app.get('/api/v1/token/status', async () => {
    const cred = await deps.store.credentials.get(deps.credentialName);
    return {
      credential: deps.credentialName,
      hasActiveCookies: cred !== undefined,
      // Workers read credentials from the store only (no env fallback), as the seed's step 1 asks.
      cookiesSource: cred ? 'database' : null,
      setBy: cred?.source ?? null,
      lastRefreshAt: cred?.lastRefreshAt ? new Date(cred.lastRefreshAt).toISOString() : null,
      updatedAt: cred ? new Date(cred.updatedAt).toISOString() : null,
      cookiesPreview: cred ? previewSecret(cred.value) : null,
    };
  });

  app.post('/api/v1/token/refresh/force', async (request, reply) => {
    // No body, or a JSON object: `null`, a number or an array is a mistake, not "no refresher".
    if (request.body !== undefined && (typeof request.body !== 'object' || request.body === null || Array.isArray(request.body))) {
      throw new VigieError('INVALID_INPUT', 'The body must be a JSON object, e.g. {} or { "refresher": "<name>" }.', 400);
    }
    const body = (request.body ?? {}) as { refresher?: unknown };
    if (body.refresher !== undefined && typeof body.refresher !== 'string') {
      throw new VigieError('INVALID_INPUT', 'refresher must be the name of a configured refresher.', 400);
    }
    const result = await deps.dispatcher.dispatch({ type: 'generate-cookies', payload: body.refresher ? { refresher: body.refresher } : {} });
    if (result.ok) return { success: true, data: result.data, workerId: result.workerId };
    return reply.code(result.httpStatus).send({ success: false, error: result.code, code: result.code, message: result.message, httpStatus: result.httpStatus, attempts: result.attempts });
  });
}
