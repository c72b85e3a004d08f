import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestFleet, get, post, type TestFleet } from '../helpers/fleet.js';

const PASSWORD = 'login-pa55word-not-for-logs';

describe('credential refresh through the coordinator', () => {
  let fleet: TestFleet | undefined;
  let login: Server | undefined;
  const forms: string[] = [];
  afterAll(async () => {
    await fleet?.stopAll();
    login?.closeAllConnections();
    await new Promise((r) => login?.close(r) ?? r(undefined));
  });

  it('runs the http-login refresher on a worker, stores the cookie, and shows it redacted', async () => {
    // A login form on loopback: the right password gets a session cookie.
    login = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        forms.push(body);
        const ok = new URLSearchParams(body).get('password') === PASSWORD;
        res.writeHead(ok ? 200 : 401, ok ? { 'set-cookie': ['session=fresh-session-cookie-77; Path=/; HttpOnly', 'csrf=tok-9; Path=/'] } : {});
        res.end();
      });
    });
    await new Promise<void>((r) => login!.listen(0, '127.0.0.1', r));
    const loginUrl = `http://127.0.0.1:${(login.address() as AddressInfo).port}/login`;

    fleet = createTestFleet();
    const f = fleet;
    const workerConfig = join(f.dir, 'worker.json');
    writeFileSync(workerConfig, JSON.stringify({ refreshers: { login: { type: 'http-login', url: loginUrl, fields: { user: 'me', password: '$ENV:LOGIN_PASSWORD' } } } }));
    await f.startWorker('w1', '127.0.0.2', { LOGIN_PASSWORD: PASSWORD }, { plugin: false, configFile: workerConfig });
    const { url, proc } = await f.startCoordinator();

    expect(await get(`${url}/api/v1/token/status`)).toMatchObject({ hasActiveCookies: false });
    const r = await post(`${url}/api/v1/token/refresh/force`, {});
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ success: true, workerId: 'w1', data: { credential: 'scraping' } });
    expect(forms).toHaveLength(1);

    const status = await get(`${url}/api/v1/token/status`);
    expect(status).toMatchObject({ hasActiveCookies: true, cookiesSource: 'database', setBy: 'refresher:login' });
    expect(String(status.cookiesPreview)).toMatch(/^session=\*\*\*\*; csrf=\*\*\*\*/);

    // Neither the password nor the cookie appears in answers or logs.
    const everything = JSON.stringify([r.body, status]) + proc.output() + f.workers[0]!.proc.output();
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain('fresh-session-cookie-77');
  }, 60_000);
});
