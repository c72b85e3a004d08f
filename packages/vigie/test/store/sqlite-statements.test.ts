// The SQLite dialect reuses prepared statements (store/sqlite.ts): the same query prepares once,
// and a streamed query leaves its statement ready for the next.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, sql } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openSqlite, SqliteDatabase } from '../../src/store/sqlite.js';

describe('SQLite prepared statements', () => {
  let dir: string | undefined;
  let db: Kysely<{ t: { id: number; v: string } }> | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await db?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function open(): Promise<Kysely<{ t: { id: number; v: string } }>> {
    dir = mkdtempSync(join(tmpdir(), 'vigie-stmt-'));
    db = new Kysely({ dialect: openSqlite(dir).dialect });
    await sql`create table t (id integer primary key, v text)`.execute(db);
    await db.insertInto('t').values([1, 2, 3].map((id) => ({ id, v: `v${id}` }))).execute();
    return db;
  }

  it('prepares a query once however often it runs, with each run\'s own parameters', async () => {
    const k = await open();
    const prepare = vi.spyOn(SqliteDatabase.prototype, 'prepare');
    for (let i = 1; i <= 50; i++) {
      const row = await k.selectFrom('t').select('v').where('id', '=', (i % 3) + 1).executeTakeFirst();
      expect(row?.v).toBe(`v${(i % 3) + 1}`);
    }
    expect(prepare).toHaveBeenCalledTimes(1);
  });

  it('a query streamed and left half-way leaves its statement ready for the next run', async () => {
    const k = await open();
    const query = () => k.selectFrom('t').select('v').orderBy('id');
    for await (const row of query().stream()) {
      expect(row.v).toBe('v1');
      break;
    }
    expect((await query().execute()).map((r) => r.v)).toEqual(['v1', 'v2', 'v3']);
    const streamed: string[] = [];
    for await (const row of query().stream()) streamed.push(row.v);
    expect(streamed).toEqual(['v1', 'v2', 'v3']);
  });
});
