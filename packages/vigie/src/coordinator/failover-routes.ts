import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { VigieError } from '../errors.js';
import type { FailoverLadder } from '../remediation/ladder.js';

export interface FailoverRoutesDeps {
  ladder: FailoverLadder;
}

const triggerSchema = z.object({
  workerId: z.string().min(1),
  step: z.enum(['restart', 'region', 'app']).optional(),
}).strict();

/**
 * The failover ladder's API (all behind x-api-key, like every read of fleet data):
 * GET /api/v1/failover/history (newest first, the last 50 kept), GET /api/v1/failover/status
 * (per worker: streak, next rung, cooldown left, step under way), POST /api/v1/failover/trigger
 * (an operator's step: 404 unknown worker, 409 a step under way, 400 a bad step, 503 not leader).
 */
export function registerFailoverRoutes(app: FastifyInstance, deps: FailoverRoutesDeps): void {
  const { ladder } = deps;

  app.get('/api/v1/failover/history', async () => ({
    failovers: (await ladder.history()).map((r) => ({ workerId: r.workerId, step: r.step, fromValue: r.fromValue, toValue: r.toValue, ok: r.ok, reason: r.reason, error: r.error, at: r.at })),
  }));

  app.get('/api/v1/failover/status', async () => ({ active: ladder.active, workers: await ladder.status() }));

  app.post('/api/v1/failover/trigger', async (request, reply) => {
    const parsed = triggerSchema.safeParse(request.body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new VigieError('INVALID_INPUT', `Invalid trigger: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}. Send { "workerId": "...", "step"?: "restart" | "region" | "app" }.`, 400);
    }
    const { step } = await ladder.trigger(parsed.data.workerId, parsed.data.step);
    return reply.code(202).send({ success: true, workerId: parsed.data.workerId, step: step.kind, ...(step.kind === 'region' ? { regions: step.regions } : step.kind === 'app' ? { app: step.app } : {}) });
  });
}
