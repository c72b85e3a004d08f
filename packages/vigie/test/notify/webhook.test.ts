import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createWebhookNotifier, signWebhook } from '../../src/notify/webhook.js';
import { clearSecrets } from '../../src/observability/secrets.js';
import { entry, matchPayload, never } from './helpers.js';
import { WebhookReceiver } from './webhook-receiver.js';

const SECRET = 'whsec-webhook-specifics-0123456789';

/** The verification snippet of docs/notifications.md, as a receiver would write it. */
function verify(secret: string, timestamp: string, rawBody: string, header: string | undefined, nowSeconds: number): boolean {
  if (!header?.startsWith('sha256=')) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > 300) return false; // refuse replays
  const expected = createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest();
  const given = Buffer.from(header.slice('sha256='.length), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe('webhook notifier', () => {
  let receiver: WebhookReceiver;
  let url: string;
  const clock = () => 1_700_000_000_123;
  const notifier = createWebhookNotifier({
    resolveSecret: async (name) => (name === 'hook-key' ? SECRET : undefined),
    clock,
  });

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    url = `${receiver.origin}/hook`;
  });
  afterAll(async () => {
    await receiver.close();
    clearSecrets();
  });
  beforeEach(() => {
    receiver.received.length = 0;
  });

  it('POSTs the payload as JSON with a signature that verifies with the secret, and only with it', async () => {
    const e = entry('webhook', { url, secretRef: 'hook-key' });
    expect(await notifier.send(e, never())).toEqual({ ok: true });
    const [req] = receiver.received;
    expect(req!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req!.raw)).toEqual(matchPayload());
    const ts = req!.headers['x-vigie-timestamp'] as string;
    expect(ts).toBe('1700000000');
    const sig = req!.headers['x-vigie-signature'] as string;
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(sig).toBe(signWebhook(SECRET, ts, req!.raw));
    expect(verify(SECRET, ts, req!.raw, sig, 1_700_000_010)).toBe(true);
    expect(verify('another-secret', ts, req!.raw, sig, 1_700_000_010)).toBe(false);
    expect(verify(SECRET, ts, req!.raw.replace('25.5', '2.55'), sig, 1_700_000_010)).toBe(false);
    expect(verify(SECRET, String(Number(ts) + 1), req!.raw, sig, 1_700_000_010)).toBe(false);
  });

  it('sends no signature without a secretRef, and retries (naming the credential) when the credential is missing', async () => {
    expect(await notifier.send(entry('webhook', { url }), never())).toEqual({ ok: true });
    expect(receiver.received[0]!.headers['x-vigie-signature']).toBeUndefined();
    expect(receiver.received[0]!.headers['x-vigie-timestamp']).toBe('1700000000');

    const r = await notifier.send(entry('webhook', { url, secretRef: 'missing-key' }), never());
    expect(r).toMatchObject({ ok: false, permanent: false });
    expect(!r.ok && r.error).toContain('vigie credentials set missing-key');
    expect(receiver.received).toHaveLength(1); // nothing unsigned went out
  });

  it('sends the entry\'s idempotency key, the same on every try', async () => {
    const e = entry('webhook', { url, secretRef: 'hook-key' });
    receiver.answerNext(1, { status: 503 });
    expect(await notifier.send(e, never())).toMatchObject({ ok: false, permanent: false });
    expect(await notifier.send({ ...e, attempts: 1 }, never())).toEqual({ ok: true });
    const keys = receiver.received.map((r) => r.headers['idempotency-key']);
    expect(keys).toEqual([e.idempotencyKey, e.idempotencyKey]);
    expect(receiver.received[0]!.raw).toBe(receiver.received[1]!.raw);
  });

  it('honours Retry-After on 429 and 503, in seconds or as a date; 408 is retried too', async () => {
    const e = entry('webhook', { url });
    receiver.answerNext(1, { status: 429, headers: { 'retry-after': '120' } });
    expect(await notifier.send(e, never())).toMatchObject({ ok: false, permanent: false, retryAfterMs: 120_000 });
    receiver.answerNext(1, { status: 503, headers: { 'retry-after': new Date(clock() + 30_000).toUTCString() } });
    const r = await notifier.send(e, never());
    expect(r.ok === false && r.retryAfterMs).toBeGreaterThanOrEqual(29_000);
    expect(r.ok === false && r.retryAfterMs).toBeLessThanOrEqual(30_000);
    receiver.answerNext(1, { status: 408 });
    expect(await notifier.send(e, never())).toMatchObject({ ok: false, permanent: false });
    receiver.answerNext(1, { status: 422 });
    expect(await notifier.send(e, never())).toMatchObject({ ok: false, permanent: true });
  });

  it('ignores a garbage Retry-After (the backoff applies) rather than retrying at once', async () => {
    const e = entry('webhook', { url });
    for (const garbage of ['-5', 'soon', '1e3', '']) {
      receiver.answerNext(1, { status: 503, headers: { 'retry-after': garbage } });
      const r = await notifier.send(e, never());
      expect(r).toMatchObject({ ok: false, permanent: false });
      expect(r.ok === false && r.retryAfterMs, garbage).toBeUndefined();
    }
  });

  it('names only the receiver\'s origin in errors: its path and query may hold a token', async () => {
    const secretUrl = `${receiver.origin}/services/T000/B000/XXXXsecretpathXXXX?token=querysecret123`;
    receiver.answerNext(1, { status: 500, body: `no route for /services/T000/B000/XXXXsecretpathXXXX?token=querysecret123` });
    const r = await notifier.send(entry('webhook', { url: secretUrl }), never());
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toContain(receiver.origin);
    expect(r.error).toContain('HTTP 500');
    expect(r.error).not.toContain('XXXXsecretpathXXXX');
    expect(r.error).not.toContain('querysecret123');
  });
});
