import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startMarketplace, type Marketplace } from '../../src/demo/marketplace.js';
import { openStore } from '../../src/store/index.js';
import { demoSource } from '../../src/up/demo.js';
import { createTestFleet, get, post, type TestFleet } from '../helpers/fleet.js';
import { runVigie } from '../helpers/vigie-process.js';
import { FakeTelegram } from '../notify/fake-telegram.js';

const TOKEN = '123456:TEST-bot-token-abcdef';
const CHAT = '4242';
const SESSION = 'demo_session=e2e-secret-session';

let fleet: TestFleet | undefined;
let market: Marketplace | undefined;
let telegram: FakeTelegram | undefined;
afterEach(async () => {
  await fleet?.stopAll();
  await market?.close();
  await telegram?.close();
});

/** A marketplace, a fake Bot API, a fleet whose store holds the session and one alert on every listing. */
async function oneAlertOnMarket(o: { seed: number; listings: number; chats: string[]; notifyExisting: boolean }) {
  // Kept in the file's variables too, so that afterEach stops them.
  const shop = (market = await startMarketplace({ seed: o.seed, initialListings: o.listings, sessionCookie: SESSION }));
  const bot = (telegram = await FakeTelegram.start({ token: TOKEN, chats: o.chats }));
  fleet = createTestFleet();
  const workerConfig = join(fleet.dir, 'worker.json');
  writeFileSync(workerConfig, JSON.stringify({ sources: { market: demoSource(shop.url) }, requestDelayMinMs: 0, requestDelayMaxMs: 0 }));
  const store = await openStore({ dataDir: fleet.dataDir });
  await store.credentials.set('scraping', SESSION, 'test');
  await store.alerts.create({ name: 'All', source: 'market', query: '', notify: [{ channel: 'telegram' }], notifyExisting: o.notifyExisting });
  await store.close();
  return { f: fleet, workerConfig, shop, bot };
}

describe('matches to Telegram, across a coordinator crash', () => {
  it('delivers each new match exactly once, even when the coordinator is killed between storing and sending', async () => {
    market = await startMarketplace({ seed: 3, initialListings: 40, sessionCookie: SESSION });
    telegram = await FakeTelegram.start({ token: TOKEN, chats: [CHAT] });
    fleet = createTestFleet();
    const f = fleet;

    const workerConfig = join(f.dir, 'worker.json');
    writeFileSync(workerConfig, JSON.stringify({ sources: { market: demoSource(market.url) }, requestDelayMinMs: 0, requestDelayMaxMs: 20 }));
    const store = await openStore({ dataDir: f.dataDir });
    await store.credentials.set('scraping', SESSION, 'test');
    const nike = await store.alerts.create({ name: 'Nike', source: 'market', query: 'nike', notify: [{ channel: 'telegram' }], notifyExisting: true });
    const levis = await store.alerts.create({ name: 'Levis', source: 'market', query: "levi's", notify: [{ channel: 'telegram' }], notifyExisting: true });
    await store.close();
    const expected = market.listings().filter((l) => /nike|levi's/i.test(l.title)).length;
    expect(expected).toBeGreaterThan(3);

    await f.startWorker('w1', '127.0.0.2', {}, { plugin: false, configFile: workerConfig });
    await f.startWorker('w2', '127.0.0.3', {}, { plugin: false, configFile: workerConfig });
    const env = { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_CHAT_ID: CHAT, NOTIFY_POLL_INTERVAL_MS: '100' };

    // 1. Telegram unreachable: the cycle stores its matches, sends fail; then kill -9.
    const first = await f.startCoordinator({ ...env, TELEGRAM_API_URL: 'http://127.0.0.1:9' });
    const cycle = await post(`${first.url}/api/v1/alerts/run-once`, {});
    expect(cycle.body.data).toMatchObject({ status: 'ok', alertsChecked: 2, matches: expected });
    expect((await get<{ matches: unknown[] }>(`${first.url}/api/v1/matches?limit=500`)).matches).toHaveLength(expected);
    await first.proc.stop('SIGKILL');
    expect(telegram.messages).toHaveLength(0);

    // 2. Restart against the Bot API, which rate-limits the first call: every match arrives, once.
    telegram.rateLimitNext(1, 1);
    const second = await f.startCoordinator({ ...env, TELEGRAM_API_URL: telegram.url });
    const messages = await telegram.waitForMessages(expected, 30_000);
    // A second cycle finds the same listings: nothing new to send.
    const again = await post(`${second.url}/api/v1/alerts/run-once`, {});
    expect(again.body.data).toMatchObject({ status: 'ok', matches: 0 });
    await new Promise((r) => setTimeout(r, 1500));
    expect(telegram.messages).toHaveLength(expected);
    expect(telegram.requests.length).toBe(expected + 1); // + the one answered 429
    expect(new Set(messages.map((m) => m.text)).size).toBe(expected);
    for (const m of messages) expect(m.chatId).toBe(CHAT);

    // The session credential went to the marketplace, never to the logs.
    const logs = f.workers.map((w) => w.proc.output()).join('\n') + first.proc.output() + second.proc.output();
    expect(logs).not.toContain('e2e-secret-session');
    expect(logs).not.toContain('TEST-bot-token');
    expect(nike.id).not.toBe(levis.id);
  }, 90_000);

  it('records the first check of an alert silently, then notifies what is new', async () => {
    const { f, workerConfig, shop, bot } = await oneAlertOnMarket({ seed: 5, listings: 30, chats: [CHAT], notifyExisting: false });
    await f.startWorker('w1', '127.0.0.2', {}, { plugin: false, configFile: workerConfig });
    const { url } = await f.startCoordinator({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_CHAT_ID: CHAT, TELEGRAM_API_URL: bot.url, NOTIFY_POLL_INTERVAL_MS: '100' });

    expect((await post(`${url}/api/v1/alerts/run-once`, {})).body.data).toMatchObject({ status: 'ok', matches: 0 });
    // Two listings appear on the marketplace; the next cycle notifies exactly those.
    shop.addListing({ title: 'Nike brand new drop', price: 10 });
    shop.addListing({ title: 'Veja fresh sneakers', price: 20 });
    expect((await post(`${url}/api/v1/alerts/run-once`, {})).body.data).toMatchObject({ status: 'ok', matches: 2 });
    const messages = await bot.waitForMessages(2);
    expect(messages.map((m) => m.text).join('\n')).toMatch(/Nike brand new drop[\s\S]*Veja fresh sneakers|Veja fresh sneakers[\s\S]*Nike brand new drop/);
  }, 60_000);

  it('sends to the chat stored with `vigie config set telegramChatId` once the coordinator (re)starts', async () => {
    const STORED = '5151';
    const { f, workerConfig, bot } = await oneAlertOnMarket({ seed: 7, listings: 20, chats: [CHAT, STORED], notifyExisting: true });
    // No Redis: the file store of the data folder, which the coordinator reads at start.
    const set = await runVigie(['config', 'set', 'telegramChatId', STORED], { VIGIE_DATA_DIR: f.dataDir });
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ applies: 'restart' });

    await f.startWorker('w1', '127.0.0.2', {}, { plugin: false, configFile: workerConfig });
    const { url } = await f.startCoordinator({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_CHAT_ID: CHAT, TELEGRAM_API_URL: bot.url, NOTIFY_POLL_INTERVAL_MS: '100' });
    const cycle = (await post(`${url}/api/v1/alerts/run-once`, {})).body.data as { matches: number };
    expect(cycle.matches).toBeGreaterThan(0);
    const messages = await bot.waitForMessages(cycle.matches);
    for (const m of messages) expect(m.chatId).toBe(STORED);
  }, 60_000);
});
