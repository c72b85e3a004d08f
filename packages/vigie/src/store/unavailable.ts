import type { DatabaseConnection, Dialect, Driver, Kysely, QueryResult, TransactionSettings, CompiledQuery } from 'kysely';
import { scrub } from '../observability/secrets.js';
import { StoreError } from './errors.js';
import type { StoreKind } from './schema.js';

// A database that goes away (server restarted, backend terminated, network cut, disk full) must
// be an error of the one operation that met it, with a stable code, never a crash or an
// anonymous 500. The driver wrapper below turns every such driver error into StoreError
// STORE_UNAVAILABLE (HTTP 503) with a hint; the pool replaces the lost connection on its own.

/** Driver error codes that mean "the database is not there now", not "this query is wrong". */
const UNAVAILABLE_CODES = new Set([
  // Sockets.
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN',
  // PostgreSQL: connection exceptions (08xxx), operator intervention (57P0x), too many connections.
  '08000', '08001', '08003', '08004', '08006', '57P01', '57P02', '57P03', '53300',
  // SQLite: locked past busy_timeout, I/O, full or unopenable disk.
  'SQLITE_BUSY', 'SQLITE_IOERR', 'SQLITE_FULL', 'SQLITE_CANTOPEN', 'SQLITE_READONLY',
]);

/** pg's own messages for a connection that died or never came (they carry no code). */
const UNAVAILABLE_MESSAGES = /Connection terminated|not queryable|timeout exceeded when trying to connect|Query read timeout|Connection ended|server closed the connection/i;

/** True when `err` says the database is unreachable or its connection was lost. */
export function isUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_CODES.has(code.split('_').slice(0, 2).join('_'))) return true;
  return typeof e?.message === 'string' && UNAVAILABLE_MESSAGES.test(e.message);
}

/** Which database, as shown in messages (URL already masked), and the secrets to keep out of them. */
export interface StoreTarget {
  kind: StoreKind;
  where: string;
  secrets: readonly string[];
}

/** STORE_UNAVAILABLE for `err` (at open, at a ping or on any query), with a hint fitted to the driver's error and no secret. */
export function unavailableError(err: unknown, target: StoreTarget): StoreError {
  if (err instanceof StoreError) return err;
  const e = (err ?? {}) as { message?: string; code?: string };
  const code = typeof e.code === 'string' ? e.code : undefined;
  // Node's AggregateError (IPv4 + IPv6 attempts) has an empty message but a code.
  const reason = scrub(e.message || code || 'unknown error', target.secrets);
  const hint =
    target.kind === 'sqlite'
      ? 'Check that dataDir is on a local, writable disk that is not full, and that no other process holds vigie.db locked.'
      : code === '28P01' || code === '28000'
        ? 'Check the user and password in DATABASE_URL.'
        : code === '3D000'
          ? 'Create that database, or fix its name in DATABASE_URL.'
          : 'Check that PostgreSQL is running and reachable at DATABASE_URL (host, port, database); Vigie reconnects by itself, retry once it is back.';
  return new StoreError('STORE_UNAVAILABLE', `The store (${target.where}) is unavailable: ${reason}. ${hint}`, code);
}

/** `dialect` whose driver throws STORE_UNAVAILABLE instead of a raw connection error. */
export function withUnavailableErrors(dialect: Dialect, target: StoreTarget): Dialect {
  const translate = (err: unknown): unknown => (isUnavailable(err) ? unavailableError(err, target) : err);
  return {
    createAdapter: () => dialect.createAdapter(),
    createIntrospector: (db: Kysely<any>) => dialect.createIntrospector(db),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createDriver: () => new TranslatingDriver(dialect.createDriver(), translate),
  };
}

/** Our connection wrapper around the driver's own (which the driver needs back, e.g. to release it). */
class TranslatingConnection implements DatabaseConnection {
  constructor(
    readonly inner: DatabaseConnection,
    private readonly translate: (err: unknown) => unknown,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    try {
      return await this.inner.executeQuery<R>(query);
    } catch (err) {
      throw this.translate(err);
    }
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(query, chunkSize);
    } catch (err) {
      throw this.translate(err);
    }
  }
}

class TranslatingDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly translate: (err: unknown) => unknown,
  ) {}

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.translate(err);
    }
  }

  init(): Promise<void> {
    return this.call(() => this.inner.init());
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    return new TranslatingConnection(await this.call(() => this.inner.acquireConnection()), this.translate);
  }
  beginTransaction(c: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.call(() => this.inner.beginTransaction(unwrap(c), settings));
  }
  commitTransaction(c: DatabaseConnection): Promise<void> {
    return this.call(() => this.inner.commitTransaction(unwrap(c)));
  }
  rollbackTransaction(c: DatabaseConnection): Promise<void> {
    return this.call(() => this.inner.rollbackTransaction(unwrap(c)));
  }
  releaseConnection(c: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(unwrap(c));
  }
  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

function unwrap(c: DatabaseConnection): DatabaseConnection {
  return c instanceof TranslatingConnection ? c.inner : c;
}
