import { sql, type Kysely, type Migration } from 'kysely';

// Two columns for the match pipeline's baseline rule (alerts/matches.ts): the first check of an
// alert records what is already listed as seen, silently, unless the alert asks otherwise.
//   notify_existing  the alert wants what is already listed at its first check notified too
//   baseline_at      when the first check was recorded; NULL until then

/** Alerts learn whether their first check was recorded (baseline_at) and whether to notify it (notify_existing). */
export function alertBaseline(): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .alterTable('alerts')
        .addColumn('notify_existing', 'boolean', (c) => c.notNull().defaultTo(false))
        .execute();
      await db.schema.alterTable('alerts').addColumn('baseline_at', 'bigint').execute();
      // Alerts checked before this migration already have their baseline (their seen items):
      // their next check must notify what is new, not swallow it as a first check.
      await sql`update alerts set baseline_at = created_at
                where exists (select 1 from seen_items where seen_items.alert_id = alerts.id)`.execute(db);
    },

    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('alerts').dropColumn('baseline_at').execute();
      await db.schema.alterTable('alerts').dropColumn('notify_existing').execute();
    },
  };
}
