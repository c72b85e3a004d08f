import type { FastifyInstance } from 'fastify';
import type { LiveConfig } from '../config/live.js';
import { maskedConfig } from '../config/mask.js';
import { VigieError } from '../errors.js';
import type { Store } from '../store/index.js';

export interface DashboardApiOptions {
  store: Store;
  live: LiveConfig;
}

/**
 * The reads the dashboard needs that no other route gives, behind `x-api-key` like every read:
 * the effective settings (secrets masked by the one masker) and the newest matches with where
 * their notifications stand.
 */
export async function dashboardApiRoutes(app: FastifyInstance, opts: DashboardApiOptions): Promise<void> {
  app.get('/api/v1/config', async () => ({ settings: maskedConfig(opts.live.current()) }));

  app.get<{ Querystring: { limit?: string } }>('/api/v1/dashboard/matches', async (request) => {
    const limit = request.query.limit === undefined ? 50 : Number(request.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new VigieError('INVALID_QUERY', 'limit must be an integer from 1 to 200.');
    const matches = await opts.store.matches.listRecent(limit);
    const deliveries = await opts.store.outbox.deliveriesOf(matches.map((m) => m.id));
    const names = new Map((await opts.store.alerts.list({ activeOnly: false })).map((a) => [a.id, a.name]));
    return {
      matches: matches.map((m) => ({
        ...m,
        alertName: names.get(m.alertId) ?? null,
        notifications: deliveries.filter((d) => d.matchId === m.id).map(({ matchId: _, ...d }) => d),
      })),
    };
  });
}
