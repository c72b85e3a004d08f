import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteDatabase } from '../../src/store/sqlite.js';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, type StoreError } from '../../src/store/index.js';
import { storeConformanceSuite } from './repositories.suite.js';

const root = mkdtempSync(join(tmpdir(), 'vigie-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const dataDir = join(root, 'shared', 'data');
const KEEP_ONLY_ALERTS = ['kysely_migration', 'notification_outbox', 'matches', 'seen_items', 'alert_runs', 'credentials', 'worker_status', 'workers', 'failover_history', 'fencing'];
storeConformanceSuite('sqlite', () => openStore({ dataDir }));

describe('SQLite store specifics', () => {
  let n = 0;
  const freshDir = () => join(root, `case-${++n}`, 'nested');

  it('creates the data folder 0700 with vigie.db inside, and sets its pragmas', async () => {
    const dir = freshDir();
    const store = await openStore({ dataDir: dir });
    try {
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      expect(statSync(join(dir, 'vigie.db')).isFile()).toBe(true);
      const pragma = async (name: string) =>
        Object.values((await sql.raw(`pragma ${name}`).execute(store.db)).rows[0] as object)[0];
      expect(await pragma('journal_mode')).toBe('wal');
      expect(await pragma('foreign_keys')).toBe(1);
      expect(await pragma('busy_timeout')).toBeGreaterThanOrEqual(1000);
    } finally {
      await store.close();
    }
  });

  it('survives several processes opening a fresh file at once', async () => {
    const dir = freshDir();
    const stores = await Promise.all([1, 2, 3, 4].map(() => openStore({ dataDir: dir })));
    try {
      await stores[0]!.credentials.set('k', 'v', 'cli');
      for (const s of stores) expect((await s.credentials.get('k'))?.value).toBe('v');
    } finally {
      for (const s of stores) await s.close();
    }
  });

  it('throws STORE_UNAVAILABLE when dataDir cannot be created', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, '');
    const err = (await openStore({ dataDir: join(file, 'sub') }).catch((e: unknown) => e)) as StoreError;
    expect(err).toMatchObject({ name: 'StoreError', code: 'STORE_UNAVAILABLE' });
    expect(err.message).toMatch(/dataDir/);
  });

  it('throws STORE_UNAVAILABLE for a vigie.db that is not a database', async () => {
    const dir = freshDir();
    await openStore({ dataDir: dir }).then((s) => s.close());
    for (const f of ['vigie.db', 'vigie.db-wal', 'vigie.db-shm']) rmSync(join(dir, f), { force: true });
    writeFileSync(join(dir, 'vigie.db'), 'not a database, just some text that is long enough to have a header'.repeat(20));
    await expect(openStore({ dataDir: dir })).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });

  it('throws STORE_MIGRATION_FAILED and rolls the whole migration back', async () => {
    const dir = freshDir();
    await openStore({ dataDir: dir }).then((s) => s.close());
    const file = join(dir, 'vigie.db');
    // Forget that 001 ran and keep only `alerts`, which it creates fourth: re-running it creates
    // three tables, then fails; none of the three may survive.
    const raw = new SqliteDatabase(file);
    for (const t of KEEP_ONLY_ALERTS) raw.exec(`drop table ${t}`);
    raw.close();
    const err = (await openStore({ dataDir: dir }).catch((e: unknown) => e)) as StoreError;
    expect(err).toMatchObject({ name: 'StoreError', code: 'STORE_MIGRATION_FAILED' });
    expect(err.message).toContain('001_initial');
    const check = new SqliteDatabase(file);
    const tables = check.prepare(`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`).all();
    check.close();
    expect(tables).toEqual([{ name: 'alerts' }, { name: 'kysely_migration' }, { name: 'kysely_migration_lock' }]);
  });

  it('refuses a database migrated by a newer version', async () => {
    const dir = freshDir();
    await openStore({ dataDir: dir }).then((s) => s.close());
    const raw = new SqliteDatabase(join(dir, 'vigie.db'));
    raw.prepare(`insert into kysely_migration (name, timestamp) values ('999_future', '2100-01-01')`).run();
    raw.close();
    await expect(openStore({ dataDir: dir })).rejects.toMatchObject({ code: 'STORE_MIGRATION_FAILED' });
  });
});
