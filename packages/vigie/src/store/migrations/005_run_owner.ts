import type { Kysely, Migration } from 'kysely';

// A run knows who runs it and until when, so that the leader can close the runs of a
// coordinator that died or lost its lease (status "abandoned") instead of leaving them
// "running" forever.
//   owner        the coordinator that opened the run (`<host>:<pid>`)
//   deadline_at  when the run must have ended (epoch ms); NULL for runs opened before this migration
//   alert_ids    the alerts the run covers (JSON array), listed as not checked if it is abandoned

/** alert_runs gains owner, deadline_at and alert_ids. */
export function runOwner(): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('alert_runs').addColumn('owner', 'text').execute();
      await db.schema.alterTable('alert_runs').addColumn('deadline_at', 'bigint').execute();
      await db.schema.alterTable('alert_runs').addColumn('alert_ids', 'text').execute();
      await db.schema.createIndex('alert_runs_status_idx').on('alert_runs').column('status').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropIndex('alert_runs_status_idx').execute();
      await db.schema.alterTable('alert_runs').dropColumn('alert_ids').execute();
      await db.schema.alterTable('alert_runs').dropColumn('deadline_at').execute();
      await db.schema.alterTable('alert_runs').dropColumn('owner').execute();
    },
  };
}
