import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRefreshers, RefreshError, type Refresher } from '../../src/alerts/refreshers/index.js';
import { cookiesFromSetCookie } from '../../src/alerts/sources/http-io.js';
import { ConfigError } from '../../src/errors.js';
import { clearSecrets, scrub } from '../../src/observability/secrets.js';
import { createGenerateCookiesHandler, type GenerateCookiesResult } from '../../src/worker/commands/generate-cookies.js';
import { makeCtx, startServer, type LocalServer, type TestCtx } from './local-server.js';

const PASSWORD = 'hunter2-very-s3cret';
const ENV = { MARKET_PASSWORD: PASSWORD };

/** A login endpoint: the right user and password get session cookies. */
let login: LocalServer;
beforeAll(async () => {
  login = await startServer((req, res) => {
    const fields: Record<string, string> =
      req.headers['content-type'] === 'application/json' ? (JSON.parse(req.body) as Record<string, string>) : Object.fromEntries(new URLSearchParams(req.body));
    if (req.url === '/no-cookie') return res.end('ok');
    if (fields.user !== 'alice' || fields.password !== PASSWORD) {
      res.writeHead(401, { 'set-cookie': 'tracking=abc' });
      return res.end('bad login');
    }
    res.writeHead(302, {
      location: '/home',
      'set-cookie': ['sid=s3ss10n-value-123; Path=/; HttpOnly; Secure', 'csrf=t0ken; Path=/', 'old=gone; Max-Age=0', 'sid=s3ss10n-value-456; Path=/'],
    });
    res.end();
  });
});
afterAll(async () => {
  await login.close();
});
afterEach(() => clearSecrets());

const refresherOf = (def: Record<string, unknown>, name = 'market-login'): Refresher =>
  createRefreshers({ [name]: { type: 'http-login', url: `${login.url}/login`, fields: { user: 'alice', password: '$ENV:MARKET_PASSWORD' }, ...def } }).get(name)!;

const run = (r: Refresher) => r.refresh({ signal: new AbortController().signal, env: ENV });

describe('http-login refresher', () => {
  it('posts the form with $ENV values and keeps the cookies set (not following the redirect)', async () => {
    const before = login.requests.length;
    await expect(run(refresherOf({}))).resolves.toEqual({ value: 'sid=s3ss10n-value-456; csrf=t0ken' });
    const req = login.requests[before]!;
    expect(req.method).toBe('POST');
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(req.body))).toEqual({ user: 'alice', password: PASSWORD });
    expect(login.requests).toHaveLength(before + 1); // the 302 to /home was not followed
    // The password and the cookie are now known secrets: scrubbed from any log line.
    expect(scrub(`pw=${PASSWORD} c=sid=s3ss10n-value-456; csrf=t0ken`)).not.toMatch(/hunter2|s3ss10n/);
  });

  it('posts JSON when asked', async () => {
    const before = login.requests.length;
    await expect(run(refresherOf({ format: 'json' }))).resolves.toEqual({ value: 'sid=s3ss10n-value-456; csrf=t0ken' });
    expect(login.requests[before]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(login.requests[before]!.body)).toEqual({ user: 'alice', password: PASSWORD });
  });

  it('fails with REFRESH_FAILED naming the status when the login is refused', async () => {
    const err = await run(refresherOf({ fields: { user: 'alice', password: 'wrong-password' } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RefreshError);
    expect(err).toMatchObject({ code: 'REFRESH_FAILED', message: expect.stringContaining('HTTP 401') });
  });

  it('fails with REFRESH_FAILED naming the status when no cookie comes back', async () => {
    await expect(run(refresherOf({ url: `${login.url}/no-cookie` }))).rejects.toMatchObject({ code: 'REFRESH_FAILED', message: expect.stringContaining('HTTP 200 without any cookie') });
  });

  it('names a missing environment variable, not its value', async () => {
    const r = refresherOf({});
    const before = login.requests.length;
    await expect(r.refresh({ signal: new AbortController().signal, env: {} })).rejects.toMatchObject({ code: 'REFRESH_FAILED', message: expect.stringContaining('MARKET_PASSWORD') });
    expect(login.requests.length - before).toBe(0);
  });

  it('maps an unreachable login to REFRESH_FAILED', async () => {
    const gone = await startServer(() => undefined);
    await gone.close();
    await expect(run(refresherOf({ url: `${gone.url}/login` }))).rejects.toMatchObject({ code: 'REFRESH_FAILED', httpStatus: 502 });
  });

  it('validates definitions, naming the refresher and the field', () => {
    expect(() => createRefreshers({ r: { type: 'oauth' } })).toThrow(ConfigError);
    expect(() => createRefreshers({ r: { type: 'oauth' } })).toThrow('Refresher "r" has unknown type "oauth". Types there are: http-login.');
    expect(() => createRefreshers({ r: { type: 'http-login', url: 'ftp://x', fields: {} } })).toThrow(/Invalid refresher "r" \(http-login\): url/);
    expect(() => createRefreshers({ r: { type: 'http-login', url: 'http://x', fields: { p: '$ENV:not valid' } } })).toThrow(/fields\.p/);
    expect(() => createRefreshers({ r: { type: 'http-login', url: 'http://x', fields: {}, format: 'xml' } })).toThrow(/format/);
    expect(() => createRefreshers({ r: { type: 'http-login', url: 'http://x', fields: {}, credentialName: 'bad name' } })).toThrow(/credentialName/);
  });
});

describe('cookiesFromSetCookie', () => {
  it('keeps name=value pairs, the last per name, and drops deleted cookies', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(cookiesFromSetCookie(undefined)).toBe('');
    expect(cookiesFromSetCookie('a=1; Path=/')).toBe('a=1');
    expect(
      cookiesFromSetCookie(['a=1', 'b=2; Expires=Wed, 01 Jan 2020 00:00:00 GMT', 'c=; Path=/', 'd=4; Max-Age=-1', 'a=5', 'junk', 'e=x=y; Expires=Wed, 01 Jan 2031 00:00:00 GMT'], now),
    ).toBe('a=5; e=x=y');
  });
});

describe('generate-cookies handler', () => {
  let t: TestCtx;
  beforeEach(async () => {
    t = await makeCtx();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const handlerWith = (refreshers: Map<string, Refresher>, defaultRefresher?: string) => createGenerateCookiesHandler({ refreshers, defaultRefresher, env: ENV });

  it('stores the refreshed credential and answers a preview without the value', async () => {
    const h = handlerWith(createRefreshers({ 'market-login': { type: 'http-login', url: `${login.url}/login`, fields: { user: 'alice', password: '$ENV:MARKET_PASSWORD' } } }));
    const result = (await h({}, t.ctx)) as GenerateCookiesResult;
    const stored = await t.store.credentials.get('scraping');
    expect(stored).toMatchObject({ value: 'sid=s3ss10n-value-456; csrf=t0ken', source: 'refresher:market-login' });
    expect(result).toMatchObject({ credential: 'scraping', source: 'refresher:market-login', refreshedAt: stored!.lastRefreshAt });
    expect(result.preview).toMatch(/^sid=\*\*\*\*; csrf=\*\*\*\* \(\d+ chars, sha256:[0-9a-f]{8}\)$/);
    const answer = JSON.stringify(result);
    expect(answer).not.toContain('s3ss10n');
    expect(answer).not.toContain('t0ken');
    expect(t.logs()).toContain('credential refreshed');
    expect(t.logs()).not.toMatch(/s3ss10n|hunter2/);
  });

  it('stores under the refresher credentialName and picks a refresher by name or default', async () => {
    const refreshers = createRefreshers({
      a: { type: 'http-login', url: `${login.url}/login`, fields: { user: 'alice', password: '$ENV:MARKET_PASSWORD' }, credentialName: 'market-a' },
      b: { type: 'http-login', url: `${login.url}/no-cookie`, fields: {} },
    });
    await expect(handlerWith(refreshers)({}, t.ctx)).rejects.toMatchObject({ code: 'INVALID_COMMAND', message: expect.stringContaining('a, b') });
    const result = (await handlerWith(refreshers)({ refresher: 'a' }, t.ctx)) as GenerateCookiesResult;
    expect(result.credential).toBe('market-a');
    expect((await t.store.credentials.get('market-a'))?.value).toBe('sid=s3ss10n-value-456; csrf=t0ken');
    expect(await t.store.credentials.get('scraping')).toBeUndefined();
    await expect(handlerWith(refreshers, 'b')({}, t.ctx)).rejects.toMatchObject({ code: 'REFRESH_FAILED' });
  });

  it('leaves the stored credential alone when the refresh fails', async () => {
    await t.store.credentials.set('scraping', 'sid=previous-value', 'cli');
    const h = handlerWith(createRefreshers({ bad: { type: 'http-login', url: `${login.url}/no-cookie`, fields: {} } }));
    await expect(h({}, t.ctx)).rejects.toMatchObject({ code: 'REFRESH_FAILED' });
    expect((await t.store.credentials.get('scraping'))?.value).toBe('sid=previous-value');
  });

  it('answers 501 COMMAND_NOT_SUPPORTED without refreshers, 400 for an unknown one or a bad payload', async () => {
    await expect(handlerWith(new Map())({}, t.ctx)).rejects.toMatchObject({ code: 'COMMAND_NOT_SUPPORTED', httpStatus: 501 });
    const one = createRefreshers({ a: { type: 'http-login', url: `${login.url}/login`, fields: {} } });
    await expect(handlerWith(one)({ refresher: 'zz' }, t.ctx)).rejects.toMatchObject({ code: 'UNKNOWN_REFRESHER', httpStatus: 400, message: expect.stringContaining('Configured: a') });
    await expect(handlerWith(one)({ cookies: 'x' }, t.ctx)).rejects.toMatchObject({ code: 'INVALID_COMMAND', httpStatus: 400 });
    await expect(handlerWith(one)({ refresher: 3 }, t.ctx)).rejects.toMatchObject({ code: 'INVALID_COMMAND', httpStatus: 400 });
  });
});
