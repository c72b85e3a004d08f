import { Migrator, sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import { StoreError } from './errors.js';
import { migrationProvider } from './migrations/index.js';
import type { Database, StoreKind } from './schema.js';

/** Applies pending migrations; throws StoreError STORE_MIGRATION_FAILED with the failing step. */
export async function migrate(
  db: Kysely<Database>,
  kind: StoreKind,
  opts: { schema?: string; logger?: Logger } = {},
): Promise<string[]> {
  // Pin the bookkeeping tables to one schema: otherwise Kysely sees another schema's
  // kysely_migration (e.g. a parallel test's) and skips creating its own.
  const migrationTableSchema = kind === 'postgres' ? (opts.schema ?? (await currentSchema(db))) : undefined;
  const migrator = new Migrator({ db, provider: migrationProvider(kind), migrationTableSchema });

  const { error, results = [] } = await migrator.migrateToLatest();
  if (!error) {
    const applied = results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
    if (applied.length > 0) opts.logger?.info({ applied }, 'store migrations applied');
    return applied;
  }
  const failed = results.find((r) => r.status === 'Error');
  const reason = error instanceof Error ? error.message : String(error);
  throw new StoreError(
    'STORE_MIGRATION_FAILED',
    `Store migration ${failed ? `"${failed.migrationName}" ` : ''}failed: ${reason}. ` +
      'The database keeps its last good version. Check that the database user may create tables, ' +
      'and that no newer Vigie version has migrated this database.',
    (error as { code?: string }).code,
  );
}

async function currentSchema(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema;
  if (!schema) {
    throw new StoreError(
      'STORE_MIGRATION_FAILED',
      'PostgreSQL has no current schema (search_path is empty or names missing schemas). Fix the search_path of the DATABASE_URL user.',
    );
  }
  return schema;
}
