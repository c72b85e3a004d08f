import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { recordMatches } from '../../src/alerts/matches.js';
import { OutboxSender, type OutboxSenderOptions } from '../../src/notify/outbox-sender.js';
import { createTelegramNotifier } from '../../src/notify/telegram.js';
import type { Notifier } from '../../src/notify/types.js';
import { createWebhookNotifier } from '../../src/notify/webhook.js';
import { clearSecrets } from '../../src/observability/secrets.js';
import { openStore, type NotifyTarget, type OutboxEntry, type Store } from '../../src/store/index.js';
import { FakeTelegram } from './fake-telegram.js';
import { captureLogger, item } from './helpers.js';
import { closedPort, WebhookReceiver } from './webhook-receiver.js';

const TOKEN = '987654321:AAE-outbox-sender-token';
const T0 = 1_700_000_000_000;

const root = mkdtempSync(join(tmpdir(), 'vigie-outbox-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  clearSecrets();
});

describe('OutboxSender', () => {
  let fake: FakeTelegram;
  let store: Store;
  let dataDir: string;
  let now: number;
  let n = 0;
  const senders: OutboxSender[] = [];
  const out = captureLogger();

  const telegram = (): Notifier => createTelegramNotifier({ token: TOKEN, apiUrl: fake.url, defaultChatId: '42' });
  /** A sender on the fake clock, with jitter pinned to its lowest (1 s, 2 s … exactly). */
  const sender = (extra: Partial<OutboxSenderOptions> = {}) => {
    const s = new OutboxSender({ store, notifiers: [telegram()], logger: out.logger, clock: () => now, backoff: { random: () => 0 }, ...extra });
    senders.push(s);
    return s;
  };
  /** An alert past its first check, and `ids` recorded as new matches. */
  async function matches(ids: string[], notify: NotifyTarget[] = [{ channel: 'telegram' }], on: Store = store): Promise<OutboxEntry[]> {
    const runId = (await on.alertRuns.start({ trigger: 'manual' })).id;
    const alert = await on.alerts.create({ name: 'Lamps', source: 'demo', query: 'lamp', notify });
    await recordMatches(on, { runId, alert, candidates: [], now });
    await recordMatches(on, { runId, alert, candidates: ids.map((id) => item(id)), now });
    return on.outbox.due(now, 1000);
  }
  const get = async (id: string) => (await store.outbox.get(id))!;

  beforeAll(async () => {
    fake = await FakeTelegram.start({ token: TOKEN, chats: ['42'] });
  });
  afterAll(() => fake.close());
  beforeEach(async () => {
    now = T0;
    dataDir = join(root, `case-${++n}`);
    store = await openStore({ dataDir });
    fake.clearFailures();
    fake.messages.length = 0;
    fake.requests.length = 0;
  });
  afterEach(async () => {
    for (const s of senders.splice(0)) await s.stop();
    await store.close();
  });

  it('delivers each match once, and marks it sent', async () => {
    const entries = await matches(['a', 'b', 'c']);
    const outcomes: string[] = [];
    const s = sender({ onOutcome: (channel, outcome) => outcomes.push(`${channel}:${outcome}`) });
    expect(await s.drainOnce(now)).toEqual({ sent: 3, retried: 0, failed: 0, skipped: 0 });
    expect(fake.messages.map((m) => m.text.split('\n')[1]).sort()).toEqual(['a', 'b', 'c'].map((id) => `<a href="https://shop.example/items/${id}">Lamp ${id}</a>`));
    expect(outcomes).toEqual(['telegram:sent', 'telegram:sent', 'telegram:sent']);
    for (const e of entries) expect(await get(e.id)).toMatchObject({ status: 'sent', sentAt: T0, attempts: 1, lastError: null });
    now += 3_600_000;
    expect(await s.drainOnce(now)).toEqual({ sent: 0, retried: 0, failed: 0, skipped: 0 });
    expect(fake.requests).toHaveLength(3);
  });

  it('never sends an entry twice when passes overlap, in one sender or across two', async () => {
    await matches(['a', 'b', 'c', 'd']);
    const [s1, s2] = [sender(), sender()];
    const results = await Promise.all([s1.drainOnce(now), s2.drainOnce(now), s1.drainOnce(now), s2.drainOnce(now)]);
    expect(results.reduce((k, r) => k + r.sent, 0)).toBe(4);
    expect(fake.requests).toHaveLength(4);
    expect(new Set(fake.messages.map((m) => m.text)).size).toBe(4);
  });

  it('waits retry_after after a 429, holding the chat\'s other entries, then delivers them', async () => {
    const [first, second] = await matches(['a', 'b']);
    fake.rateLimitNext(1, 30);
    const s = sender();
    expect(await s.drainOnce(now)).toEqual({ sent: 0, retried: 1, failed: 0, skipped: 1 });
    const limited = await get(first!.id);
    expect(limited.nextAttemptAt).toBeGreaterThanOrEqual(T0 + 30_000);
    expect(limited).toMatchObject({ status: 'pending', attempts: 1 });
    expect(limited.lastError).toContain('retry after 30');
    expect(await get(second!.id)).toMatchObject({ status: 'pending', attempts: 0 }); // not burnt on the limit
    expect(fake.requests).toHaveLength(1);

    expect(await s.drainOnce(T0 + 29_999)).toMatchObject({ sent: 0, retried: 0 });
    expect(fake.requests).toHaveLength(1);
    now = T0 + 30_000;
    expect(await s.drainOnce(now)).toMatchObject({ sent: 2 });
    expect(fake.messages).toHaveLength(2);
    expect(await get(first!.id)).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('marks a permanent failure failed at once, and never tries it again', async () => {
    const [e] = await matches(['a'], [{ channel: 'telegram', chatId: '999' }]);
    const s = sender();
    expect(await s.drainOnce(now)).toMatchObject({ failed: 1 });
    expect(await get(e!.id)).toMatchObject({ status: 'failed', attempts: 1 });
    expect((await get(e!.id)).lastError).toContain('chat not found');
    expect(await s.drainOnce(now + 86_400_000)).toMatchObject({ sent: 0, failed: 0, retried: 0 });
    expect(fake.requests).toHaveLength(1);
  });

  it('retries with exponential backoff and gives up after maxAttempts', async () => {
    const [e] = await matches(['a']);
    fake.serverErrorNext(100);
    const s = sender({ maxAttempts: 3 });
    expect(await s.drainOnce(now)).toMatchObject({ retried: 1 });
    expect(await get(e!.id)).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: T0 + 1000 });
    expect(await s.drainOnce(T0 + 999)).toMatchObject({ retried: 0 });
    now = T0 + 1000;
    expect(await s.drainOnce(now)).toMatchObject({ retried: 1 });
    expect(await get(e!.id)).toMatchObject({ attempts: 2, nextAttemptAt: now + 1000 });
    now += 1000;
    expect(await s.drainOnce(now)).toMatchObject({ failed: 1 });
    const failed = await get(e!.id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 3 });
    expect(failed.lastError).toMatch(/^gave up after 3 attempt\(s\); last error: telegram: HTTP 500/);
    expect(fake.requests).toHaveLength(3);
  });

  it('marks failed, naming the cause, an entry whose channel has no notifier', async () => {
    const [e] = await matches(['a'], [{ channel: 'webhook', url: 'http://127.0.0.1:9/x' }]);
    expect(await sender().drainOnce(now)).toMatchObject({ failed: 1 });
    expect((await get(e!.id)).lastError).toBe('no notifier is configured for channel "webhook" (configured: telegram).');
  });

  it('times out a send that gets no answer, and retries it', async () => {
    const [e] = await matches(['a']);
    fake.hangNext(1);
    expect(await sender({ sendTimeoutMs: 100 }).drainOnce(now)).toMatchObject({ retried: 1 });
    expect((await get(e!.id)).lastError).toContain('no answer within 100 ms');
  });

  it('after a crash before any send, delivers everything recorded exactly once', async () => {
    await matches(['a', 'b', 'c']);
    await store.close(); // the process dies: matches and outbox were committed, nothing sent
    store = await openStore({ dataDir });
    expect(await sender().drainOnce(now)).toMatchObject({ sent: 3 });
    await store.close();
    store = await openStore({ dataDir }); // and again: nothing left to send
    expect(await sender().drainOnce(now + 60_000)).toMatchObject({ sent: 0 });
    expect(fake.messages.map((m) => m.text.match(/Lamp (\w)/)![1]).sort()).toEqual(['a', 'b', 'c']);
  });

  it('leaves an entry claimed by a sender that died to its lease, then delivers it once', async () => {
    const [e] = await matches(['a']);
    expect(await store.outbox.claim(e!, now + 45_000)).toBe(true);
    expect(await store.outbox.claim(e!, now + 45_000)).toBe(false); // the claim is a compare-and-set
    const s = sender();
    expect(await s.drainOnce(now)).toMatchObject({ sent: 0 });
    expect(await s.drainOnce(now + 45_000)).toMatchObject({ sent: 1 });
    expect(fake.messages).toHaveLength(1);
  });

  it('keeps the bot token out of the logs and of last_error', async () => {
    const log = captureLogger();
    const [e1, e2] = await matches(['a', 'b']);
    const dead = createTelegramNotifier({ token: TOKEN, apiUrl: `http://127.0.0.1:${await closedPort()}`, defaultChatId: '42' });
    const lastErrors = async () => Promise.all([e1!, e2!].map(async (e) => (await get(e.id)).lastError));
    fake.failNext(2, { kind: 'error', status: 500, description: `boom at /bot${TOKEN}/sendMessage` });
    expect(await sender({ logger: log.logger }).drainOnce(now)).toMatchObject({ retried: 2 });
    const echoed = await lastErrors();
    expect(await sender({ logger: log.logger, notifiers: [dead] }).drainOnce(now + 600_000)).toMatchObject({ retried: 2 });
    const refused = await lastErrors();
    for (const text of [...echoed, ...refused]) {
      expect(text).toBeTruthy();
      expect(text).not.toContain(TOKEN);
    }
    expect(echoed[0]).toContain('boom at /bot****/sendMessage');
    expect(refused[0]).toContain('ECONNREFUSED');
    expect(log.text()).toContain('boom at /bot****');
    expect(log.text()).toContain('ECONNREFUSED');
    expect(log.text()).not.toContain(TOKEN);
  });

  it('sends the same Idempotency-Key on every try to a webhook', async () => {
    const receiver = await WebhookReceiver.start();
    try {
      const [e] = await matches(['a'], [{ channel: 'webhook', url: `${receiver.origin}/hook` }]);
      receiver.answerNext(1, { status: 503, headers: { 'retry-after': '5' } });
      const s = sender({ notifiers: [createWebhookNotifier()] });
      expect(await s.drainOnce(now)).toMatchObject({ retried: 1 });
      expect((await get(e!.id)).nextAttemptAt).toBe(T0 + 5000);
      expect(await s.drainOnce(T0 + 5000)).toMatchObject({ sent: 1 });
      expect(receiver.received.map((r) => r.headers['idempotency-key'])).toEqual([e!.idempotencyKey, e!.idempotencyKey]);
      expect(e!.idempotencyKey).toMatch(/^match:[0-9a-f-]{36}:a:webhook:[0-9a-f]{16}$/);
    } finally {
      await receiver.close();
    }
  });

  describe('running (real clock)', () => {
    it('polls, delivers what gets recorded, and answers a kick without waiting for the next poll', async () => {
      now = Date.now();
      const s = new OutboxSender({ store, notifiers: [telegram()], logger: out.logger, pollIntervalMs: 60_000 });
      senders.push(s);
      await matches(['a']);
      s.start();
      await fake.waitForMessages(1);
      await matches(['b']); // the next poll is a minute away
      s.kick();
      await fake.waitForMessages(2);
      await s.stop();
      expect(fake.messages).toHaveLength(2);
    });

    it('stop() waits for the sends in flight to settle', async () => {
      now = Date.now();
      const [e] = await matches(['a']);
      fake.hangNext(1);
      const s = new OutboxSender({ store, notifiers: [telegram()], logger: out.logger, sendTimeoutMs: 300 });
      senders.push(s);
      s.start();
      await fake.waitForRequests(1);
      await s.stop();
      expect(await get(e!.id)).toMatchObject({ status: 'pending', attempts: 1 });
      expect((await get(e!.id)).lastError).toContain('no answer within 300 ms');
    });
  });

  describe('a send that ends after the sender lost its claim', () => {
    /** A notifier that fails after `during` ran (the clock moves, another sender claims…). */
    const failingAfter = (during: (entry: OutboxEntry) => Promise<void>): Notifier => ({
      channel: 'telegram',
      async send(entry) {
        await during(entry);
        return { ok: false, permanent: false, error: 'telegram: no answer' };
      },
    });

    it('is not retried by it once its lease ended, and leaves the next claim alone', async () => {
      const [e] = await matches(['a']);
      const lease = 5000;
      let nextClaim = 0;
      const s = sender({
        leaseMs: lease,
        notifiers: [failingAfter(async (entry) => {
          // Paused past the lease: another sender claimed the entry meanwhile.
          now = T0 + lease + 1000;
          nextClaim = now + 45_000;
          expect(await store.outbox.claim({ ...entry, nextAttemptAt: T0 + lease }, nextClaim)).toBe(true);
        })],
      });
      expect(await s.drainOnce(T0)).toEqual({ sent: 0, retried: 0, failed: 0, skipped: 1 });
      expect(await get(e!.id)).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: nextClaim, lastError: null });
      expect(out.text()).toContain('not retried here, the current sender owns it');
    });

    it('is not retried by it once it lost the leadership', async () => {
      const [e] = await matches(['a']);
      let leader = true;
      const s = sender({ stillOwner: () => leader, notifiers: [failingAfter(async () => void (leader = false))] });
      expect(await s.drainOnce(T0)).toMatchObject({ retried: 0, failed: 0, skipped: 1 });
      expect(await get(e!.id)).toMatchObject({ status: 'pending', attempts: 0, lastError: null });
    });

    it('is not settled over another sender\'s claim, even inside its own lease', async () => {
      const [e] = await matches(['a']);
      let other = 0;
      const s = sender({
        notifiers: [failingAfter(async (entry) => {
          // A clock skew between two coordinators: the other one thought the lease was over.
          other = T0 + 99_000;
          const leased = (await store.outbox.get(entry.id))!.nextAttemptAt;
          expect(await store.outbox.claim({ ...entry, nextAttemptAt: leased }, other)).toBe(true);
        })],
      });
      expect(await s.drainOnce(T0)).toMatchObject({ retried: 0, skipped: 1 });
      expect(await get(e!.id)).toMatchObject({ attempts: 0, nextAttemptAt: other });
    });
  });
});
