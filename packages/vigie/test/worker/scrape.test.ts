import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clearSecrets } from '../../src/observability/secrets.js';
import { createScrapeHandler, isHostAllowed, type ScrapeResult } from '../../src/worker/commands/scrape.js';
import { makeCtx, startServer, type LocalServer, type TestCtx } from '../alerts/local-server.js';

const COOKIE = 'session=scr4pe-s3cret-cookie; cf=x';

let allowed: LocalServer; // 127.0.0.1, in the allow list
let other: LocalServer; // 127.0.0.2, not in it

beforeAll(async () => {
  other = await startServer((_req, res) => res.end('secret internal page'), '127.0.0.2');
  allowed = await startServer((req, res) => {
    if (req.url === '/redirect') {
      res.writeHead(302, { location: `${other.url}/internal` });
      return res.end();
    }
    if (req.url === '/big') return res.end('x'.repeat(5000));
    if (req.url === '/login') {
      res.writeHead(200, { 'set-cookie': ['sid=upstream-s3ssion; Path=/; HttpOnly', 'lang=fr'] });
      return res.end('welcome');
    }
    if (req.url === '/hang') return;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'x-upstream': 'yes' });
    res.end('<h1>Bonjour, été</h1>');
  });
});

afterAll(async () => {
  await allowed.close();
  await other.close();
});

let t: TestCtx;
beforeEach(async () => {
  t = await makeCtx();
});
afterEach(async () => {
  await t.cleanup();
  clearSecrets();
});

const scrape = (payload: unknown, deps: Partial<Parameters<typeof createScrapeHandler>[0]> = {}) =>
  createScrapeHandler({ allowedHosts: ['127.0.0.1'], ...deps })(payload, t.ctx) as Promise<ScrapeResult>;

describe('scrape command', () => {
  it('fetches an allowed host and answers status, headers and body', async () => {
    const result = await scrape({ url: `${allowed.url}/page?x=1` });
    expect(result).toMatchObject({ url: `${allowed.url}/page?x=1`, status: 200, body: '<h1>Bonjour, été</h1>', truncated: false });
    expect(result.headers['x-upstream']).toBe('yes');
    expect(result.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(allowed.requests.at(-1)).toMatchObject({ method: 'GET', url: '/page?x=1' });
  });

  it('refuses a host outside SCRAPE_ALLOWED_HOSTS with 400 HOST_NOT_ALLOWED, without fetching it', async () => {
    const before = other.requests.length;
    await expect(scrape({ url: `${other.url}/internal` })).rejects.toMatchObject({
      code: 'HOST_NOT_ALLOWED',
      httpStatus: 400,
      message: expect.stringContaining('SCRAPE_ALLOWED_HOSTS'),
    });
    await expect(scrape({ url: `${allowed.url}/` }, { allowedHosts: [] })).rejects.toMatchObject({ code: 'HOST_NOT_ALLOWED', message: expect.stringContaining('SCRAPE_ALLOWED_HOSTS is empty') });
    expect(other.requests.length - before).toBe(0);
  });

  it('does not follow a redirect: the 3xx is answered as it came', async () => {
    const before = other.requests.length;
    const result = await scrape({ url: `${allowed.url}/redirect` });
    expect(result.status).toBe(302);
    expect(result.headers.location).toBe(`${other.url}/internal`);
    expect(other.requests.length - before).toBe(0);
  });

  it('sends the scraping credential as Cookie only when asked', async () => {
    await t.store.credentials.set('scraping', COOKIE, 'cli');
    await scrape({ url: `${allowed.url}/a` });
    expect(allowed.requests.at(-1)!.headers.cookie).toBeUndefined();
    await scrape({ url: `${allowed.url}/b`, credential: false, headers: { 'accept-language': 'fr' } });
    expect(allowed.requests.at(-1)!.headers.cookie).toBeUndefined();
    expect(allowed.requests.at(-1)!.headers['accept-language']).toBe('fr');
    await scrape({ url: `${allowed.url}/c`, credential: true });
    expect(allowed.requests.at(-1)!.headers.cookie).toBe(COOKIE);
    expect(t.logs()).not.toContain('s3cret');
  });

  it('answers NO_SCRAPING_COOKIES (503) when asked for a credential there is none of, without fetching', async () => {
    const before = allowed.requests.length;
    await expect(scrape({ url: `${allowed.url}/c`, credential: true })).rejects.toMatchObject({ code: 'NO_SCRAPING_COOKIES', httpStatus: 503 });
    expect(allowed.requests.length - before).toBe(0);
  });

  it('cuts the body at maxBytes and says so', async () => {
    const result = await scrape({ url: `${allowed.url}/big` }, { maxBytes: 100 });
    expect(result.body).toBe('x'.repeat(100));
    expect(result.truncated).toBe(true);
    const whole = await scrape({ url: `${allowed.url}/big` });
    expect(whole.body).toHaveLength(5000);
    expect(whole.truncated).toBe(false);
  });

  it('masks the values of Set-Cookie headers', async () => {
    const result = await scrape({ url: `${allowed.url}/login` });
    expect(result.headers['set-cookie']).toBe('sid=****, lang=****');
    expect(JSON.stringify(result)).not.toContain('upstream-s3ssion');
  });

  it('times out with UPSTREAM_TIMEOUT (504)', async () => {
    await expect(scrape({ url: `${allowed.url}/hang` }, { timeoutMs: 200 })).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT', httpStatus: 504 });
  });

  it('rejects bad payloads with 400 INVALID_COMMAND and fetches nothing', async () => {
    const before = allowed.requests.length;
    const bad = [
      undefined,
      {},
      { url: 'not a url' },
      { url: `file:///etc/passwd` },
      { url: `ftp://127.0.0.1/` },
      { url: `http://user:pw@127.0.0.1/` },
      { url: `${allowed.url}/`, method: 'POST' },
      { url: `${allowed.url}/`, headers: { host: 'evil.example' } },
      { url: `${allowed.url}/`, headers: { 'bad header': 'x' } },
      { url: `${allowed.url}/`, credential: 'yes' },
    ];
    for (const payload of bad) {
      await expect(scrape(payload), JSON.stringify(payload)).rejects.toMatchObject({ code: 'INVALID_COMMAND', httpStatus: 400 });
    }
    await t.store.credentials.set('scraping', COOKIE, 'cli');
    await expect(scrape({ url: `${allowed.url}/`, credential: true, headers: { Cookie: 'a=b' } })).rejects.toMatchObject({ code: 'INVALID_COMMAND', message: expect.stringContaining('conflicts') });
    expect(allowed.requests.length - before).toBe(0);
  });
});

describe('isHostAllowed', () => {
  const allowedBy = (url: string, list: string[]) => isHostAllowed(new URL(url), list);
  it('matches exact hosts, host:port and *.domain wildcards, case-insensitively', () => {
    expect(allowedBy('https://Example.com/x', ['example.com'])).toBe(true);
    expect(allowedBy('https://example.com:8443/x', ['example.com'])).toBe(true);
    expect(allowedBy('https://example.com:8443/x', ['example.com:8443'])).toBe(true);
    expect(allowedBy('https://example.com:9000/x', ['example.com:8443'])).toBe(false);
    expect(allowedBy('https://www.example.com/', ['*.example.com'])).toBe(true);
    expect(allowedBy('https://a.b.example.com/', ['*.EXAMPLE.com'])).toBe(true);
    expect(allowedBy('https://example.com/', ['*.example.com'])).toBe(false);
    expect(allowedBy('https://badexample.com/', ['*.example.com'])).toBe(false);
    expect(allowedBy('https://example.com.evil.net/', ['example.com', '*.example.com'])).toBe(false);
    expect(allowedBy('https://anything.net/', ['*'])).toBe(false);
    expect(allowedBy('https://anything.net/', [])).toBe(false);
  });
});
