import type { Kysely, Migration } from 'kysely';
import type { StoreKind } from '../schema.js';

// DDL written once for both engines: 'bigint', 'text', 'boolean', 'double precision' are
// valid type names in SQLite too (with the right affinities). Only the auto-increment key
// differs. Time columns are BIGINT epoch ms so that pg's int8 parser turns them into numbers.

/** The first schema: worker registry and status, credentials, alerts, runs, matches, outbox, failovers. */
export function initial(kind: StoreKind): Migration {
  return {
    // Migrations must not depend on the app's current types, hence Kysely<any>.
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('workers')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('worker_status')
        .addColumn('worker_id', 'text', (c) =>
          c.primaryKey().references('workers.id').onDelete('cascade'),
        )
        .addColumn('is_healthy', 'boolean', (c) => c.notNull())
        .addColumn('last_check_at', 'bigint')
        .addColumn('last_error', 'text')
        .addColumn('banned_until', 'bigint')
        .addColumn('ban_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('ban_reason', 'text')
        .addColumn('request_count', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('success_count', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('error_count', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('credentials')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('last_refresh_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('alerts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('query', 'text', (c) => c.notNull())
        .addColumn('price_min', 'double precision')
        .addColumn('price_max', 'double precision')
        .addColumn('conditions', 'text', (c) => c.notNull())
        .addColumn('include_words', 'text', (c) => c.notNull())
        .addColumn('exclude_words', 'text', (c) => c.notNull())
        .addColumn('notify', 'text', (c) => c.notNull())
        .addColumn('active', 'boolean', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('alerts_active_idx').on('alerts').column('active').execute();

      await db.schema
        .createTable('alert_runs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('ended_at', 'bigint')
        .addColumn('trigger', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        // UNIQUE with NULLs allowed: manual runs have no slot, scheduled slots run once.
        .addColumn('slot_key', 'text', (c) => c.unique())
        .addColumn('fencing_token', 'bigint')
        .addColumn('workers', 'text', (c) => c.notNull())
        .addColumn('alerts_total', 'integer', (c) => c.notNull())
        .addColumn('alerts_checked', 'integer', (c) => c.notNull())
        .addColumn('alerts_failed', 'integer', (c) => c.notNull())
        .addColumn('matches', 'integer', (c) => c.notNull())
        .addColumn('errors', 'integer', (c) => c.notNull())
        .addColumn('summary', 'text')
        .execute();
      await db.schema
        .createIndex('alert_runs_started_idx')
        .on('alert_runs')
        .column('started_at')
        .execute();

      await db.schema
        .createTable('seen_items')
        .addColumn('alert_id', 'text', (c) =>
          c.notNull().references('alerts.id').onDelete('cascade'),
        )
        .addColumn('item_id', 'text', (c) => c.notNull())
        .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('seen_items_pk', ['alert_id', 'item_id'])
        .execute();

      await db.schema
        .createTable('matches')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('alert_id', 'text', (c) =>
          c.notNull().references('alerts.id').onDelete('cascade'),
        )
        .addColumn('item_id', 'text', (c) => c.notNull())
        .addColumn('item', 'text', (c) => c.notNull())
        .addColumn('run_id', 'text', (c) => c.references('alert_runs.id').onDelete('set null'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('matches_alert_item_uq', ['alert_id', 'item_id'])
        .execute();
      await db.schema.createIndex('matches_created_idx').on('matches').column('created_at').execute();

      await db.schema
        .createTable('notification_outbox')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('match_id', 'text', (c) => c.references('matches.id').onDelete('set null'))
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('sent_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('outbox_due_idx')
        .on('notification_outbox')
        .columns(['status', 'next_attempt_at'])
        .execute();

      // History outlives the workers it names: no foreign key on worker_id.
      let failovers = db.schema.createTable('failover_history');
      failovers =
        kind === 'postgres'
          ? failovers.addColumn('id', 'bigserial', (c) => c.primaryKey())
          : failovers.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
      await failovers
        .addColumn('worker_id', 'text', (c) => c.notNull())
        .addColumn('step', 'text', (c) => c.notNull())
        .addColumn('from_value', 'text')
        .addColumn('to_value', 'text')
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('ok', 'boolean', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('failover_history_at_idx')
        .on('failover_history')
        .columns(['at', 'id'])
        .execute();
    },

    async down(db: Kysely<any>): Promise<void> {
      for (const table of [
        'failover_history',
        'notification_outbox',
        'matches',
        'seen_items',
        'alert_runs',
        'alerts',
        'credentials',
        'worker_status',
        'workers',
      ]) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  };
}
