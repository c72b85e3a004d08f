import { z } from 'zod';
import { matchIdempotencyKey } from '../notify/targets.js';
import type { MatchPayload } from '../notify/types.js';
import type { Logger } from '../observability/logger.js';
import { isStoreError, type Alert, type Fence, type Store } from '../store/index.js';
import type { Item } from '../wire/check-alerts.js';

/** What `recordMatches` takes: one alert's candidates from one check. */
export interface RecordMatchesInput {
  /** The alert run the check belongs to (an `alert_runs` id), or null. */
  runId: string | null;
  /** The alert checked; its current row (name, notify targets, notifyExisting) is read in the transaction. */
  alert: Pick<Alert, 'id'> & Partial<Alert>;
  /** Items that passed the alert's filters; repeats are ignored. */
  candidates: readonly Item[];
  now?: number;
  /** The leader's fence: the write is refused (StoreError FENCED) if a newer leader has written since. */
  fence?: Fence | undefined;
}

/** What `recordMatches` did. */
export interface RecordMatchesResult {
  /** Matches created (0 for a silent baseline). */
  newMatches: number;
  /** True when this call recorded the alert's first check. */
  baseline: boolean;
  /** Outbox entries queued. */
  notifications: number;
}

/**
 * Records one check of one alert, in ONE transaction: the candidates never seen before become
 * matches, each with one outbox entry per notify target (idempotency key
 * `match:<alertId>:<itemId>:<channel>:<target hash>`), so a retried or re-dispatched batch, or two
 * coordinators recording the same batch, never create a second match or notification.
 *
 * Baseline rule: the first time an alert is checked (its `baseline_at` is still NULL), what is
 * already listed is recorded as seen without matches or notifications, since it is not news,
 * unless the alert has `notifyExisting`. `baseline_at` is set in the same transaction, so that a
 * crash before the commit leaves the first check to be done again, and after it never twice.
 * A match is recorded even when the alert has no notify target.
 */
export async function recordMatches(store: Pick<Store, 'fenced'>, input: RecordMatchesInput): Promise<RecordMatchesResult> {
  const now = input.now ?? Date.now();
  const alertId = input.alert.id;
  const items = new Map<string, Item>();
  for (const c of input.candidates) if (!items.has(c.id)) items.set(c.id, c);

  return store.fenced(input.fence, async (repos) => {
    // Claim the first check with a conditional write, first: on PostgreSQL a concurrent first
    // check of the same alert waits on this row, then finds baseline_at set and records normally
    // (its items are then already seen); SQLite transactions begin immediate and never overlap.
    const baseline = await repos.alerts.claimBaseline(alertId, now);
    const row = await repos.alerts.get(alertId);
    if (!row) return { newMatches: 0, baseline: false, notifications: 0 }; // deleted since the cycle read it

    const fresh = await repos.matches.markSeen(alertId, [...items.keys()], now);
    if (baseline && !row.notifyExisting) return { newMatches: 0, baseline, notifications: 0 };

    const targets = row.notify.filter((t) => typeof t?.channel === 'string' && t.channel !== '');
    let newMatches = 0;
    let notifications = 0;
    for (const itemId of fresh) {
      const item = items.get(itemId)!;
      const { match, created } = await repos.matches.insertMatch({ alertId, itemId, item, runId: input.runId, createdAt: now });
      if (created) newMatches++;
      const payload: MatchPayload = { event: 'match', matchId: match.id, alert: { id: alertId, name: row.name }, item, foundAt: now };
      for (const target of targets) {
        const queued = await repos.outbox.enqueue({
          channel: target.channel,
          target,
          payload,
          idempotencyKey: matchIdempotencyKey(alertId, itemId, target.channel, target),
          matchId: match.id,
          now,
        });
        if (queued.created) notifications++;
      }
    }
    return { newMatches, baseline, notifications };
  });
}

const text = (max: number) => z.string().max(max).nullish().transform((v) => v ?? null);

/** An item as a worker sends it: checked, because it comes over the network. */
const itemSchema = z.object({
  id: z.union([z.string().min(1).max(512), z.number().finite()]).transform(String),
  title: z.string().max(2000),
  price: z.number().finite().nullish().transform((v) => v ?? null),
  currency: text(16),
  url: text(4000),
  condition: text(200),
  brand: text(200),
  photo: text(4000),
});
const candidateSchema = z.object({ alertId: z.string().min(1), item: itemSchema });

/** The batch's candidates grouped by alert; ones that are malformed or name an alert not in the batch are counted, not kept. */
export function groupCandidates(matches: readonly unknown[], alertIds: ReadonlySet<string>): { byAlert: Map<string, Item[]>; malformed: number; foreign: number } {
  const byAlert = new Map<string, Item[]>();
  let malformed = 0;
  let foreign = 0;
  for (const m of matches) {
    const parsed = candidateSchema.safeParse(m);
    if (!parsed.success) {
      malformed++;
      continue;
    }
    // A worker only reports on the alerts it was given.
    if (!alertIds.has(parsed.data.alertId)) {
      foreign++;
      continue;
    }
    const list = byAlert.get(parsed.data.alertId) ?? [];
    list.push(parsed.data.item);
    byAlert.set(parsed.data.alertId, list);
  }
  return { byAlert, malformed, foreign };
}

/** One worker's batch, as the cycle runner hands it over. */
export interface MatchBatchContext {
  runId: string;
  workerId: string;
  alerts: readonly Alert[];
  /** Alerts the worker could not check. When given, the other alerts of the batch count as checked even with no candidate (their baseline is taken). */
  failed?: ReadonlyArray<{ alertId: string }>;
  /** The leader's fence, carried by every write of the cycle. */
  fence?: Fence | undefined;
}

export interface MatchRecorderOptions {
  store: Pick<Store, 'fenced'>;
  logger: Logger;
  clock?: () => number;
  /** Called after a batch created matches (e.g. `() => sender.kick()`, to notify without waiting for the next poll). */
  onRecorded?: (newMatches: number) => void;
}

/**
 * The cycle runner's `onMatches`: records each alert of a worker's batch with `recordMatches`
 * and answers the number of new matches. An alert whose recording fails (store down) is logged
 * and left unseen, so the next cycle finds its items again; the others go on.
 */
export function createMatchRecorder(opts: MatchRecorderOptions): (matches: unknown[], ctx: MatchBatchContext) => Promise<number> {
  const clock = opts.clock ?? Date.now;
  // Alerts whose baseline is known to be taken (a baseline is never undone): their quiet checks
  // need no statement at all. Bounded by the number of alerts; cleared if it ever grows huge.
  const baselined = new Set<string>();
  return async (matches, ctx) => {
    if (baselined.size > 1_000_000) baselined.clear();
    const { byAlert, malformed, foreign } = groupCandidates(matches, new Set(ctx.alerts.map((a) => a.id)));
    if (malformed + foreign > 0) {
      opts.logger.warn({ runId: ctx.runId, worker: ctx.workerId, malformed, foreign }, `worker ${ctx.workerId} sent ${malformed + foreign} candidate(s) that were ignored (malformed, or for an alert not in its batch)`);
    }
    const failed = ctx.failed ? new Set(ctx.failed.map((f) => f.alertId)) : undefined;
    let total = 0;
    // Checked alerts with nothing listed (most of them, most cycles): for them a check records
    // only the baseline, if it is the first one. One statement for the whole batch, not a
    // transaction per alert: a cycle of 20 000 such alerts kept the event loop busy for seconds
    // (SQLite answers synchronously, so those transactions never yield), long enough to lose
    // the leader's lease (bench/scale). Without the failed list, an alert with no candidate may
    // not have been checked at all: taking its baseline then would turn its whole listing into
    // "new" at the next check.
    const quiet = failed ? ctx.alerts.filter((a) => !byAlert.has(a.id) && !failed.has(a.id) && !baselined.has(a.id)) : [];
    if (quiet.length > 0 && (await claimQuietBaselines(opts, ctx, quiet.map((a) => a.id), clock()))) for (const a of quiet) baselined.add(a.id);
    for (const alert of ctx.alerts) {
      const candidates = byAlert.get(alert.id);
      if (!candidates) continue;
      if (failed?.has(alert.id)) continue;
      try {
        const r = await recordMatches(opts.store, { runId: ctx.runId, alert, candidates, now: clock(), fence: ctx.fence });
        total += r.newMatches;
        baselined.add(alert.id);
        if (r.baseline) {
          opts.logger.info({ runId: ctx.runId, alertId: alert.id, items: candidates.length, notified: r.newMatches }, `alert "${alert.name}": first check, ${candidates.length} listed item(s) recorded${r.newMatches > 0 ? ' and notified' : ' as seen (not notified)'}`);
        }
      } catch (err) {
        // A fenced write means this process is no longer the leader, and an unavailable store
        // fails every other alert too: stop the batch (the cycle fails with that reason).
        if (isStoreError(err, 'FENCED') || isStoreError(err, 'STORE_UNAVAILABLE')) throw err;
        opts.logger.error({ err, runId: ctx.runId, alertId: alert.id }, `alert "${alert.name}": matches not recorded; its items stay unseen and come back at the next cycle`);
      }
    }
    if (total > 0) opts.onRecorded?.(total);
    return total;
  };
}

/** Takes the baselines of a batch's alerts that listed nothing (under the fence); logs one line for them. True when they are all taken. */
async function claimQuietBaselines(opts: MatchRecorderOptions, ctx: MatchBatchContext, ids: string[], now: number): Promise<boolean> {
  try {
    const claimed = await opts.store.fenced(ctx.fence, (repos) => repos.alerts.claimBaselines(ids, now));
    if (claimed.length > 0) {
      opts.logger.info({ runId: ctx.runId, worker: ctx.workerId, alerts: claimed.length }, `${claimed.length} alert(s) checked for the first time by ${ctx.workerId}, nothing listed yet`);
    }
    return true;
  } catch (err) {
    // As for one alert: a fenced or unavailable store stops the batch.
    if (isStoreError(err, 'FENCED') || isStoreError(err, 'STORE_UNAVAILABLE')) throw err;
    // Their first check is taken again next cycle: nothing is lost.
    opts.logger.error({ err, runId: ctx.runId, worker: ctx.workerId, alerts: ids.length }, `first check of ${ids.length} alert(s) not recorded; it is taken at the next cycle`);
    return false;
  }
}
