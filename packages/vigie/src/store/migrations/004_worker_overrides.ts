import type { Kysely, Migration } from 'kysely';

// A worker of the config file can be changed at run time (PATCH, the failover ladder moving it
// to a new machine). The config file stays the truth for its workers, except for such a change:
//   config_base   JSON { url, region, name } of the config entry the run-time change was made
//                 over; NULL when the row is exactly the config file's entry.
// At start-up a row whose config_base still equals the file's entry keeps its run-time values
// (the moved machine is where the worker lives now); once the operator edits the file's entry,
// the file wins again.

/** Adds `workers.config_base`. */
export function workerOverrides(): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('workers').addColumn('config_base', 'text').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('workers').dropColumn('config_base').execute();
    },
  };
}
