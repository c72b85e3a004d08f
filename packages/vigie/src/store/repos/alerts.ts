import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { AlertsTable, Database } from '../schema.js';
import { fromBool, fromJson, toBool, toCount, toJson } from '../codec.js';

/** Where a match is sent; `channel` picks the notifier, the rest is the notifier's business. */
export interface NotifyTarget {
  channel: string;
  [key: string]: unknown;
}

/** A saved search. */
export interface Alert {
  id: string;
  name: string;
  source: string;
  query: string;
  priceMin: number | null;
  priceMax: number | null;
  conditions: string[];
  includeWords: string[];
  excludeWords: string[];
  notify: NotifyTarget[];
  active: boolean;
  /**
   * Notify what is already listed at the alert's first check (otherwise it is recorded as seen,
   * silently: see alerts/matches.ts). Present only when true, so that alerts read the same as
   * before the field existed.
   */
  notifyExisting?: boolean;
  createdAt: number;
  updatedAt: number;
}

/** What `create` takes; lists default to empty, `active` to true, `id` to a new UUID. */
export interface AlertInput {
  id?: string;
  name: string;
  source: string;
  query: string;
  priceMin?: number | null;
  priceMax?: number | null;
  conditions?: string[];
  includeWords?: string[];
  excludeWords?: string[];
  notify?: NotifyTarget[];
  active?: boolean;
  /** Default false: the first check records what is listed without notifying it. */
  notifyExisting?: boolean;
}

/** Fields `update` may change; absent fields keep their value. */
export type AlertPatch = Partial<Omit<AlertInput, 'id'>>;

export interface AlertsRepo {
  /** Creates an alert and returns it. */
  create(input: AlertInput, now?: number): Promise<Alert>;
  /** One alert, or undefined. */
  get(id: string): Promise<Alert | undefined>;
  /** Alerts in creation order, optionally only the active ones. */
  list(opts?: { activeOnly?: boolean }): Promise<Alert[]>;
  /** Patches an alert; undefined if it does not exist. */
  update(id: string, patch: AlertPatch, now?: number): Promise<Alert | undefined>;
  /** Turns an alert on or off; false if it does not exist. */
  setActive(id: string, active: boolean, now?: number): Promise<boolean>;
  /** Deletes an alert with its seen items and matches; false if it did not exist. */
  remove(id: string): Promise<boolean>;
  /** How many alerts are active (a cycle with none is skipped). */
  countActive(): Promise<number>;
  /**
   * Creates many alerts in one transaction (all or none), in batched inserts; returns how many.
   * They list in the order given.
   */
  createMany(inputs: readonly AlertInput[], now?: number): Promise<number>;
  /**
   * Records the first check of those of `ids` that were never checked (their baseline, see
   * alerts/matches.ts) in one statement per 2000; returns the ids it marked.
   */
  claimBaselines(ids: readonly string[], now: number): Promise<string[]>;
  /**
   * Claims an alert's first check: sets `baseline_at` only if still unset; true for the caller
   * that set it. On PostgreSQL a concurrent first check waits on this row, then finds it set.
   */
  claimBaseline(id: string, now: number): Promise<boolean>;
}

/**
 * Rows per INSERT: 14 columns × 2000 = 28 000 bound values, under SQLite's 32766 and PostgreSQL's
 * 65535, and large enough that 20 000 alerts take 10 statements.
 */
const INSERT_BATCH = 2000;

function toAlert(r: Selectable<AlertsTable>): Alert {
  return {
    id: r.id,
    name: r.name,
    source: r.source,
    query: r.query,
    priceMin: r.price_min,
    priceMax: r.price_max,
    conditions: fromJson(r.conditions, []),
    includeWords: fromJson(r.include_words, []),
    excludeWords: fromJson(r.exclude_words, []),
    notify: fromJson(r.notify, []),
    active: fromBool(r.active),
    ...(fromBool(r.notify_existing) && { notifyExisting: true as const }),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function insertRow(input: AlertInput, id: string, now: number) {
  return {
    id,
    name: input.name,
    source: input.source,
    query: input.query,
    price_min: input.priceMin ?? null,
    price_max: input.priceMax ?? null,
    conditions: toJson(input.conditions ?? []),
    include_words: toJson(input.includeWords ?? []),
    exclude_words: toJson(input.excludeWords ?? []),
    notify: toJson(input.notify ?? []),
    active: toBool(input.active ?? true),
    notify_existing: toBool(input.notifyExisting ?? false),
    created_at: now,
    updated_at: now,
  };
}

function patchColumns(p: AlertPatch) {
  return {
    ...(p.name !== undefined && { name: p.name }),
    ...(p.source !== undefined && { source: p.source }),
    ...(p.query !== undefined && { query: p.query }),
    ...(p.priceMin !== undefined && { price_min: p.priceMin }),
    ...(p.priceMax !== undefined && { price_max: p.priceMax }),
    ...(p.conditions !== undefined && { conditions: toJson(p.conditions) }),
    ...(p.includeWords !== undefined && { include_words: toJson(p.includeWords) }),
    ...(p.excludeWords !== undefined && { exclude_words: toJson(p.excludeWords) }),
    ...(p.notify !== undefined && { notify: toJson(p.notify) }),
    ...(p.active !== undefined && { active: toBool(p.active) }),
    ...(p.notifyExisting !== undefined && { notify_existing: toBool(p.notifyExisting) }),
  };
}

/** Builds the alerts repository over a Kysely instance or transaction. */
export function createAlertsRepo(db: Kysely<Database>): AlertsRepo {
  return {
    async create(input, now = Date.now()) {
      const row = await db
        .insertInto('alerts')
        .values(insertRow(input, input.id ?? randomUUID(), now))
        .returningAll()
        .executeTakeFirstOrThrow();
      return toAlert(row);
    },

    async get(id) {
      const row = await db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toAlert(row);
    },

    async list(opts = {}) {
      let q = db.selectFrom('alerts').selectAll();
      if (opts.activeOnly) q = q.where('active', '=', toBool(true));
      const rows = await q.orderBy('created_at').orderBy('id').execute();
      return rows.map(toAlert);
    },

    async update(id, patch, now = Date.now()) {
      const row = await db
        .updateTable('alerts')
        .set({ ...patchColumns(patch), updated_at: now })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row && toAlert(row);
    },

    async setActive(id, active, now = Date.now()) {
      const res = await db
        .updateTable('alerts')
        .set({ active: toBool(active), updated_at: now })
        .where('id', '=', id)
        .executeTakeFirst();
      return res.numUpdatedRows > 0n;
    },

    async remove(id) {
      const res = await db.deleteFrom('alerts').where('id', '=', id).executeTakeFirst();
      return res.numDeletedRows > 0n;
    },

    async countActive() {
      const row = await db
        .selectFrom('alerts')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('active', '=', toBool(true))
        .executeTakeFirstOrThrow();
      return toCount(row.n);
    },
    async claimBaseline(id, now) {
      const res = await db.updateTable('alerts').set({ baseline_at: now }).where('id', '=', id).where('baseline_at', 'is', null).executeTakeFirst();
      return res.numUpdatedRows > 0n;
    },

    async createMany(inputs, now = Date.now()) {
      // Alerts list by (created_at, id) and share one created_at here: sorted random UUIDs keep
      // the file's order without inventing timestamps.
      const ids = inputs.map((i) => i.id ?? randomUUID());
      if (inputs.every((i) => i.id === undefined)) ids.sort();
      const insert = async (tx: Kysely<Database>) => {
        for (let from = 0; from < inputs.length; from += INSERT_BATCH) {
          const rows = inputs.slice(from, from + INSERT_BATCH).map((input, k) => insertRow(input, ids[from + k]!, now));
          await tx.insertInto('alerts').values(rows).execute();
        }
      };
      if (inputs.length === 0) return 0;
      // Already inside a caller's transaction: it owns the all-or-nothing.
      if (db.isTransaction) await insert(db);
      else await db.transaction().execute(insert);
      return inputs.length;
    },

    async claimBaselines(ids, now) {
      const claimed: string[] = [];
      for (let from = 0; from < ids.length; from += INSERT_BATCH) {
        const rows = await db
          .updateTable('alerts')
          .set({ baseline_at: now })
          .where('id', 'in', ids.slice(from, from + INSERT_BATCH))
          .where('baseline_at', 'is', null)
          .returning('id')
          .execute();
        for (const r of rows) claimed.push(r.id);
      }
      return claimed;
    },
  };
}
