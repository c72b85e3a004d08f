import type { Kysely, Selectable } from 'kysely';
import type { Database, FailoverHistoryTable } from '../schema.js';
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

export interface FailoversRepo {
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
