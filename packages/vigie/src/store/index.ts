import { Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import { StoreError } from './errors.js';
import { migrate } from './migrate.js';
import { openPostgres } from './postgres.js';
import { maskUrl, scrub, urlSecrets } from '../observability/secrets.js';
import { openSqlite, serializeOpen } from './sqlite.js';
import { unavailableError, withUnavailableErrors, type StoreTarget } from './unavailable.js';
import type { Database, StoreKind } from './schema.js';
import { createAlertRunsRepo, type AlertRunsRepo } from './repos/alert-runs.js';
import { createAlertsRepo, type AlertsRepo } from './repos/alerts.js';
import { createCredentialsRepo, type CredentialsRepo } from './repos/credentials.js';
import { createFailoversRepo, type FailoversRepo } from './repos/failovers.js';
import { createFencingRepo, type Fence, type FencingRepo } from './repos/fencing.js';
import { createMatchesRepo, type MatchesRepo } from './repos/matches.js';
import { createOutboxRepo, type OutboxRepo } from './repos/outbox.js';
import { createWorkersRepo, type WorkersRepo } from './repos/workers.js';

export { StoreError, isStoreError, type StoreErrorCode } from './errors.js';
export type { Database, StoreKind } from './schema.js';
export * from './repos/alert-runs.js';
export * from './repos/alerts.js';
export * from './repos/credentials.js';
export * from './repos/failovers.js';
export * from './repos/fencing.js';
export * from './repos/matches.js';
export * from './repos/outbox.js';
export * from './repos/workers.js';

/** Every repository, bound to one Kysely instance or transaction. */
export interface Repos {
  readonly workers: WorkersRepo;
  readonly credentials: CredentialsRepo;
  readonly alerts: AlertsRepo;
  readonly alertRuns: AlertRunsRepo;
  readonly matches: MatchesRepo;
  readonly outbox: OutboxRepo;
  readonly failovers: FailoversRepo;
  readonly fencing: FencingRepo;
}

/** The persistent state of Vigie, on SQLite or PostgreSQL. */
export interface Store extends Repos {
  readonly kind: StoreKind;
  /** For transactions across repositories: `db.transaction().execute((tx) => fn(createRepos(tx)))`. */
  readonly db: Kysely<Database>;
  /**
   * Runs `write` in one transaction over every repository; with a fence (the leader's fencing
   * number), it first checks that no newer leader has written, else throws StoreError FENCED
   * and writes nothing.
   */
  fenced<T>(fence: Fence | undefined, write: (repos: Repos) => Promise<T>): Promise<T>;
  /** Throws StoreError STORE_UNAVAILABLE if the database does not answer within the timeout. */
  ping(): Promise<void>;
  /** Closes connections; safe to call twice. */
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** Folder of the embedded SQLite file `vigie.db` (unused with databaseUrl). */
  dataDir: string;
  /** postgres://… to use PostgreSQL; unset or empty for the embedded SQLite store. */
  databaseUrl?: string;
  logger?: Logger;
  /** PostgreSQL only: keep every table in this schema (created if missing), e.g. one per test file. */
  schema?: string;
  /** Bound on connecting and on ping(); default 5000 ms. */
  connectTimeoutMs?: number;
  /** PostgreSQL only: server-side cap on one statement; default 30000 ms. */
  statementTimeoutMs?: number;
}

/** Builds every repository over `db` (a Kysely instance or a transaction). */
export function createRepos(db: Kysely<Database>): Repos {
  return {
    workers: createWorkersRepo(db),
    credentials: createCredentialsRepo(db),
    alerts: createAlertsRepo(db),
    alertRuns: createAlertRunsRepo(db),
    matches: createMatchesRepo(db),
    outbox: createOutboxRepo(db),
    failovers: createFailoversRepo(db),
    fencing: createFencingRepo(db),
  };
}

/** Opens the store (SQLite in dataDir, or PostgreSQL at databaseUrl) and applies pending migrations. */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const connectTimeoutMs = opts.connectTimeoutMs ?? 5000;
  const url = opts.databaseUrl || undefined;
  const secrets = url ? urlSecrets(url) : [];

  let target: Target;
  let db: Kysely<Database>;
  let file: string | undefined;
  if (url) {
    const timeouts = { connectTimeoutMs, statementTimeoutMs: opts.statementTimeoutMs ?? 30_000 };
    target = { kind: 'postgres', where: `PostgreSQL at ${maskUrl(url)}` };
    const { dialect } = openPostgres(url, opts.schema, timeouts, opts.logger);
    db = new Kysely<Database>({ dialect: withUnavailableErrors(dialect, { ...target, secrets }) });
  } else {
    const sqlite = openSqlite(opts.dataDir, opts.logger);
    file = sqlite.file;
    target = { kind: 'sqlite', where: `SQLite at ${sqlite.file}` };
    db = new Kysely<Database>({ dialect: withUnavailableErrors(sqlite.dialect, { ...target, secrets }) });
  }

  const ping = () => pingDb(db, connectTimeoutMs, target, secrets);
  const setUp = async () => {
    await ping();
    await migrate(db, target.kind, { schema: opts.schema, logger: opts.logger });
  };
  try {
    await (file ? serializeOpen(file, setUp) : setUp());
  } catch (err) {
    // Bounded: a pool still waiting on a dead host must not hold up the error.
    await Promise.race([db.destroy().catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
    throw sanitize(err, secrets);
  }
  opts.logger?.info({ kind: target.kind, store: target.where, schema: opts.schema }, 'store opened');

  let closed: Promise<void> | undefined;
  return {
    kind: target.kind,
    db,
    ...createRepos(db),
    fenced: (fence, write) =>
      db.transaction().execute(async (tx) => {
        const repos = createRepos(tx);
        if (fence) await repos.fencing.check(fence);
        return write(repos);
      }),
    ping,
    close: () => (closed ??= db.destroy()),
  };
}

/** Which database a store talks to, as shown in messages (URL already masked). */
type Target = Omit<StoreTarget, 'secrets'>;

/** Runs `select 1`, bounded by `timeoutMs`; any failure becomes STORE_UNAVAILABLE. */
async function pingDb(db: Kysely<Database>, timeoutMs: number, target: Target, secrets: string[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })),
      timeoutMs,
    );
  });
  try {
    await Promise.race([sql`select 1`.execute(db), timeout]);
  } catch (err) {
    throw unavailableError(err, { ...target, secrets });
  } finally {
    clearTimeout(timer);
  }
}


/** Ensures nothing thrown out of openStore carries a secret, and every failure is a StoreError. */
function sanitize(err: unknown, secrets: string[]): StoreError {
  if (err instanceof StoreError) return new StoreError(err.code, scrub(err.message, secrets), err.detail);
  const message = scrub(err instanceof Error ? err.message : String(err), secrets);
  return new StoreError('STORE_MIGRATION_FAILED', `Store setup failed: ${message}.`);
}
