// One conformance suite for every notifier: telegram (against the local fake Bot API), webhook
// (against a local receiver), log. Each harness says what its notifier can meet (a server
// error, a network error, a hang) and how to provoke each permanent failure it knows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { itWhen } from '../helpers/conditional.js';
import { createLogNotifier } from '../../src/notify/log.js';
import { createTelegramNotifier } from '../../src/notify/telegram.js';
import type { Notifier, SendResult } from '../../src/notify/types.js';
import { createWebhookNotifier } from '../../src/notify/webhook.js';
import type { OutboxEntry } from '../../src/store/index.js';
import { FakeTelegram } from './fake-telegram.js';
import { captureLogger, entry, never } from './helpers.js';
import { closedPort, WebhookReceiver } from './webhook-receiver.js';

interface Harness {
  notifier: Notifier;
  /** An entry the notifier can deliver. */
  good(): OutboxEntry;
  /** Deliveries the receiving end has seen so far. */
  deliveries(): number;
  /** Texts that must never appear in an error. */
  secrets: string[];
  /** Arranges the named permanent failure; returns the entry (and notifier) to send. */
  permanent(name: string): { notifier?: Notifier; entry: OutboxEntry };
  /** The next send meets a 5xx. */
  serverError?(): void;
  /** A notifier and entry whose receiver does not listen. */
  unreachable?(): Promise<{ notifier: Notifier; entry: OutboxEntry }>;
  /** The next send gets no answer; resolves once the receiver holds the request. */
  hang?(): { received: Promise<void> };
  close(): Promise<void>;
}

interface HarnessFactory {
  name: string;
  channel: string;
  /** Whether the notifier talks to a server (server errors, network errors, hangs apply). */
  network: boolean;
  permanentCases: string[];
  make(): Promise<Harness>;
}

const TOKEN = 'TEST-TOKEN-123456:conformance-aaaa';
const WRONG_TOKEN = 'WRONG-TOKEN-654321:conformance-bbbb';

const telegram: HarnessFactory = {
  name: 'telegram',
  channel: 'telegram',
  network: true,
  permanentCases: ['chat not found (400)', 'token refused (401)', 'bot blocked (403)', 'no chat configured'],
  async make() {
    const fake = await FakeTelegram.start({ token: TOKEN, chats: ['42', '43'] });
    const notifier = createTelegramNotifier({ token: TOKEN, apiUrl: fake.url, defaultChatId: '42' });
    return {
      notifier,
      good: () => entry('telegram', {}),
      deliveries: () => fake.messages.length,
      secrets: [TOKEN, WRONG_TOKEN],
      permanent(name) {
        switch (name) {
          case 'chat not found (400)':
            return { entry: entry('telegram', { chatId: '999' }) };
          case 'token refused (401)':
            return { notifier: createTelegramNotifier({ token: WRONG_TOKEN, apiUrl: fake.url, defaultChatId: '42' }), entry: entry('telegram', {}) };
          case 'bot blocked (403)':
            fake.failNext(1, { kind: 'error', status: 403, description: 'Forbidden: bot was blocked by the user' });
            return { entry: entry('telegram', { chatId: '43' }) };
          default:
            return { notifier: createTelegramNotifier({ token: TOKEN, apiUrl: fake.url }), entry: entry('telegram', {}) };
        }
      },
      serverError: () => fake.serverErrorNext(1),
      unreachable: async () => ({
        notifier: createTelegramNotifier({ token: TOKEN, apiUrl: `http://127.0.0.1:${await closedPort()}`, defaultChatId: '42' }),
        entry: entry('telegram', {}),
      }),
      hang() {
        const n = fake.requests.length;
        fake.hangNext(1);
        return { received: fake.waitForRequests(n + 1) };
      },
      close: () => fake.close(),
    };
  },
};

const HOOK_SECRET = 'whsec-conformance-0123456789';
const PATH_TOKEN = 'T0KEN-in-the-path-42';

const webhook: HarnessFactory = {
  name: 'webhook',
  channel: 'webhook',
  network: true,
  permanentCases: ['bad request (400)', 'not found (404)', 'gone (410)', 'redirect (302)', 'invalid url'],
  async make() {
    const receiver = await WebhookReceiver.start();
    const url = `${receiver.origin}/hooks/${PATH_TOKEN}?k=${PATH_TOKEN}`;
    const notifier = createWebhookNotifier({ resolveSecret: async (n) => (n === 'hook-key' ? HOOK_SECRET : undefined) });
    // Receivers may echo what they got: the error text must still hold no secret.
    const echo = `refused ${url} signed with ${HOOK_SECRET}`;
    const good = () => entry('webhook', { url, secretRef: 'hook-key' });
    return {
      notifier,
      good,
      deliveries: () => receiver.accepted().length,
      secrets: [HOOK_SECRET, PATH_TOKEN],
      permanent(name) {
        const status = { 'bad request (400)': 400, 'not found (404)': 404, 'gone (410)': 410, 'redirect (302)': 302 }[name];
        if (status === undefined) return { entry: entry('webhook', { url: 'ftp://127.0.0.1/x' }) };
        receiver.answerNext(1, { status, body: echo, headers: status === 302 ? { location: `${url}/moved` } : {} });
        return { entry: good() };
      },
      serverError: () => receiver.answerNext(1, { status: 500, body: echo }),
      unreachable: async () => ({ notifier, entry: entry('webhook', { url: `http://127.0.0.1:${await closedPort()}/hooks/${PATH_TOKEN}`, secretRef: 'hook-key' }) }),
      hang() {
        const n = receiver.received.length;
        receiver.answerNext(1, { hang: true });
        return { received: receiver.waitForRequests(n + 1) };
      },
      close: () => receiver.close(),
    };
  },
};

const log: HarnessFactory = {
  name: 'log',
  channel: 'log',
  network: false,
  permanentCases: [],
  async make() {
    const out = captureLogger();
    return {
      notifier: createLogNotifier(out.logger),
      good: () => entry('log', {}),
      deliveries: () => out.lines().filter((l) => l.matchId === 'm-1').length,
      secrets: [],
      permanent: () => {
        throw new Error('log has no permanent case of its own');
      },
      close: async () => undefined,
    };
  },
};

describe.each([telegram, webhook, log].map((f) => [f.name, f] as const))('notifier conformance: %s', (_name, factory) => {
  let h: Harness;
  beforeAll(async () => {
    h = await factory.make();
  });
  afterAll(async () => {
    await h?.close();
  });

  /** Asserts a failure of the given kind whose text names no secret. */
  function expectFailure(r: SendResult, kind: 'permanent' | 'retryable'): void {
    expect(r.ok, `expected a failure, got ${JSON.stringify(r)}`).toBe(false);
    if (r.ok) return;
    expect(r.permanent, r.error).toBe(kind === 'permanent');
    expect(r.error.length).toBeGreaterThan(0);
    expect(r.error.startsWith(factory.channel), r.error).toBe(true);
    for (const s of h.secrets) expect(r.error).not.toContain(s);
  }

  it('serves its channel', () => {
    expect(h.notifier.channel).toBe(factory.channel);
  });

  it('delivers a match: ok, and the receiving end got exactly one', async () => {
    const before = h.deliveries();
    expect(await h.notifier.send(h.good(), never())).toEqual({ ok: true });
    expect(h.deliveries()).toBe(before + 1);
  });

  it('fails for good, without delivering, when the entry holds no payload', async () => {
    const before = h.deliveries();
    expectFailure(await h.notifier.send({ ...h.good(), payload: null }, never()), 'permanent');
    expect(h.deliveries()).toBe(before);
  });

  itWhen(factory.network)('answers retryable to a server error, then delivers on the next try', async () => {
    const before = h.deliveries();
    h.serverError!();
    expectFailure(await h.notifier.send(h.good(), never()), 'retryable');
    expect(h.deliveries()).toBe(before);
    expect(await h.notifier.send(h.good(), never())).toEqual({ ok: true });
  });

  itWhen(factory.network)('answers retryable when the receiver does not listen', async () => {
    const { notifier, entry: e } = await h.unreachable!();
    expectFailure(await notifier.send(e, never()), 'retryable');
  });

  itWhen(factory.network)('gives up when its signal aborts, as a retryable failure', async () => {
    const controller = new AbortController();
    const { received } = h.hang!();
    const sending = h.notifier.send(h.good(), controller.signal);
    await received;
    controller.abort(new Error('send timeout'));
    expectFailure(await sending, 'retryable');
  });

  it.skipIf(factory.permanentCases.length === 0).each(factory.permanentCases)('fails for good: %s', async (name) => {
    const before = h.deliveries();
    const { notifier, entry: e } = h.permanent(name);
    expectFailure(await (notifier ?? h.notifier).send(e, never()), 'permanent');
    expect(h.deliveries()).toBe(before);
  });
});
