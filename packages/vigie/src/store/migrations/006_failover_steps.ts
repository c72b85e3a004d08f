import type { Kysely, Migration } from 'kysely';

// The failover ladder (remediation/ladder.ts) moves workers to new machines and must survive a
// leader change in the middle of a step.
//   workers.fly_app, workers.machine_id   where the worker runs on Fly.io (config file
//                 `workers[].flyApp` / `machineId`, then whatever a step moved it to)
//   failover_steps  the step under way, one row per worker at most (the primary key is what
//                 forbids two steps on one worker, across leaders too):
//     worker_id, step ('restart' | 'region' | 'app'), from_value (the worker's url before),
//     fencing_token (the leader's, so a new leader knows the step is not its own),
//     machine_id / fly_app (the machine acted on), progress (JSON StepProgress of the last
//     checkpoint: a machine created, an old one about to be destroyed), started_at.

/** Adds `workers.fly_app`, `workers.machine_id` and the `failover_steps` table. */
export function failoverSteps(): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('workers').addColumn('fly_app', 'text').execute();
      await db.schema.alterTable('workers').addColumn('machine_id', 'text').execute();
      await db.schema
        .createTable('failover_steps')
        .addColumn('worker_id', 'text', (c) => c.primaryKey())
        .addColumn('step', 'text', (c) => c.notNull())
        .addColumn('from_value', 'text')
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('fencing_token', 'bigint', (c) => c.notNull())
        .addColumn('fly_app', 'text')
        .addColumn('machine_id', 'text')
        .addColumn('progress', 'text')
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('failover_steps').execute();
      await db.schema.alterTable('workers').dropColumn('machine_id').execute();
      await db.schema.alterTable('workers').dropColumn('fly_app').execute();
    },
  };
}
