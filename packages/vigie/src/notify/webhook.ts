import { createHmac } from 'node:crypto';
import { registerSecret, scrub } from '../observability/secrets.js';
import type { OutboxEntry } from '../store/index.js';
import { parseRetryAfter } from '@vigie/client';
import { bodySnippet, describeFetchError } from './http.js';
import { delivered, isObject, permanent, retryable, type Notifier, type SendResult } from './types.js';

export interface WebhookNotifierOptions {
  /** Reads the HMAC key a target's `secretRef` names, e.g. `(name) => store.credentials.get(name).then((c) => c?.value)`. */
  resolveSecret?: (name: string) => Promise<string | undefined>;
  /** For tests; default the global fetch. */
  fetch?: typeof fetch;
  /** Timestamp source (epoch ms); default Date.now. */
  clock?: () => number;
}

/** Header names of a webhook delivery. */
export const WEBHOOK_HEADERS = {
  idempotencyKey: 'Idempotency-Key',
  timestamp: 'X-Vigie-Timestamp',
  signature: 'X-Vigie-Signature',
} as const;

/**
 * `sha256=<hex>`: HMAC-SHA256, keyed with the secret, over `<timestamp>.<body>` (the timestamp
 * header, a dot, the raw body bytes). Signing the timestamp lets receivers refuse replays.
 */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * POSTs the entry's payload as JSON, with `Idempotency-Key` (the outbox key: the same on every
 * try, so receivers drop repeats), `X-Vigie-Timestamp` (unix seconds) and, when the target names
 * a secret, `X-Vigie-Signature`. 2xx → delivered; 408, 429, 5xx, network errors → retry
 * (`Retry-After` honoured); other 3xx/4xx → permanent. Error texts name the receiver's origin
 * only: a URL's path or query may hold a token.
 */
export function createWebhookNotifier(opts: WebhookNotifierOptions = {}): Notifier {
  const doFetch = opts.fetch ?? fetch;
  const clock = opts.clock ?? Date.now;

  return {
    channel: 'webhook',
    async send(entry: OutboxEntry, signal: AbortSignal): Promise<SendResult> {
      const target = isObject(entry.target) ? entry.target : {};
      const url = parseUrl(target.url);
      if (!url) return permanent('webhook: the target has no valid http(s) url');
      const where = `webhook ${url.origin}`;
      // Path and query may hold a token (many chat webhooks are built that way); short ones are too common to strip.
      const secrets: Array<string | undefined> = [url.href, url.pathname.length >= 8 ? url.pathname : undefined, url.search.length >= 8 ? url.search : undefined];
      const clean = (text: string) => scrub(text, secrets);
      if (!isObject(entry.payload)) return permanent(`${where}: the outbox entry holds no JSON object to send`);

      let secret: string | undefined;
      if (typeof target.secretRef === 'string' && target.secretRef) {
        secret = await opts.resolveSecret?.(target.secretRef);
        // Retried, not failed: the operator may well set the credential in the next minutes.
        if (!secret) return retryable(`${where}: no credential "${target.secretRef}" for the signature; set it with \`vigie credentials set ${target.secretRef}\``);
        registerSecret(secret);
        secrets.push(secret);
      }

      const body = JSON.stringify(entry.payload);
      const timestamp = String(Math.floor(clock() / 1000));
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': 'vigie-webhook/1',
        [WEBHOOK_HEADERS.idempotencyKey]: entry.idempotencyKey,
        [WEBHOOK_HEADERS.timestamp]: timestamp,
      };
      if (secret) headers[WEBHOOK_HEADERS.signature] = signWebhook(secret, timestamp, body);

      let res: Response;
      try {
        res = await doFetch(url, { method: 'POST', headers, body, signal, redirect: 'manual' });
      } catch (err) {
        return retryable(clean(`${where}: ${describeFetchError(err, signal)}`));
      }
      if (res.status >= 200 && res.status < 300) {
        await res.body?.cancel().catch(() => undefined);
        return delivered;
      }
      const snippet = await bodySnippet(res);
      const what = clean(`${where}: HTTP ${res.status}${snippet ? `: ${snippet}` : ''}`);
      if (res.status === 408 || res.status === 429 || res.status >= 500) {
        return retryable(what, parseRetryAfter(res.headers.get('retry-after'), clock()));
      }
      if (res.status >= 300 && res.status < 400) return permanent(`${what} (redirects are not followed: point the target at the final URL)`);
      return permanent(what);
    },
  };
}

function parseUrl(u: unknown): URL | undefined {
  if (typeof u !== 'string') return undefined;
  try {
    const url = new URL(u);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}
