// Bulk import and export through a real coordinator process, on the embedded SQLite store and
// on PostgreSQL: the same file of cases runs against each.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestFleet, FLEET_KEY, get, type TestFleet } from '../helpers/fleet.js';
import { tempPgDatabase } from '../helpers/private-services.js';
import { postgresUrl } from '../helpers/services.js';
import { runVigie, tempDir } from '../helpers/vigie-process.js';

interface Listed { alerts: Array<{ id: string; name: string; source: string; query: string; priceMax: number | null; active: boolean; includeWords: string[] }> }

const pgUrl = await postgresUrl();
const row = (i: number, extra: Record<string, unknown> = {}) => ({ name: `alert ${i}`, source: 'market', query: `q${i}`, priceMax: i, includeWords: ['w'], ...extra });

function importCases(store: 'sqlite' | 'postgres') {
  describe.skipIf(store === 'postgres' && !pgUrl)(`alerts import/export on ${store}`, () => {
    let fleet: TestFleet;
    let url: string;
    let drop: (() => Promise<void>) | undefined;
    const files = tempDir('vigie-import-');
    beforeAll(async () => {
      fleet = createTestFleet();
      const env: Record<string, string> = {};
      if (store === 'postgres') {
        const db = await tempPgDatabase(pgUrl!);
        drop = db.drop;
        env.DATABASE_URL = db.url;
      }
      url = (await fleet.startCoordinator(env)).url;
    });
    afterAll(async () => {
      await fleet?.stopAll();
      await drop?.();
      files.cleanup();
    });

    const importBody = (body: string, contentType: string) =>
      fetch(`${url}/api/v1/alerts/import`, { method: 'POST', headers: { 'content-type': contentType, 'x-api-key': FLEET_KEY }, body });
    const names = async () => (await get<Listed>(`${url}/api/v1/alerts`)).alerts.map((a) => a.name);

    it('imports a JSON array and NDJSON, in file order', async () => {
      const before = await names();
      const array = await importBody(JSON.stringify([row(1), row(2, { active: false })], null, 2), 'application/json');
      expect(array.status).toBe(201);
      expect(await array.json()).toMatchObject({ success: true, imported: 2 });
      const ndjson = await importBody(`${[row(3), row(4), row(5)].map((r) => JSON.stringify(r)).join('\n')}\n`, 'application/x-ndjson');
      expect(await ndjson.json()).toMatchObject({ success: true, imported: 3 });
      expect(await names()).toEqual([...before, 'alert 1', 'alert 2', 'alert 3', 'alert 4', 'alert 5']);
      const listed = (await get<Listed>(`${url}/api/v1/alerts`)).alerts.find((a) => a.name === 'alert 2');
      expect(listed).toMatchObject({ source: 'market', query: 'q2', priceMax: 2, active: false, includeWords: ['w'] });
    });

    it('rejects the whole file on one bad row, naming its line, and writes nothing', async () => {
      const before = await names();
      // 4500 rows (several insert batches) with the bad one near the end.
      const rows = Array.from({ length: 4500 }, (_, i) => JSON.stringify(i === 4399 ? row(i, { priceMin: "cheap" }) : row(i)));
      const res = await importBody(rows.join('\n'), 'application/x-ndjson');
      expect(res.status).toBe(400);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ success: false, error: 'INVALID_ALERT', code: 'INVALID_ALERT', httpStatus: 400 });
      expect(String(body.message)).toContain('line 4400: priceMin');
      expect(String(body.message)).toContain('Nothing was imported');
      const array = await importBody(JSON.stringify([row(1), { name: 'no source' }], null, 2), 'application/json');
      expect(array.status).toBe(400);
      expect(String(((await array.json()) as { message: string }).message)).toContain('item 2 (line 11): source');
      const garbage = await importBody('{"name": "a", "source": "market"}\nnot json', 'application/x-ndjson');
      expect(((await garbage.json()) as { error: string; message: string })).toMatchObject({ error: 'INVALID_JSON', message: expect.stringContaining('line 2') });
      const noKey = await fetch(`${url}/api/v1/alerts/import`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([row(9)]) });
      expect(noKey.status).toBe(401);
      const xml = await importBody('<alerts/>', 'application/xml');
      expect(xml.status).toBe(415);
      expect(await names()).toEqual(before);
    });

    it('round-trips through vigie alerts export and vigie alerts import', async () => {
      const env = { VIGIE_URL: url, VIGIE_API_KEY: FLEET_KEY };
      const exported = await runVigie(['alerts', 'export'], env);
      expect(exported.code, exported.stderr).toBe(0);
      const lines = exported.stdout.trim().split('\n');
      const before = (await get<Listed>(`${url}/api/v1/alerts`)).alerts;
      expect(lines).toHaveLength(before.length);
      expect(lines.length).toBeGreaterThan(0);
      expect(exported.stdout).not.toContain(before[0]!.id); // ids and timestamps are the store's, not the file's
      const file = join(files.path, 'alerts.ndjson');
      writeFileSync(file, exported.stdout);
      const imported = await runVigie(['alerts', 'import', file], env);
      expect(imported.code, imported.stderr).toBe(0);
      expect(JSON.parse(imported.stdout)).toMatchObject({ success: true, imported: before.length });
      const after = (await get<Listed>(`${url}/api/v1/alerts`)).alerts;
      const strip = ({ id: _i, createdAt: _c, updatedAt: _u, ...rest }: Record<string, unknown>) => rest;
      expect(after.slice(before.length).map(strip)).toEqual(before.map(strip));

      const bad = join(files.path, 'bad.json');
      writeFileSync(bad, JSON.stringify([row(1), row(2, { colour: 'red' })]));
      const refused = await runVigie(['alerts', 'import', bad], env);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('item 2 (line 1): unknown field(s) colour');
      expect((await runVigie(['alerts', 'import', join(files.path, 'missing.json')], env)).stderr).toContain('Cannot read');
      expect((await get<Listed>(`${url}/api/v1/alerts`)).alerts).toHaveLength(after.length);
    });
  });
}

importCases('sqlite');
importCases('postgres');
