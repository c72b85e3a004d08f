import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { StoreError } from '../errors.js';

/** A write's claim to come from the current holder of a lock. */
export interface Fence {
  /** The lock, e.g. "leader". */
  name: string;
  /** The fencing number of the holder's grant. */
  token: number;
}

export interface FencingRepo {
  /**
   * Accepts `fence` when its token is at least the newest seen for its lock (and records it as
   * the newest); throws StoreError FENCED when it is lower. Call it first inside the
   * transaction of the write it guards, so that check and write commit together.
   */
  check(fence: Fence, now?: number): Promise<void>;
  /** The newest token accepted for `name`, or null. */
  newest(name: string): Promise<number | null>;
}

/** Builds the fencing repository over a Kysely instance or transaction. */
export function createFencingRepo(db: Kysely<Database>): FencingRepo {
  return {
    async check(fence, now = Date.now()) {
      // One statement, no read-then-write: the row is inserted, or raised to this token only
      // when it is not lower; a lower token changes nothing and is told apart by the re-read.
      await db
        .insertInto('fencing')
        .values({ name: fence.name, token: fence.token, updated_at: now })
        .onConflict((oc) => oc.column('name').doUpdateSet({ token: fence.token, updated_at: now }).where('fencing.token', '<=', fence.token))
        .execute();
      const newest = await this.newest(fence.name);
      if (newest !== null && newest > fence.token) {
        throw new StoreError('FENCED', `Stale write refused: fencing number ${fence.token} of lock "${fence.name}" is below the newest seen (${newest}); this process lost its lease.`);
      }
    },
    async newest(name) {
      const row = await db.selectFrom('fencing').select('token').where('name', '=', name).executeTakeFirst();
      return row ? Number(row.token) : null;
    },
  };
}
