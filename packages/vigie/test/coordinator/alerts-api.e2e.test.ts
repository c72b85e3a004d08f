import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestFleet, FLEET_KEY, get, post, type TestFleet } from '../helpers/fleet.js';
import { runVigie } from '../helpers/vigie-process.js';

interface AlertBody { id: string; name: string; active: boolean; priceMin: number | null; conditions: string[] }

describe('alerts API and CLI', () => {
  let fleet: TestFleet;
  let url: string;
  beforeAll(async () => {
    fleet = createTestFleet();
    await fleet.startWorker('w1', '127.0.0.2');
    url = (await fleet.startCoordinator()).url;
  });
  afterAll(async () => fleet?.stopAll());

  const count = async () => (await get<{ alerts: unknown[] }>(`${url}/api/v1/alerts`)).alerts.length;

  it('creates, reads, updates, pauses, resumes and deletes an alert', async () => {
    const created = await post(`${url}/api/v1/alerts`, { name: 'Cheap Nike', source: 'market', query: 'nike', priceMax: 80, conditions: ['new'], notify: [{ channel: 'log' }] });
    expect(created.status).toBe(201);
    const alert = created.body.alert as AlertBody;
    expect(alert).toMatchObject({ name: 'Cheap Nike', active: true, conditions: ['new'] });
    expect((await get<{ alert: AlertBody }>(`${url}/api/v1/alerts/${alert.id}`)).alert.name).toBe('Cheap Nike');

    const patched = await fetch(`${url}/api/v1/alerts/${alert.id}`, { method: 'PATCH', headers: { 'content-type': 'application/json', 'x-api-key': FLEET_KEY }, body: JSON.stringify({ priceMin: 10 }) });
    expect(((await patched.json()) as { alert: AlertBody }).alert.priceMin).toBe(10);

    expect((await post(`${url}/api/v1/alerts/${alert.id}/pause`, {})).body.alert).toMatchObject({ active: false });
    expect((await get<{ alerts: unknown[] }>(`${url}/api/v1/alerts?active=true`)).alerts).toHaveLength(0);
    expect((await post(`${url}/api/v1/alerts/${alert.id}/resume`, {})).body.alert).toMatchObject({ active: true });

    const del = await fetch(`${url}/api/v1/alerts/${alert.id}`, { method: 'DELETE', headers: { 'x-api-key': FLEET_KEY } });
    expect(del.status).toBe(200);
    expect((await fetch(`${url}/api/v1/alerts/${alert.id}`, { headers: { 'x-api-key': FLEET_KEY } })).status).toBe(404);
  });

  it('answers 400 naming the field for bad input, and stores nothing', async () => {
    const before = await count();
    const cases: Array<[unknown, string]> = [
      [{ source: 'market' }, 'name'],
      [{ name: 'x', source: 'Market Place' }, 'source'],
      [{ name: 'x', source: 'market', priceMin: -1 }, 'priceMin'],
      [{ name: 'x', source: 'market', priceMin: 50, priceMax: 10 }, 'priceMin'],
      [{ name: 'x', source: 'market', notify: [{ channel: 'pigeon' }] }, 'notify.0'],
      [{ name: 'x', source: 'market', notify: [{ channel: 'webhook', url: 'ftp://x' }] }, 'notify.0.url'],
      [{ name: 'x', source: 'market', colour: 'red' }, 'colour'],
    ];
    for (const [body, field] of cases) {
      const r = await post(`${url}/api/v1/alerts`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error).toBe('INVALID_ALERT');
      expect(String(r.body.message)).toContain(field);
    }
    const noKey = await fetch(`${url}/api/v1/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', source: 'market' }) });
    expect(noKey.status).toBe(401);
    expect(await count()).toBe(before);
  });

  it('works from the CLI', async () => {
    const env = { VIGIE_URL: url, VIGIE_API_KEY: FLEET_KEY };
    const add = await runVigie(['alerts', 'add', '--name', 'Levis', '--source', 'market', '--query', 'levis', '--price-max', '60', '--include', 'jeans', '--notify', 'log'], env);
    expect(add.code, add.stderr).toBe(0);
    const id = (JSON.parse(add.stdout) as { alert: AlertBody }).alert.id;
    const bad = await runVigie(['alerts', 'add', '--name', 'x', '--source', 'market', '--price-max', 'cheap'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--price-max');
    expect((await runVigie(['alerts', 'pause', id], env)).code).toBe(0);
    const list = JSON.parse((await runVigie(['alerts', 'list'], env)).stdout) as { alerts: AlertBody[] };
    expect(list.alerts.find((a) => a.id === id)?.active).toBe(false);
    expect((await runVigie(['alerts', 'rm', id], env)).code).toBe(0);
    expect((await runVigie(['alerts', 'rm', id], env)).code).toBe(1);
  });

  it('shows the credential status redacted, and lists matches', async () => {
    const before = await get(`${url}/api/v1/token/status`);
    expect(before).toMatchObject({ hasActiveCookies: false, cookiesSource: null, cookiesPreview: null });
    const set = await runVigie(['credentials', 'set', 'scraping', '--stdin'], { VIGIE_DATA_DIR: fleet.dataDir }, 'sid=very-secret-cookie-42');
    expect(set.code).toBe(0);
    const after = await get(`${url}/api/v1/token/status`);
    expect(after).toMatchObject({ hasActiveCookies: true, cookiesSource: 'database', setBy: 'cli' });
    expect(JSON.stringify(after)).not.toContain('very-secret-cookie-42');
    expect(String(after.cookiesPreview)).toContain('sid=****');
    expect(await get(`${url}/api/v1/matches`)).toEqual({ matches: [] });
  });
});
