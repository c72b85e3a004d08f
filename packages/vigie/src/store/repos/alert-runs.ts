import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { AlertRunsTable, Database } from '../schema.js';
import { fromJson, toJson } from '../codec.js';
import { StoreError } from '../errors.js';

export type RunTrigger = 'schedule' | 'manual';
export type RunStatus = 'running' | 'ok' | 'partial' | 'failed' | 'skipped' | 'abandoned';

/** One worker's part in a run. */
export interface RunWorkerOutcome {
  workerId: string;
  ok: boolean;
  alertsChecked?: number;
  matches?: number;
  errors?: number;
  durationMs?: number;
  error?: string;
}

/** One alert cycle, from start to finish. */
export interface AlertRun {
  id: string;
  startedAt: number;
  endedAt: number | null;
  trigger: RunTrigger;
  status: RunStatus;
  /** The schedule slot this run fills; a slot runs at most once. */
  slotKey: string | null;
  /** The lock's fencing token when the run started. */
  fencingToken: number | null;
  workers: RunWorkerOutcome[];
  alertsTotal: number;
  alertsChecked: number;
  alertsFailed: number;
  matches: number;
  errors: number;
  summary: Record<string, unknown> | null;
  /** The coordinator that opened the run (`<host>:<pid>`); null for runs older than this field. */
  owner: string | null;
  /** When the run must have ended; past it, a `running` run is abandoned. Null for old runs. */
  deadlineAt: number | null;
  /** The alerts the run covers. */
  alertIds: string[];
}

/** What `start` takes. */
export interface RunStart {
  trigger: RunTrigger;
  slotKey?: string | null;
  fencingToken?: number | null;
  alertsTotal?: number;
  startedAt?: number;
  owner?: string | null;
  deadlineAt?: number | null;
  alertIds?: string[];
}

/** What `finish` records. */
export interface RunFinish {
  status: Exclude<RunStatus, 'running'>;
  endedAt?: number;
  workers?: RunWorkerOutcome[];
  alertsTotal?: number;
  alertsChecked?: number;
  alertsFailed?: number;
  matches?: number;
  errors?: number;
  summary?: Record<string, unknown> | null;
}

export interface AlertRunsRepo {
  /** Opens a run in status 'running'; throws StoreError SLOT_TAKEN if its slot already ran. */
  start(input: RunStart): Promise<AlertRun>;
  /** Closes a run with its outcome; undefined if the run does not exist. */
  finish(id: string, result: RunFinish): Promise<AlertRun | undefined>;
  /** One run, or undefined. */
  get(id: string): Promise<AlertRun | undefined>;
  /** The newest runs first. */
  listRecent(limit?: number): Promise<AlertRun[]>;
  /** Every run still in status 'running', oldest first. */
  listRunning(): Promise<AlertRun[]>;
  /**
   * Closes a run that is still 'running' as 'abandoned': every alert of it not checked, with
   * `reason`. Undefined if the run is gone or no longer running (its owner finished it meanwhile).
   */
  abandon(id: string, reason: string, now: number): Promise<AlertRun | undefined>;
}

function toRun(r: Selectable<AlertRunsTable>): AlertRun {
  return {
    id: r.id,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    trigger: r.trigger as RunTrigger,
    status: r.status as RunStatus,
    slotKey: r.slot_key,
    fencingToken: r.fencing_token,
    workers: fromJson(r.workers, []),
    alertsTotal: r.alerts_total,
    alertsChecked: r.alerts_checked,
    alertsFailed: r.alerts_failed,
    matches: r.matches,
    errors: r.errors,
    summary: fromJson(r.summary, null),
    owner: r.owner,
    deadlineAt: r.deadline_at,
    alertIds: fromJson(r.alert_ids, []),
  };
}

/** Builds the alert-runs repository over a Kysely instance or transaction. */
export function createAlertRunsRepo(db: Kysely<Database>): AlertRunsRepo {
  return {
    async start(input) {
      const slotKey = input.slotKey ?? null;
      // ON CONFLICT DO NOTHING rather than catching the unique violation: same result on both
      // engines, and on PostgreSQL it does not abort a surrounding transaction.
      const row = await db
        .insertInto('alert_runs')
        .values({
          id: randomUUID(),
          started_at: input.startedAt ?? Date.now(),
          ended_at: null,
          trigger: input.trigger,
          status: 'running',
          slot_key: slotKey,
          fencing_token: input.fencingToken ?? null,
          workers: toJson([]),
          alerts_total: input.alertsTotal ?? 0,
          alerts_checked: 0,
          alerts_failed: 0,
          matches: 0,
          errors: 0,
          summary: null,
          owner: input.owner ?? null,
          deadline_at: input.deadlineAt ?? null,
          alert_ids: toJson(input.alertIds ?? []),
        })
        .onConflict((oc) => oc.column('slot_key').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (!row) {
        throw new StoreError(
          'SLOT_TAKEN',
          `Cycle slot "${slotKey}" has already run: another coordinator took it. Nothing to do.`,
        );
      }
      return toRun(row);
    },

    async finish(id, r) {
      const row = await db
        .updateTable('alert_runs')
        .set({
          status: r.status,
          ended_at: r.endedAt ?? Date.now(),
          ...(r.workers !== undefined && { workers: toJson(r.workers) }),
          ...(r.alertsTotal !== undefined && { alerts_total: r.alertsTotal }),
          ...(r.alertsChecked !== undefined && { alerts_checked: r.alertsChecked }),
          ...(r.alertsFailed !== undefined && { alerts_failed: r.alertsFailed }),
          ...(r.matches !== undefined && { matches: r.matches }),
          ...(r.errors !== undefined && { errors: r.errors }),
          ...(r.summary !== undefined && { summary: r.summary === null ? null : toJson(r.summary) }),
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row && toRun(row);
    },

    async get(id) {
      const row = await db.selectFrom('alert_runs').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toRun(row);
    },

    async listRunning() {
      const rows = await db.selectFrom('alert_runs').selectAll().where('status', '=', 'running').orderBy('started_at').execute();
      return rows.map(toRun);
    },

    async abandon(id, reason, now) {
      const run = await db.selectFrom('alert_runs').selectAll().where('id', '=', id).where('status', '=', 'running').executeTakeFirst();
      if (!run) return undefined;
      const alertIds = fromJson<string[]>(run.alert_ids, []);
      const row = await db
        .updateTable('alert_runs')
        .set({
          status: 'abandoned',
          ended_at: now,
          alerts_checked: 0,
          alerts_failed: run.alerts_total,
          summary: toJson({ abandoned: reason, failedAlerts: alertIds.map((alertId) => ({ alertId, reason })) }),
        })
        // Only if still running: the owner may have finished it between the read and this write.
        .where('id', '=', id)
        .where('status', '=', 'running')
        .returningAll()
        .executeTakeFirst();
      return row && toRun(row);
    },

    async listRecent(limit = 50) {
      const rows = await db
        .selectFrom('alert_runs')
        .selectAll()
        .orderBy('started_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toRun);
    },
  };
}
