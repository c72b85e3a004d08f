import { PostgresDialect } from 'kysely';
import type pg from 'pg';
import type { Logger } from 'pino';
import { StoreError } from './errors.js';
import { maskUrl, scrub, urlSecrets } from '../observability/secrets.js';
import { lazyModule } from '../lazy-module.js';

const pgModule = lazyModule<typeof import('pg')>('pg');

/** Timeouts so that no query or connection attempt hangs forever. */
export interface PostgresTimeouts {
  /** Giving up on opening a connection. */
  connectTimeoutMs: number;
  /** Server-side cap on one statement. */
  statementTimeoutMs: number;
}

const INT8_OID = 20;
const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;

/** Builds a pg Pool dialect for `url`, optionally confined to `schema` via search_path. */
export function openPostgres(
  url: string,
  schema: string | undefined,
  timeouts: PostgresTimeouts,
  logger?: Logger,
): { dialect: PostgresDialect; pool: pg.Pool } {
  let scheme: string;
  try {
    scheme = new URL(url).protocol;
  } catch {
    throw new StoreError(
      'STORE_INVALID_CONFIG',
      'DATABASE_URL is not a valid URL. Use postgres://user:password@host:5432/database.',
    );
  }
  if (scheme !== 'postgres:' && scheme !== 'postgresql:') {
    throw new StoreError(
      'STORE_INVALID_CONFIG',
      `DATABASE_URL must start with postgres:// (got ${scheme}//). Unset it to use the embedded SQLite store.`,
    );
  }
  if (schema !== undefined && !SCHEMA_RE.test(schema)) {
    throw new StoreError('STORE_INVALID_CONFIG', `Invalid schema name "${schema}": use lowercase letters, digits and _.`);
  }

  // Times are BIGINT epoch ms; pg returns int8 as a string to protect values above 2^53.
  // Ours stay far below, so parse them as numbers — per pool, not globally, so other pg users
  // in the process keep the default.
  const types = new (pgModule().TypeOverrides)();
  types.setTypeParser(INT8_OID, (v: string) => Number(v));

  const pool = new (pgModule().Pool)({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: timeouts.connectTimeoutMs,
    statement_timeout: timeouts.statementTimeoutMs,
    // Client-side backstop for a server that stops answering altogether.
    query_timeout: timeouts.statementTimeoutMs + 5000,
    idle_in_transaction_session_timeout: 60_000,
    idleTimeoutMillis: 30_000,
    application_name: 'vigie',
    types,
    ...(schema !== undefined && { options: `-c search_path=${schema}` }),
  });
  // A connection that dies (server restart, pg_terminate_backend, network cut) makes its Client
  // emit 'error', whether idle in the pool or checked out by a query; an 'error' event with no
  // listener kills the process. So every client gets a listener as it is created: the query that
  // was running fails on its own (STORE_UNAVAILABLE, see unavailable.ts) and the pool drops the
  // dead client and opens a new one on the next query.
  const where = maskUrl(url);
  const secrets = urlSecrets(url);
  pool.on('connect', (client) => {
    client.on('error', (err) =>
      logger?.warn({ err: { message: scrub(err.message, secrets), code: (err as { code?: string }).code }, url: where }, 'PostgreSQL connection lost; the pool replaces it'),
    );
  });
  // The pool re-emits an idle client's error (already logged by the client's own listener).
  pool.on('error', () => undefined);
  return { dialect: new PostgresDialect({ pool }), pool };
}
