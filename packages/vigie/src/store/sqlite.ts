import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  type SqliteDialectConfig,
} from 'kysely';
import type { Logger } from 'pino';
import { StoreError } from './errors.js';

/**
 * The SQLite driver for this Node: better-sqlite3 13 (Node-API) from Node 22 on, 12 before.
 * 12.x wraps objects with node::ObjectWrap, whose destructor aborts the process on Node 24.19+
 * when a statement is collected (nodejs/node#65446, seen here as a worker dying at start on
 * Node 24); 13 avoids it but needs Node 22. Both have the same API, so one is chosen at load.
 */
export const SqliteDatabase: typeof BetterSqlite3 = createRequire(import.meta.url)(
  Number(process.versions.node.split('.')[0]) >= 22 ? 'better-sqlite3-napi' : 'better-sqlite3',
);

/** How long a writer waits for another connection's lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

/** Opens `<dataDir>/vigie.db` (creating the folder 0700: it holds credentials) as a Kysely dialect. */
export function openSqlite(dataDir: string, logger?: Logger): { dialect: SqliteDialect; file: string } {
  const file = join(dataDir, 'vigie.db');
  let db: BetterSqlite3.Database | undefined;
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    db = new SqliteDatabase(file);
    // WAL lets readers (dashboard, API) run while the cycle writes; busy_timeout makes a second
    // process wait instead of failing at once; SQLite leaves foreign keys off unless asked.
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') logger?.warn({ file, mode }, 'SQLite WAL mode unavailable on this filesystem');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('foreign_keys = ON');
    // Safe with WAL (no corruption on power loss, at most the last commits lost) and much faster.
    db.pragma('synchronous = NORMAL');
  } catch (err) {
    db?.close();
    const reason = err instanceof Error ? err.message : String(err);
    throw new StoreError(
      'STORE_UNAVAILABLE',
      `Cannot open the SQLite store at ${file}: ${reason}. Check that dataDir is writable by this user and that vigie.db is a Vigie database.`,
      (err as { code?: string }).code,
    );
  }
  return { dialect: new VigieSqliteDialect({ database: cachingStatements(db) }), file };
}

/**
 * Several local processes (coordinator, workers) may share vigie.db. BEGIN IMMEDIATE takes the
 * write lock when a transaction starts, waiting up to busy_timeout; a plain BEGIN would take a
 * read snapshot first and then fail with SQLITE_BUSY when another process wrote meanwhile.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/**
 * SQLite has transactional DDL, though Kysely's adapter says otherwise: declaring it makes the
 * Migrator run each migration in a transaction (all or nothing), and with BEGIN IMMEDIATE that
 * transaction is also the lock that keeps two processes from migrating a fresh file at once.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class VigieSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

/** Prepared statements kept per connection: Vigie's queries are a few dozen shapes (bulk inserts add one per row count). */
const STATEMENT_CACHE_SIZE = 256;

/**
 * The database as Kysely sees it, with its prepared statements reused: Kysely prepares every
 * query it runs, so SQLite compiled the same few dozen statements again and again (better-sqlite3's
 * `prepare` was a fifth of a cycle's CPU in bench/scale, before the match recorder batched its
 * writes), each holding native memory until the collector freed its wrapper. A statement still
 * iterating (a streamed query) is not shared: the next caller gets a fresh one.
 */
function cachingStatements(db: BetterSqlite3.Database): SqliteDialectConfig['database'] {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => {
      cache.clear();
      db.close();
    },
    prepare: (sql) => {
      const cached = cache.get(sql);
      if (cached && !cached.busy) {
        // Most recently used last: the Map's order is the eviction order.
        cache.delete(sql);
        cache.set(sql, cached);
        return cached;
      }
      const statement = db.prepare(sql);
      if (!cached) {
        cache.set(sql, statement);
        if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      return statement;
    },
  };
}

const opening = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` (open + migrate) for one file at a time within this process. better-sqlite3 waits
 * for locks synchronously, so two in-process migrators would block the event loop that the
 * lock holder needs in order to commit.
 */
export function serializeOpen<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const prev = opening.get(file) ?? Promise.resolve();
  const next = prev.catch(() => undefined).then(fn);
  const tail = next.catch(() => undefined);
  opening.set(file, tail);
  void tail.then(() => {
    if (opening.get(file) === tail) opening.delete(file);
  });
  return next;
}
