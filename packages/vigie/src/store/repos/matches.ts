import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Database, MatchesTable } from '../schema.js';
import { fromJson, toJson } from '../codec.js';

/** An item that matched an alert, recorded once per (alert, item). */
export interface Match {
  id: string;
  alertId: string;
  itemId: string;
  item: unknown;
  runId: string | null;
  createdAt: number;
}

/** What `insertMatch` takes. */
export interface MatchInput {
  alertId: string;
  itemId: string;
  item: unknown;
  runId?: string | null;
  createdAt?: number;
}

export interface MatchesRepo {
  /** Records items as seen for an alert; returns, in input order, the ids never seen before. */
  markSeen(alertId: string, itemIds: readonly string[], now?: number): Promise<string[]>;
  /** Records a match once; a second call for the same (alert, item) returns the first one. */
  insertMatch(input: MatchInput): Promise<{ match: Match; created: boolean }>;
  /** The newest matches first, optionally for one alert. */
  listRecent(limit?: number, opts?: { alertId?: string }): Promise<Match[]>;
}

// Well under SQLite's and PostgreSQL's bound-parameter limits (3 per row).
const CHUNK = 500;

function toMatch(r: Selectable<MatchesTable>): Match {
  return {
    id: r.id,
    alertId: r.alert_id,
    itemId: r.item_id,
    item: fromJson<unknown>(r.item, null),
    runId: r.run_id,
    createdAt: r.created_at,
  };
}

/** Builds the seen-items and matches repository over a Kysely instance or transaction. */
export function createMatchesRepo(db: Kysely<Database>): MatchesRepo {
  return {
    async markSeen(alertId, itemIds, now = Date.now()) {
      const unique = [...new Set(itemIds)];
      const fresh = new Set<string>();
      for (let i = 0; i < unique.length; i += CHUNK) {
        // INSERT … ON CONFLICT DO NOTHING RETURNING: the database decides who saw an item
        // first, so two concurrent callers never both get the same id back.
        const rows = await db
          .insertInto('seen_items')
          .values(unique.slice(i, i + CHUNK).map((item_id) => ({ alert_id: alertId, item_id, first_seen_at: now })))
          .onConflict((oc) => oc.columns(['alert_id', 'item_id']).doNothing())
          .returning('item_id')
          .execute();
        for (const r of rows) fresh.add(r.item_id);
      }
      return unique.filter((id) => fresh.has(id));
    },

    async insertMatch(input) {
      const inserted = await db
        .insertInto('matches')
        .values({
          id: randomUUID(),
          alert_id: input.alertId,
          item_id: input.itemId,
          item: toJson(input.item),
          run_id: input.runId ?? null,
          created_at: input.createdAt ?? Date.now(),
        })
        .onConflict((oc) => oc.columns(['alert_id', 'item_id']).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) return { match: toMatch(inserted), created: true };
      const existing = await db
        .selectFrom('matches')
        .selectAll()
        .where('alert_id', '=', input.alertId)
        .where('item_id', '=', input.itemId)
        .executeTakeFirstOrThrow();
      return { match: toMatch(existing), created: false };
    },

    async listRecent(limit = 50, opts = {}) {
      let q = db.selectFrom('matches').selectAll();
      if (opts.alertId !== undefined) q = q.where('alert_id', '=', opts.alertId);
      const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map(toMatch);
    },
  };
}
