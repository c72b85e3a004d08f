import type { Insertable, Kysely, OnConflictBuilder, Selectable } from 'kysely';
import type { Database, WorkerStatusTable, WorkersTable } from '../schema.js';
import { fromBool, toBool } from '../codec.js';
import { StoreError, isForeignKeyViolation } from '../errors.js';

/** Where a worker entry comes from: the config file, or the runtime API. */
export type WorkerOrigin = 'config' | 'runtime';

/** A registered worker. */
export interface Worker {
  id: string;
  name: string;
  region: string;
  url: string;
  origin: WorkerOrigin;
  /** For a config-file worker changed at run time: the file's entry that the change overrode. */
  configBase: WorkerIdentity | null;
  createdAt: number;
  updatedAt: number;
}

/** The fields of a worker that a run-time change may set. */
export interface WorkerIdentity {
  url: string;
  region: string;
  name: string;
}

/** What `upsert` takes. */
export type WorkerInput = Pick<Worker, 'id' | 'name' | 'region' | 'url' | 'origin'> & { configBase?: WorkerIdentity | null };

/** Persisted health, ban and counters of one worker. */
export interface WorkerStatus {
  workerId: string;
  isHealthy: boolean;
  lastCheckAt: number | null;
  lastError: string | null;
  bannedUntil: number | null;
  /** How many times this worker has been banned, so repeat bans can double. */
  banCount: number;
  banReason: string | null;
  requestCount: number;
  successCount: number;
  errorCount: number;
  updatedAt: number;
}

/** Counts to add to a worker's counters. */
export interface CountsDelta {
  requests: number;
  successes: number;
  errors: number;
}

/** Fields `saveStatus` may change; absent fields keep their value. */
export type WorkerStatusPatch = { workerId: string } & Partial<
  Omit<WorkerStatus, 'workerId' | 'updatedAt'>
>;

export interface WorkersRepo {
  /** Inserts or replaces a worker's registry entry. */
  upsert(worker: WorkerInput, now?: number): Promise<Worker>;
  /** Removes a worker and its status; false if it was not registered. */
  remove(id: string): Promise<boolean>;
  /** All registered workers, by id. */
  list(): Promise<Worker[]>;
  /** One worker, or undefined. */
  get(id: string): Promise<Worker | undefined>;
  /** A worker's status, or undefined if none was ever saved. */
  getStatus(id: string): Promise<WorkerStatus | undefined>;
  /** Every saved status, by worker id. */
  listStatus(): Promise<WorkerStatus[]>;
  /** Creates or patches a worker's status (a new row starts healthy with zero counters). */
  saveStatus(patch: WorkerStatusPatch, now?: number): Promise<WorkerStatus>;
  /** Bans until `until` and bumps `banCount`; returns the new status. */
  ban(id: string, until: number, reason: string, now?: number): Promise<WorkerStatus>;
  /** Lifts a ban (keeps `banCount`, so the next ban still doubles). */
  unban(id: string, now?: number): Promise<WorkerStatus>;
  /** Atomically counts one request and its outcome. */
  recordOutcome(id: string, outcome: 'success' | 'error', now?: number): Promise<WorkerStatus>;
  /** Atomically adds a batch of counts (the coordinator writes its counters behind, once a second). */
  addCounts(id: string, delta: CountsDelta, now?: number): Promise<WorkerStatus>;
  /**
   * Adds many workers' counts in one statement per 1000 (what a cycle over 5000 workers leaves
   * to write), in one transaction: all or none; an unknown worker fails it with UNKNOWN_WORKER.
   */
  addCountsMany(deltas: ReadonlyArray<{ id: string; delta: CountsDelta }>, now?: number): Promise<void>;
}

const COUNTS_BATCH = 1000;

function toWorker(row: Selectable<WorkersTable>): Worker {
  return {
    id: row.id,
    name: row.name,
    region: row.region,
    url: row.url,
    origin: row.origin as WorkerOrigin,
    configBase: row.config_base ? (JSON.parse(row.config_base) as WorkerIdentity) : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toStatus(row: Selectable<WorkerStatusTable>): WorkerStatus {
  return {
    workerId: row.worker_id,
    isHealthy: fromBool(row.is_healthy),
    lastCheckAt: row.last_check_at,
    lastError: row.last_error,
    bannedUntil: row.banned_until,
    banCount: row.ban_count,
    banReason: row.ban_reason,
    requestCount: row.request_count,
    successCount: row.success_count,
    errorCount: row.error_count,
    updatedAt: row.updated_at,
  };
}

/** Maps a snake_case column patch from a camelCase status patch, skipping absent fields. */
function statusColumns(p: WorkerStatusPatch) {
  return {
    ...(p.isHealthy !== undefined && { is_healthy: toBool(p.isHealthy) }),
    ...(p.lastCheckAt !== undefined && { last_check_at: p.lastCheckAt }),
    ...(p.lastError !== undefined && { last_error: p.lastError }),
    ...(p.bannedUntil !== undefined && { banned_until: p.bannedUntil }),
    ...(p.banCount !== undefined && { ban_count: p.banCount }),
    ...(p.banReason !== undefined && { ban_reason: p.banReason }),
    ...(p.requestCount !== undefined && { request_count: p.requestCount }),
    ...(p.successCount !== undefined && { success_count: p.successCount }),
    ...(p.errorCount !== undefined && { error_count: p.errorCount }),
  };
}

/** The SET clause of a status upsert, built from an expression builder over the old row. */
type StatusUpdate = Extract<
  Parameters<OnConflictBuilder<Database, 'worker_status'>['doUpdateSet']>[0],
  (...args: never[]) => unknown
>;

/** Builds the workers repository over a Kysely instance or transaction. */
export function createWorkersRepo(db: Kysely<Database>): WorkersRepo {
  /** Status writes all upsert; a missing registry row surfaces as UNKNOWN_WORKER. */
  async function upsertStatus(
    id: string,
    insert: Partial<Insertable<WorkerStatusTable>>,
    update: StatusUpdate,
    now: number,
  ): Promise<WorkerStatus> {
    try {
      const row = await db
        .insertInto('worker_status')
        .values({
          worker_id: id,
          is_healthy: 1,
          ban_count: 0,
          request_count: 0,
          success_count: 0,
          error_count: 0,
          ...insert,
          updated_at: now,
        })
        .onConflict((oc) => oc.column('worker_id').doUpdateSet((eb) => ({ ...update(eb), updated_at: now })))
        .returningAll()
        .executeTakeFirstOrThrow();
      return toStatus(row);
    } catch (err) {
      if (isForeignKeyViolation(err)) {
        throw new StoreError(
          'UNKNOWN_WORKER',
          `Worker "${id}" is not registered: register it before saving its status.`,
        );
      }
      throw err;
    }
  }

  return {
    async upsert(w, now = Date.now()) {
      const base = w.configBase ? JSON.stringify({ url: w.configBase.url, region: w.configBase.region, name: w.configBase.name }) : null;
      const row = await db
        .insertInto('workers')
        .values({ id: w.id, name: w.name, region: w.region, url: w.url, origin: w.origin, config_base: base, created_at: now, updated_at: now })
        .onConflict((oc) =>
          oc.column('id').doUpdateSet({
            name: w.name,
            region: w.region,
            url: w.url,
            origin: w.origin,
            config_base: base,
            updated_at: now,
          }),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
      return toWorker(row);
    },

    async remove(id) {
      const res = await db.deleteFrom('workers').where('id', '=', id).executeTakeFirst();
      return res.numDeletedRows > 0n;
    },

    async list() {
      const rows = await db.selectFrom('workers').selectAll().orderBy('id').execute();
      return rows.map(toWorker);
    },

    async get(id) {
      const row = await db.selectFrom('workers').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toWorker(row);
    },

    async getStatus(id) {
      const row = await db
        .selectFrom('worker_status')
        .selectAll()
        .where('worker_id', '=', id)
        .executeTakeFirst();
      return row && toStatus(row);
    },

    async listStatus() {
      const rows = await db.selectFrom('worker_status').selectAll().orderBy('worker_id').execute();
      return rows.map(toStatus);
    },

    async saveStatus(patch, now = Date.now()) {
      const cols = statusColumns(patch);
      return upsertStatus(patch.workerId, cols, () => cols, now);
    },

    async ban(id, until, reason, now = Date.now()) {
      return upsertStatus(
        id,
        { banned_until: until, ban_reason: reason, ban_count: 1 },
        (eb) => ({
          banned_until: until,
          ban_reason: reason,
          ban_count: eb('worker_status.ban_count', '+', 1),
        }),
        now,
      );
    },

    async unban(id, now = Date.now()) {
      const cleared = { banned_until: null, ban_reason: null };
      return upsertStatus(id, cleared, () => cleared, now);
    },

    async recordOutcome(id, outcome, now = Date.now()) {
      const ok = outcome === 'success' ? 1 : 0;
      return this.addCounts(id, { requests: 1, successes: ok, errors: 1 - ok }, now);
    },

    async addCountsMany(deltas, now = Date.now()) {
      const write = async (tx: Kysely<Database>) => {
        for (let from = 0; from < deltas.length; from += COUNTS_BATCH) {
          const rows = deltas.slice(from, from + COUNTS_BATCH).map(({ id, delta: d }) => ({
            worker_id: id, is_healthy: 1, ban_count: 0,
            request_count: d.requests, success_count: d.successes, error_count: d.errors, updated_at: now,
          }));
          await tx
            .insertInto('worker_status')
            .values(rows)
            // Increment in SQL, never read-modify-write: several coordinators may report at once.
            .onConflict((oc) => oc.column('worker_id').doUpdateSet((eb) => ({
              request_count: eb('worker_status.request_count', '+', eb.ref('excluded.request_count')),
              success_count: eb('worker_status.success_count', '+', eb.ref('excluded.success_count')),
              error_count: eb('worker_status.error_count', '+', eb.ref('excluded.error_count')),
              updated_at: now,
            })))
            .execute();
        }
      };
      if (deltas.length === 0) return;
      try {
        // All or none, so that a caller that falls back to writing them one by one never counts twice.
        if (db.isTransaction) await write(db);
        else await db.transaction().execute(write);
      } catch (err) {
        if (isForeignKeyViolation(err)) throw new StoreError('UNKNOWN_WORKER', 'One of the workers whose counts were written is not registered (removed meanwhile?).');
        throw err;
      }
    },

    async addCounts(id, d, now = Date.now()) {
      return upsertStatus(
        id,
        { request_count: d.requests, success_count: d.successes, error_count: d.errors },
        (eb) => ({
          // Increment in SQL, never read-modify-write: several coordinators may report at once.
          request_count: eb('worker_status.request_count', '+', d.requests),
          success_count: eb('worker_status.success_count', '+', d.successes),
          error_count: eb('worker_status.error_count', '+', d.errors),
        }),
        now,
      );
    },
  };
}
