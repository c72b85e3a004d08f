import type { Kysely, Migration } from 'kysely';

// The newest fencing number the store has seen per lock (leadership). A write carrying a lower
// number comes from a leader that lost its lease (paused, partitioned) and is refused.
//   name    the lock, e.g. "leader"
//   token   the highest fencing number accepted so far

/** The fencing table: one row per lock. */
export function fencing(): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('fencing')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('token', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('fencing').execute();
    },
  };
}
