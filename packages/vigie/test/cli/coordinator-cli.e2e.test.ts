import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestFleet, FLEET_KEY, post, type TestFleet } from '../helpers/fleet.js';
import { runVigie, spawnVigie, type VigieProcess } from '../helpers/vigie-process.js';

/** Issue 17, points 5, 6 and 10: what the CLI and the alerts API tell a new user. */
describe('a coordinator without sources, through the CLI', () => {
  let fleet: TestFleet;
  let url: string;
  beforeAll(async () => {
    fleet = createTestFleet();
    url = (await fleet.startCoordinator({ ALERT_INITIAL_DELAY_MS: '3600000' })).url;
  }, 60_000);
  afterAll(async () => fleet?.stopAll());

  it('17.5: accepts an alert whose source it cannot check, with a warning in the answer and on stderr', async () => {
    const res = await runVigie(['alerts', 'add', '--name', 'x', '--source', 'nowhere'], { VIGIE_URL: url, VIGIE_API_KEY: FLEET_KEY, VIGIE_DATA_DIR: fleet.dataDir });
    expect(res.code).toBe(0);
    const answer = JSON.parse(res.stdout) as { alert: { source: string }; warnings: string[] };
    expect(answer.alert.source).toBe('nowhere');
    expect(answer.warnings).toHaveLength(1);
    expect(answer.warnings[0]).toContain('no sources in its config file');
    expect(answer.warnings[0]).toContain('"nowhere"');
    expect(res.stderr).toContain('vigie: warning: ');
  });

  it('17.6: without VIGIE_API_KEY the CLI sends the key in <data dir>/api-key', async () => {
    const dir = join(fleet.dir, 'cli-data');
    const env = { VIGIE_URL: url, VIGIE_DATA_DIR: dir };
    // No key anywhere: the 401 says so, and where a generated key would be.
    const none = await runVigie(['alerts', 'add', '--name', 'x', '--source', 'market'], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('[UNAUTHORIZED]');
    expect(none.stderr).toContain(`It sent no key (VIGIE_API_KEY is not set and ${resolve(dir, 'api-key')} does not exist)`);

    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'api-key'), 'a-stale-key-from-another-fleet\n');
    const stale = await runVigie(['alerts', 'add', '--name', 'x', '--source', 'market'], env);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain(`It sent the key from the file ${resolve(dir, 'api-key')}`);
    expect(stale.stderr).toContain('VIGIE_DATA_DIR');
    expect(stale.stderr).not.toContain('a-stale-key');

    writeFileSync(join(dir, 'api-key'), `${FLEET_KEY}\n`);
    expect((await runVigie(['alerts', 'add', '--name', 'x', '--source', 'market'], env)).code).toBe(0);
  });

  it('17.6: a wrong VIGIE_API_KEY is named by its source, never by its value', async () => {
    const res = await runVigie(['workers', 'rm', 'w9'], { VIGIE_URL: url, VIGIE_API_KEY: 'wrong-key-value-0123456789', VIGIE_DATA_DIR: fleet.dataDir });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('It sent the key from VIGIE_API_KEY (environment)');
    expect(res.stderr).toContain(resolve(fleet.dataDir, 'api-key'));
    expect(res.stderr).not.toContain('wrong-key-value');
  });

  it('17.10: errors point to the CLI command, not the HTTP route, when one exists', async () => {
    const res = await runVigie(['alerts', 'pause', 'no-such-alert'], { VIGIE_URL: url, VIGIE_API_KEY: FLEET_KEY, VIGIE_DATA_DIR: fleet.dataDir });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('List them with `vigie alerts list`');
    expect(res.stderr).not.toContain('/api/v1/');
  });
});

describe('17.5: a coordinator that knows its sources', () => {
  let fleet: TestFleet;
  let proc: VigieProcess;
  let url: string;
  beforeAll(async () => {
    fleet = createTestFleet();
    const source = { type: 'http-json', url: 'http://127.0.0.1:9/items?q={query}', itemsPath: 'items', fields: { id: 'id', title: 'title', price: 'price' } };
    const config = fleet.writeConfig({ sources: { market: source, shop: source } });
    proc = spawnVigie(['coordinator', '--config', config, '--host', '127.0.0.1', '--port', '0'], { VIGIE_API_KEY: FLEET_KEY, VIGIE_DATA_DIR: fleet.dataDir, ALERT_INITIAL_DELAY_MS: '3600000' });
    url = String((await proc.waitForLog((l) => l.msg === 'coordinator listening')).url);
  }, 60_000);
  afterAll(async () => {
    await proc?.stop('SIGKILL');
    await fleet?.stopAll();
  });

  it('refuses an unknown source at creation with the known names, and stores nothing', async () => {
    const res = await post(`${url}/api/v1/alerts`, { name: 'x', source: 'markt' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ success: false, error: 'UNKNOWN_SOURCE', httpStatus: 400 });
    expect(res.body.message).toContain('Known: market, shop');
    expect(((await (await fetch(`${url}/api/v1/alerts`, { headers: { 'x-api-key': FLEET_KEY } })).json()) as { alerts: unknown[] }).alerts).toHaveLength(0);
    const ok = await post(`${url}/api/v1/alerts`, { name: 'x', source: 'shop' });
    expect(ok.status).toBe(201);
    expect(ok.body.warnings).toBeUndefined();
  });
});
