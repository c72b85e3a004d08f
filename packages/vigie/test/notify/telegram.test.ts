import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTelegramNotifier, escapeHtml, renderTelegramMessage } from '../../src/notify/telegram.js';
import { clearSecrets, scrub } from '../../src/observability/secrets.js';
import { FakeTelegram } from './fake-telegram.js';
import { entry, matchPayload, never } from './helpers.js';
import { closedPort } from './webhook-receiver.js';

const TOKEN = '123456789:AAH-telegram-specifics-token';

describe('Telegram notifier', () => {
  let fake: FakeTelegram;
  beforeAll(async () => {
    fake = await FakeTelegram.start({ token: TOKEN, chats: ['42', '-100777'] });
  });
  afterAll(async () => {
    await fake.close();
    clearSecrets();
  });
  beforeEach(() => {
    fake.clearFailures();
    fake.messages.length = 0;
    fake.requests.length = 0;
  });

  it('sends an HTML message with the title linked, the price, the condition and the brand', async () => {
    const n = createTelegramNotifier({ token: TOKEN, apiUrl: fake.url, defaultChatId: '42' });
    expect(await n.send(entry('telegram', {}, matchPayload({ photo: 'https://img.example/1.jpg' })), never())).toEqual({ ok: true });
    const [m] = fake.messages;
    expect(m).toMatchObject({ chatId: '42', parseMode: 'HTML' });
    expect(m!.text).toBe(
      ['🔔 <b>Vintage lamp</b>', '<a href="https://shop.example/items/i-1">Lamp i-1</a>', '💰 25.50 EUR', 'Condition: good', 'Brand: Ikea'].join('\n'),
    );
    expect(m!.linkPreviewOptions).toEqual({ url: 'https://img.example/1.jpg', prefer_large_media: true });
  });

  it('escapes HTML in every field, and links only http(s) URLs', async () => {
    const n = createTelegramNotifier({ token: TOKEN, apiUrl: fake.url, defaultChatId: '42' });
    const p = matchPayload({ title: '<b>Lamp</b> & "shade" <script>', url: 'https://shop.example/i?a=1&b=<2>', brand: 'A&B', condition: '<new>' });
    p.alert.name = 'Lamps <under> 30€ & co';
    expect(await n.send(entry('telegram', {}, p), never())).toEqual({ ok: true });
    const text = fake.messages[0]!.text;
    expect(text).toContain('<b>Lamps &lt;under&gt; 30€ &amp; co</b>');
    expect(text).toContain('<a href="https://shop.example/i?a=1&amp;b=&lt;2&gt;">&lt;b&gt;Lamp&lt;/b&gt; &amp; &quot;shade&quot; &lt;script&gt;</a>');
    expect(text).toContain('Brand: A&amp;B');
    expect(text).toContain('Condition: &lt;new&gt;');
    expect(text).not.toContain('<script>');

    const js = renderTelegramMessage(matchPayload({ url: 'javascript:alert(1)' })).text;
    expect(js).not.toContain('<a ');
    expect(js).not.toContain('javascript:');
    expect(escapeHtml(`<&>"`)).toBe('&lt;&amp;&gt;&quot;');
  });

  it('sends to the target chat, else the configured one; with neither, fails for good without a request', async () => {
    const n = createTelegramNotifier({ token: TOKEN, apiUrl: fake.url, defaultChatId: '42' });
    await n.send(entry('telegram', { chatId: '-100777' }), never());
    await n.send(entry('telegram', {}), never());
    expect(fake.messages.map((m) => m.chatId)).toEqual(['-100777', '42']);
    const none = createTelegramNotifier({ token: TOKEN, apiUrl: fake.url });
    const r = await none.send(entry('telegram', {}), never());
    expect(r).toMatchObject({ ok: false, permanent: true });
    expect(!r.ok && r.error).toMatch(/TELEGRAM_CHAT_ID/);
    expect(fake.requests).toHaveLength(2);
  });

  it('reads retry_after (seconds) from a 429 as retryAfterMs', async () => {
    fake.rateLimitNext(1, 37);
    const n = createTelegramNotifier({ token: TOKEN, apiUrl: fake.url, defaultChatId: '42' });
    const r = await n.send(entry('telegram', {}), never());
    expect(r).toMatchObject({ ok: false, permanent: false, retryAfterMs: 37_000 });
    expect(!r.ok && r.error).toContain('Too Many Requests: retry after 37');
  });

  it('names the new chat id when a group became a supergroup', async () => {
    fake.failNext(1, { kind: 'error', status: 400, description: 'Bad Request: group chat was upgraded to a supergroup chat', parameters: { migrate_to_chat_id: -1001234 } });
    const r = await createTelegramNotifier({ token: TOKEN, apiUrl: fake.url, defaultChatId: '42' }).send(entry('telegram', {}), never());
    expect(r).toMatchObject({ ok: false, permanent: true });
    expect(!r.ok && r.error).toContain('-1001234');
  });

  it('keeps the bot token out of every error text, and registers it so logs scrub it too', async () => {
    clearSecrets();
    const texts: string[] = [];
    const collect = (r: Awaited<ReturnType<ReturnType<typeof createTelegramNotifier>['send']>>) => {
      expect(r.ok).toBe(false);
      if (!r.ok) texts.push(r.error);
    };
    const n = createTelegramNotifier({ token: TOKEN, apiUrl: fake.url, defaultChatId: '42' });
    expect(scrub(`GET /bot${TOKEN}/sendMessage`)).toBe('GET /bot****/sendMessage');
    // A server that echoes the token in its description.
    fake.failNext(1, { kind: 'error', status: 502, description: `upstream failed for /bot${TOKEN}/sendMessage` });
    collect(await n.send(entry('telegram', {}), never()));
    fake.serverErrorNext(1);
    collect(await n.send(entry('telegram', {}), never()));
    collect(await createTelegramNotifier({ token: TOKEN, apiUrl: `http://127.0.0.1:${await closedPort()}`, defaultChatId: '42' }).send(entry('telegram', {}), never()));
    const wrong = 'WRONG-999:another-secret-token';
    collect(await createTelegramNotifier({ token: wrong, apiUrl: fake.url, defaultChatId: '42' }).send(entry('telegram', {}), never()));
    expect(texts).toHaveLength(4);
    for (const t of texts) {
      expect(t).not.toContain(TOKEN);
      expect(t).not.toContain(wrong);
      expect(t).not.toContain(fake.url); // no URL at all: it would carry the token
    }
    expect(texts[0]).toContain('****');
    expect(texts[2]).toMatch(/network error \(ECONNREFUSED\)/);
    expect(texts[3]).toMatch(/HTTP 401.*TELEGRAM_BOT_TOKEN/);
  });
});
