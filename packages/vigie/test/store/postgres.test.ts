import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { tmpdir } from 'node:os';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, type StoreError } from '../../src/store/index.js';
import { postgresUrl } from '../helpers/services.js';
import { storeConformanceSuite } from './repositories.suite.js';

const url = await postgresUrl();
const dataDir = tmpdir(); // unused with databaseUrl, required by the API
const newSchema = () => `vigie_test_${randomBytes(6).toString('hex')}`;

/** Every schema this file created, dropped at the end so parallel files never collide. */
const schemas: string[] = [];
const openIn = (schema: string, extra: { connectTimeoutMs?: number } = {}) => {
  if (!schemas.includes(schema)) schemas.push(schema);
  return openStore({ dataDir, databaseUrl: url, schema, ...extra });
};
async function query<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}
afterAll(async () => {
  if (url) for (const s of schemas) await query(`drop schema if exists ${s} cascade`);
});

/** Opens a store and returns the error it fails with (or fails the test). */
async function openError(opts: Parameters<typeof openStore>[0]): Promise<StoreError> {
  const store = await openStore(opts).catch((e: unknown) => e);
  if (!(store instanceof Error)) throw new Error('expected openStore to fail');
  return store as StoreError;
}

describe('PostgreSQL connection errors (no server needed)', () => {
  it('throws STORE_UNAVAILABLE quickly for a closed port, without the password', async () => {
    const started = Date.now();
    const err = await openError({ dataDir, databaseUrl: 'postgres://u:secretpw@127.0.0.1:1/x' });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(err).toMatchObject({ name: 'StoreError', code: 'STORE_UNAVAILABLE' });
    expect(err.message).toContain('DATABASE_URL');
    expect(err.message).toContain('postgres://u:****@127.0.0.1:1/x');
    for (const text of [err.message, String(err.stack), JSON.stringify(err)]) expect(text).not.toContain('secretpw');
  });

  it('redacts a percent-encoded password in every form', async () => {
    const err = await openError({ dataDir, databaseUrl: 'postgres://u:p%40ss%3Aw0rd@127.0.0.1:1/x' });
    expect(err.code).toBe('STORE_UNAVAILABLE');
    expect(err.message).not.toContain('p%40ss%3Aw0rd');
    expect(err.message).not.toContain('p@ss:w0rd');
  });

  it('gives up after connectTimeoutMs on a server that never answers', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s)); // accepts, never speaks
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const started = Date.now();
      const err = await openError({ dataDir, databaseUrl: `postgres://u:secretpw@127.0.0.1:${port}/x`, connectTimeoutMs: 300 });
      expect(Date.now() - started).toBeLessThan(2500);
      expect(err.code).toBe('STORE_UNAVAILABLE');
      expect(err.message).not.toContain('secretpw');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it('rejects a non-PostgreSQL URL or a bad schema name with STORE_INVALID_CONFIG', async () => {
    const bad = await openError({ dataDir, databaseUrl: 'mysql://u:secretpw@127.0.0.1/x' });
    expect(bad.code).toBe('STORE_INVALID_CONFIG');
    expect(bad.message).not.toContain('secretpw');
    expect((await openError({ dataDir, databaseUrl: 'not a url secretpw' })).message).not.toContain('secretpw');
    const schema = await openError({ dataDir, databaseUrl: 'postgres://127.0.0.1:1/x', schema: 'x; drop table y' });
    expect(schema.code).toBe('STORE_INVALID_CONFIG');
  });
});

describe.skipIf(!url)('PostgreSQL store', () => {
  const schema = newSchema();
  storeConformanceSuite('postgres', () => openIn(schema));

  describe('PostgreSQL specifics', () => {
    it('keeps all its tables in its own schema', async () => {
      const s = newSchema();
      const store = await openIn(s);
      await store.close();
      const rows = await query<{ table_schema: string; table_name: string }>(
        `select table_schema, table_name from information_schema.tables where table_name in ('workers', 'kysely_migration') and table_schema = $1 order by table_name`,
        [s],
      );
      expect(rows.map((r) => r.table_name)).toEqual(['kysely_migration', 'workers']);
      const other = await openIn(newSchema());
      try {
        expect(await other.workers.list()).toEqual([]); // a fresh schema sees nothing of the others
      } finally {
        await other.close();
      }
    });

    it('throws STORE_UNAVAILABLE naming the problem for an unknown role or database, without the password', async () => {
      const u = new URL(url!);
      u.username = 'no_such_role';
      u.password = 'secretpw';
      const role = await openError({ dataDir, databaseUrl: u.toString() });
      expect(role.code).toBe('STORE_UNAVAILABLE');
      expect(role.message).not.toContain('secretpw');
      expect(role.message).toMatch(/user and password/);

      const d = new URL(url!);
      d.pathname = '/no_such_database_vigie';
      const db = await openError({ dataDir, databaseUrl: d.toString() });
      expect(db.code).toBe('STORE_UNAVAILABLE');
      expect(db.message).toMatch(/Create that database/);
    });

    it('throws STORE_MIGRATION_FAILED and rolls the whole migration back', async () => {
      const s = newSchema();
      await (await openIn(s)).close();
      // Forget that 001 ran and keep only `alerts`, which it creates fourth.
      await query(
        ['kysely_migration', 'notification_outbox', 'matches', 'seen_items', 'alert_runs', 'credentials', 'worker_status', 'workers', 'failover_history', 'fencing']
          .map((t) => `drop table ${s}.${t} cascade;`)
          .join(' '),
      );
      const err = await openIn(s).then(
        () => undefined,
        (e: StoreError) => e,
      );
      expect(err).toMatchObject({ name: 'StoreError', code: 'STORE_MIGRATION_FAILED' });
      expect(err?.message).toContain('001_initial');
      const rows = await query<{ table_name: string }>(
        `select table_name from information_schema.tables where table_schema = $1 order by table_name`,
        [s],
      );
      expect(rows.map((r) => r.table_name)).toEqual(['alerts', 'kysely_migration', 'kysely_migration_lock']);
    });

    it('lets several coordinators open a fresh schema at once', async () => {
      const s = newSchema();
      const stores = await Promise.all([1, 2, 3, 4].map(() => openIn(s)));
      try {
        await stores[0]!.credentials.set('k', 'v', 'cli');
        for (const st of stores) expect((await st.credentials.get('k'))?.value).toBe('v');
      } finally {
        for (const st of stores) await st.close();
      }
    });
  });
});
