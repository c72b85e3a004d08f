// The dashboard in real Chromium against a real coordinator, three real workers, the demo
// marketplace and a Telegram Bot API on loopback: log in, watch the fleet live, kill a worker,
// run a cycle from the button, see the match and its notification. Writes docs/dashboard.png.
import { tmpdir } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium, reportMissingChromium } from '../../../client/test/helpers/chromium.js';
import { startMarketplace, type Marketplace } from '../../src/demo/marketplace.js';
import { openStore } from '../../src/store/index.js';
import { demoSource } from '../../src/up/demo.js';
import { createTestFleet, FLEET_KEY, type TestFleet } from '../helpers/fleet.js';
import { FakeTelegram } from '../notify/fake-telegram.js';

// The committed screenshot is rewritten only when asked (VIGIE_UPDATE_SCREENSHOT=1), so that a
// test run leaves the work tree clean; otherwise the shot still runs, into the temp folder.
const SCREENSHOT = process.env.VIGIE_UPDATE_SCREENSHOT === '1'
  ? fileURLToPath(new URL('../../../../docs/dashboard.png', import.meta.url))
  : join(tmpdir(), `vigie-dashboard-${process.pid}.png`);
const HEALTH_INTERVAL_MS = 1500;
const TOKEN = '123456:DASHBOARD-bot-token';
const CHAT = '4242';
const SESSION = 'demo_session=dashboard-secret-session';

reportMissingChromium('dashboard browser test');

describe.skipIf(!chromiumAvailable)('the dashboard in headless Chromium', () => {
  let browser: Browser | undefined;
  let page: Page;
  let fleet: TestFleet | undefined;
  let market: Marketplace | undefined;
  let telegram: FakeTelegram | undefined;
  let url: string;
  let first: Awaited<ReturnType<TestFleet['startCoordinator']>>;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    market = await startMarketplace({ seed: 7, initialListings: 20, sessionCookie: SESSION });
    telegram = await FakeTelegram.start({ token: TOKEN, chats: [CHAT] });
    fleet = createTestFleet();
    const workerConfig = join(fleet.dir, 'worker.json');
    writeFileSync(workerConfig, JSON.stringify({ sources: { market: demoSource(market.url) }, requestDelayMinMs: 0, requestDelayMaxMs: 0 }));
    const store = await openStore({ dataDir: fleet.dataDir });
    await store.credentials.set('scraping', SESSION, 'test');
    await store.alerts.create({ name: 'Everything', source: 'market', query: '', notify: [{ channel: 'telegram' }] });
    await store.close();
    for (const [i, host] of ['127.0.0.2', '127.0.0.3', '127.0.0.4'].entries()) {
      await fleet.startWorker(`w${i + 1}`, host, {}, { plugin: false, configFile: workerConfig });
    }
    first = await fleet.startCoordinator({
      HEALTH_CHECK_INTERVAL_MS: String(HEALTH_INTERVAL_MS),
      HEALTH_CHECK_TIMEOUT_MS: '1000',
      ALERT_INITIAL_DELAY_MS: '3600000',
      ALERT_CHECK_INTERVAL_MS: '3600000',
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_CHAT_ID: CHAT,
      TELEGRAM_API_URL: telegram.url,
      NOTIFY_POLL_INTERVAL_MS: '100',
    });
    url = first.url;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(String(e)));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await fleet?.stopAll();
    await market?.close();
    await telegram?.close();
  });

  const row = (id: string) => page.locator(`tr[data-worker="${id}"]`);

  it('is served by the coordinator at / and /dashboard from the built bundle', async () => {
    for (const path of ['/', '/dashboard']) {
      const res = await fetch(`${url}${path}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('/dashboard/app.js');
    }
    const js = await fetch(`${url}/dashboard/app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
  });

  it('refuses a wrong key with a message, and logs in with the right one', async () => {
    await page.goto(`${url}/`);
    await page.getByLabel('API key').fill('not-the-key-0123456789');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.locator('#login-error').textContent()).toContain('Wrong API key');
    expect(await page.locator('#fleet').count()).toBe(0);

    await page.getByLabel('API key').fill(FLEET_KEY);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('#fleet').waitFor();
    // The key stays in the tab, not in a cookie or in local storage.
    expect(await page.evaluate('sessionStorage.getItem("vigie.apiKey")')).toBe(FLEET_KEY);
    expect(await page.evaluate('localStorage.length')).toBe(0);
  });

  it('shows the three workers healthy, with the live feed open', async () => {
    await expect.poll(() => page.locator('tr[data-worker] td[data-state="ok"]').count(), { timeout: 10_000 }).toBe(3);
    for (const id of ['w1', 'w2', 'w3']) expect(await row(id).locator('td[data-state]').textContent()).toContain('Healthy');
    // Latency p50/p95 ("–" before a worker's first command) and commands in flight.
    expect(await page.locator('table.fleet thead').textContent()).toContain('Latency p50 / p95');
    expect(await row('w1').locator('td.latency').textContent()).toMatch(/^(–|\d+ ms|\d+\.\d s) \/ (–|\d+ ms|\d+\.\d s)\s*\d+ in flight$/);
    await expect.poll(() => page.locator('[data-feed]').getAttribute('data-feed'), { timeout: 10_000 }).toBe('open');
  });

  it('runs a cycle from the button: progress, then the history row, then the match and its notification', async () => {
    await page.getByRole('button', { name: 'Run a cycle now' }).click();
    // Progress comes from cycle.* events over the feed; the history row from alert_runs after.
    await page.locator('#cycle-progress[data-status]').waitFor({ timeout: 20_000 });
    await page.locator('table.runs tbody tr').first().waitFor({ timeout: 20_000 });
    expect(await page.locator('table.runs tbody tr').first().textContent()).toContain('manual');
    await expect.poll(() => page.locator('#cycle-progress').getAttribute('data-status'), { timeout: 20_000 }).toBe('ok');

    // A listing appears on the marketplace; the next cycle finds it and Telegram gets it.
    market!.addListing({ title: 'Dashboard test lamp', price: 12 });
    await page.getByRole('button', { name: 'Run a cycle now' }).click();
    const match = page.locator('tr[data-match]', { hasText: 'Dashboard test lamp' });
    await match.waitFor({ timeout: 20_000 });
    await telegram!.waitForMessages(1, 20_000);
    await expect.poll(() => match.textContent(), { timeout: 20_000 }).toContain('telegram: ✔ sent');
    expect(await page.locator('table.runs tbody tr').count()).toBe(2);
  });

  it('shows a killed worker unhealthy within two health intervals, without a reload', async () => {
    const navigations: string[] = [];
    page.on('framenavigated', (f) => navigations.push(f.url()));
    const victim = fleet!.workers[1]!;
    const t0 = Date.now();
    await victim.proc.stop('SIGKILL');
    await row(victim.id).locator('td[data-state="bad"]').waitFor({ timeout: 2 * HEALTH_INTERVAL_MS });
    const tookMs = Date.now() - t0;
    console.log(`[dashboard] killed worker shown unhealthy after ${tookMs} ms (health interval ${HEALTH_INTERVAL_MS} ms)`);
    expect(tookMs).toBeLessThanOrEqual(2 * HEALTH_INTERVAL_MS);
    expect(await row(victim.id).locator('td[data-state]').textContent()).toMatch(/Unhealthy/);
    expect(navigations).toEqual([]);
    expect(await page.locator('td[data-state="ok"]').count()).toBe(2);

    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it('works at a phone\'s width: every panel there, nothing wider than the screen, buttons reachable by keyboard', async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    for (const id of ['fleet', 'cycles', 'matches', 'leadership', 'config', 'failovers', 'standby']) expect(await page.locator(`#${id}`).isVisible()).toBe(true);
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    expect(await page.locator('#failovers').textContent()).toContain('Not configured');
    // From the top of the page (a reload keeps the tab's session), Tab reaches the skip link first.
    await page.reload();
    await page.locator('#fleet').waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Skip to the fleet');
    expect(pageErrors).toEqual([]);
  });

  it('follows the live feed to another coordinator listed at login when its coordinator dies', async () => {
    // A second coordinator on the same store, which lets pages served by the first call it (CORS).
    const other = await fleet!.startCoordinator({ HEALTH_CHECK_INTERVAL_MS: String(HEALTH_INTERVAL_MS), ALERT_INITIAL_DELAY_MS: '3600000', DASHBOARD_ALLOWED_ORIGINS: url });
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('API key').fill(FLEET_KEY);
    await page.getByLabel(/Coordinators/).fill(`${url}\n${other.url}`);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.locator('[data-feed]').textContent(), { timeout: 10_000 }).toContain(`Live — ${url}`);
    // The feed resumes on a coordinator with another numbering: told to reload, the page loads
    // its snapshot again, from there.
    const reloaded = page.waitForResponse((r) => r.url().startsWith(`${other.url}/api/v1/worker/main/stats`) && r.status() === 200, { timeout: 20_000 });
    await first.proc.stop('SIGKILL');
    await expect.poll(() => page.locator('[data-feed]').textContent(), { timeout: 20_000 }).toContain(`Live — ${other.url}`);
    await reloaded;
    await expect.poll(() => page.locator('tr[data-worker]').count()).toBe(3);
    expect(pageErrors).toEqual([]);
  });
});
