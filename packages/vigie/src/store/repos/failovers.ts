import type { Kysely, Selectable } from 'kysely';
import type { Database, FailoverHistoryTable, FailoverStepsTable } from '../schema.js';
import { fromBool, toBool } from '../codec.js';

/** How many failovers are kept (seed 000: "the last 50"). */
export const FAILOVER_HISTORY_LIMIT = 50;

export type FailoverStep = 'restart' | 'region' | 'app' | 'standby';

/** One rung of the failover ladder, taken or attempted. */
export interface FailoverRecord {
  id: number;
  workerId: string;
  step: FailoverStep;
  fromValue: string | null;
  toValue: string | null;
  reason: string;
  ok: boolean;
  error: string | null;
  at: number;
}

/** What `record` takes; `at` defaults to now. */
export type FailoverInput = Omit<FailoverRecord, 'id' | 'at' | 'fromValue' | 'toValue' | 'error'> & {
  fromValue?: string | null;
  toValue?: string | null;
  error?: string | null;
  at?: number;
};

/** A step under way on a worker: written before the step acts, removed when it is recorded. */
export interface StepInProgress {
  workerId: string;
  step: Exclude<FailoverStep, 'standby'>;
  fromValue: string | null;
  reason: string;
  /** The fencing number of the leader that began it. */
  fencingToken: number;
  flyApp: string | null;
  machineId: string | null;
  /** The provider's last checkpoint (a machine created, an old one about to go), as JSON. */
  progress: unknown;
  startedAt: number;
}

export interface FailoversRepo {
  /** Records a step as under way; false when the worker already has one (never two steps on one worker). */
  begin(step: StepInProgress): Promise<boolean>;
  /** Saves a step's progress; false when the step is no longer recorded. */
  checkpoint(workerId: string, progress: unknown): Promise<boolean>;
  /** The steps under way, oldest first. */
  inProgress(): Promise<StepInProgress[]>;
  /** Forgets the step under way on a worker (it was recorded in the history). */
  end(workerId: string): Promise<void>;

  /** Appends a failover and trims the history to the newest FAILOVER_HISTORY_LIMIT, atomically. */
  record(input: FailoverInput): Promise<FailoverRecord>;
  /** The newest failovers first. */
  listRecent(limit?: number): Promise<FailoverRecord[]>;
}

function toRecord(r: Selectable<FailoverHistoryTable>): FailoverRecord {
  return {
    id: r.id,
    workerId: r.worker_id,
    step: r.step as FailoverStep,
    fromValue: r.from_value,
    toValue: r.to_value,
    reason: r.reason,
    ok: fromBool(r.ok),
    error: r.error,
    at: r.at,
  };
}

function toStep(r: Selectable<FailoverStepsTable>): StepInProgress {
  return {
    workerId: r.worker_id,
    step: r.step as StepInProgress['step'],
    fromValue: r.from_value,
    reason: r.reason,
    fencingToken: Number(r.fencing_token),
    flyApp: r.fly_app,
    machineId: r.machine_id,
    progress: r.progress === null ? null : (JSON.parse(r.progress) as unknown),
    startedAt: Number(r.started_at),
  };
}

/** Builds the failover-history repository over a Kysely instance or transaction. */
export function createFailoversRepo(db: Kysely<Database>): FailoversRepo {
  async function insertAndTrim(tx: Kysely<Database>, input: FailoverInput) {
    const row = await tx
      .insertInto('failover_history')
      .values({
        worker_id: input.workerId,
        step: input.step,
        from_value: input.fromValue ?? null,
        to_value: input.toValue ?? null,
        reason: input.reason,
        ok: toBool(input.ok),
        error: input.error ?? null,
        at: input.at ?? Date.now(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    // Same order as listRecent, so "kept" and "shown" always agree. Two concurrent records
    // on PostgreSQL may leave one extra row until the next record; the ladder runs under the
    // leader lock, so that does not happen in practice.
    await tx
      .deleteFrom('failover_history')
      .where('id', 'not in', (eb) =>
        eb
          .selectFrom('failover_history')
          .select('id')
          .orderBy('at', 'desc')
          .orderBy('id', 'desc')
          .limit(FAILOVER_HISTORY_LIMIT),
      )
      .execute();
    return toRecord(row);
  }

  return {
    async begin(step) {
      const res = await db
        .insertInto('failover_steps')
        .values({
          worker_id: step.workerId,
          step: step.step,
          from_value: step.fromValue,
          reason: step.reason,
          fencing_token: step.fencingToken,
          fly_app: step.flyApp,
          machine_id: step.machineId,
          progress: step.progress === null || step.progress === undefined ? null : JSON.stringify(step.progress),
          started_at: step.startedAt,
        })
        .onConflict((oc) => oc.column('worker_id').doNothing())
        .executeTakeFirst();
      return Number(res.numInsertedOrUpdatedRows ?? 0n) > 0;
    },

    async checkpoint(workerId, progress) {
      const res = await db.updateTable('failover_steps').set({ progress: JSON.stringify(progress) }).where('worker_id', '=', workerId).executeTakeFirst();
      return res.numUpdatedRows > 0n;
    },

    async inProgress() {
      const rows = await db.selectFrom('failover_steps').selectAll().orderBy('started_at').execute();
      return rows.map(toStep);
    },

    async end(workerId) {
      await db.deleteFrom('failover_steps').where('worker_id', '=', workerId).execute();
    },

    async record(input) {
      // Kysely cannot nest transactions: join the caller's if there is one.
      if (db.isTransaction) return insertAndTrim(db, input);
      return db.transaction().execute((tx) => insertAndTrim(tx, input));
    },

    async listRecent(limit = FAILOVER_HISTORY_LIMIT) {
      const rows = await db
        .selectFrom('failover_history')
        .selectAll()
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toRecord);
    },
  };
}
