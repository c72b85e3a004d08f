import { z } from 'zod';
import { VigieError } from '../../errors.js';
import { scrub } from '../../observability/secrets.js';
import type { Alert } from '../../store/index.js';
import { requireScrapingCredential } from './credential.js';
import type { CommandContext, CommandHandler } from './types.js';
import { filterItem } from '../../alerts/filters.js';
import { price, priceRangeRule, text } from '../../alerts/schema.js';
import { createPacer, withRateLimitRetry, type Sleep } from '../../alerts/pacer.js';
import { isUpstreamError, type Source } from '../../alerts/sources/types.js';
import type { CheckAlertsResult } from '../../wire/check-alerts.js';

/** Time kept free before the command's deadline to send the answer. */
const ANSWER_MARGIN_MS = 1000;
/** Less time than this left for a request: do not start it. */
const MIN_REQUEST_MS = 1000;

export interface CheckAlertsDeps {
  /** Sources by name (from `createSources(config.sources)`). */
  sources: Map<string, Source>;
  /** Random pause between two requests (REQUEST_DELAY_MIN_MS / REQUEST_DELAY_MAX_MS). */
  pacing: { minDelayMs: number; maxDelayMs: number };
  /** Bound of one source request (default 30000); a source's own timeoutMs may be shorter. */
  requestTimeoutMs?: number;
  /** 429 handling (defaults: 2 retries, Retry-After honoured up to 120000 ms). */
  rateLimit?: { maxRetries?: number; maxRetryAfterMs?: number };
  random?: () => number;
  sleep?: Sleep;
  now?: () => number;
}

// Prices are checked as the alerts API checks them (alerts/schema.ts): a worker may be called directly.
const alertSchema = z.object({
  id: text().min(1),
  name: text().default(''),
  source: text().min(1),
  query: text(),
  priceMin: price.default(null),
  priceMax: price.default(null),
  conditions: z.array(z.string()).default([]),
  includeWords: z.array(z.string()).default([]),
  excludeWords: z.array(z.string()).default([]),
  notify: z.array(z.looseObject({ channel: z.string() })).default([]),
  active: z.boolean().default(true),
  createdAt: z.number().default(0),
  updatedAt: z.number().default(0),
}).refine(priceRangeRule.check, { message: priceRangeRule.message, path: priceRangeRule.path });

// Not strict: a newer coordinator may add fields that an older worker can ignore.
const payloadSchema = z.object({ alerts: z.array(alertSchema) }, { error: 'expected an object { "alerts": [...] }' });

/** The alerts of a check-alerts payload, or 400 INVALID_COMMAND naming the bad field. */
export function parseCheckAlertsPayload(payload: unknown): Alert[] {
  const parsed = payloadSchema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? `payload.${issue.path.join('.')}: ` : 'payload: ';
    throw new VigieError(
      'INVALID_COMMAND',
      `Invalid check-alerts command: ${where}${issue.message}. Expected { "alerts": [{ "id", "source", "query", "priceMin", "priceMax", ... }] }.`,
      400,
    );
  }
  return parsed.data.alerts;
}

/**
 * The worker side of the check-alerts job: for each alert in order, a paced request to its
 * source, the items filtered, the survivors answered as candidates (the coordinator decides
 * which are new). A 401/403 from a source fails the whole command with 403, so that the
 * coordinator bans this worker and re-dispatches the batch; any other source failure fails
 * only its alert. Alerts that cannot be checked before the command's deadline are reported
 * failed instead of losing the whole answer to a timeout.
 */
export function createCheckAlertsHandler(deps: CheckAlertsDeps): CommandHandler {
  const now = deps.now ?? Date.now;
  const requestTimeoutMs = deps.requestTimeoutMs ?? 30_000;

  return async (payload, ctx) => {
    const alerts = parseCheckAlertsPayload(payload);
    const credential = await requireScrapingCredential(ctx);
    const pacer = createPacer({ ...deps.pacing, ...(deps.random && { random: deps.random }), ...(deps.sleep && { sleep: deps.sleep }) });
    const result: CheckAlertsResult = { matches: [], alertsChecked: 0, itemsChecked: 0, failed: [] };
    const started = now();
    const log = ctx.logger;

    for (let i = 0; i < alerts.length; i++) {
      const alert = alerts[i]!;
      throwIfAborted(ctx);
      const t0 = now();
      const source = deps.sources.get(alert.source);
      if (!source) {
        const known = [...deps.sources.keys()].join(', ') || 'none';
        const error = `UNKNOWN_SOURCE: no source "${alert.source}" on this worker (sources here: ${known}); add it to the config file's "sources".`;
        result.failed.push({ alertId: alert.id, error });
        log.warn({ alertId: alert.id, source: alert.source, code: 'UNKNOWN_SOURCE' }, 'alert not checked: unknown source');
        continue;
      }

      const budget = ctx.deadline - ANSWER_MARGIN_MS - now();
      if (pacer.peekDelay() + MIN_REQUEST_MS > budget) {
        const rest = alerts.slice(i);
        for (const a of rest) {
          result.failed.push({ alertId: a.id, error: 'DEADLINE: not checked before the command deadline; send fewer alerts per worker, lower REQUEST_DELAY_MAX_MS or raise COMMAND_TIMEOUT_MS.' });
        }
        log.warn({ notChecked: rest.length, msLeft: Math.max(0, budget) }, `deadline near: ${rest.length} alert(s) left unchecked`);
        break;
      }

      try {
        await pacer.beforeRequest(ctx.signal);
        const items = await withRateLimitRetry(
          () => source.search(alert, { credential, signal: ctx.signal, timeoutMs: Math.max(1, Math.min(requestTimeoutMs, ctx.deadline - ANSWER_MARGIN_MS - now())) }),
          {
            ...deps.rateLimit,
            fallbackDelayMs: deps.pacing.maxDelayMs,
            ...(deps.sleep && { sleep: deps.sleep }),
            signal: ctx.signal,
            deadline: ctx.deadline - ANSWER_MARGIN_MS,
            now,
            onRetry: ({ attempt, delayMs }) => log.info({ alertId: alert.id, source: source.name, attempt, delayMs }, 'source rate limited (429); waiting before retry'),
          },
        );
        result.itemsChecked += items.length;
        const seen = new Set<string>();
        let candidates = 0;
        for (const item of items) {
          if (seen.has(item.id)) continue;
          seen.add(item.id);
          if (filterItem(item, alert).ok) {
            result.matches.push({ alertId: alert.id, item });
            candidates++;
          }
        }
        result.alertsChecked++;
        log.debug({ alertId: alert.id, source: source.name, items: items.length, candidates, ms: now() - t0 }, 'alert checked');
      } catch (err) {
        throwIfAborted(ctx);
        if (isUpstreamError(err, 'UPSTREAM_FORBIDDEN')) {
          log.warn({ alertId: alert.id, source: source.name, status: err.status, code: err.code }, 'source refused this worker; abandoning the batch');
          throw err;
        }
        const error = scrub(err instanceof VigieError ? `${err.code}: ${err.message}` : `SOURCE_FAILED: ${err instanceof Error ? err.message : String(err)}`);
        result.failed.push({ alertId: alert.id, error });
        const code = err instanceof VigieError ? err.code : 'SOURCE_FAILED';
        log.warn({ alertId: alert.id, source: source.name, code, ms: now() - t0 }, 'alert not checked: source failed');
      }
    }

    log.info(
      { alerts: alerts.length, alertsChecked: result.alertsChecked, itemsChecked: result.itemsChecked, matches: result.matches.length, failed: result.failed.length, ms: now() - started },
      `check-alerts done: ${result.alertsChecked}/${alerts.length} alert(s) checked, ${result.itemsChecked} item(s), ${result.matches.length} candidate(s), ${result.failed.length} failed`,
    );
    return result;
  };
}

/** Stops the command with the signal's reason (COMMAND_TIMEOUT, SHUTTING_DOWN) once it is aborted. */
function throwIfAborted(ctx: CommandContext): void {
  if (!ctx.signal.aborted) return;
  const reason: unknown = ctx.signal.reason;
  throw reason instanceof Error ? reason : new VigieError('ABORTED', 'The check-alerts command was abandoned.', 503);
}
