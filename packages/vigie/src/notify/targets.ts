import { createHash } from 'node:crypto';
import { isObject } from './types.js';

/**
 * A stable name for "where this goes": `telegram:<chatId|default>`, `webhook:<url>`, `log`, or
 * the channel with its target's canonical JSON. Two targets with the same key reach the same
 * receiver, so a match is queued once for them.
 */
export function targetKey(channel: string, target: unknown): string {
  const t = isObject(target) ? target : {};
  if (channel === 'telegram') return `telegram:${typeof t.chatId === 'string' && t.chatId ? t.chatId : 'default'}`;
  if (channel === 'webhook') return `webhook:${typeof t.url === 'string' ? t.url : ''}`;
  if (channel === 'log') return 'log';
  return `${channel}:${canonicalJson(t)}`;
}

/**
 * The outbox idempotency key of one match for one target: `match:<alertId>:<itemId>:<channel>:<hash>`.
 * Deterministic, so a retried or re-dispatched batch never queues twice; ids are URI-encoded
 * (no `:` inside a part) and the target is hashed, so a webhook URL with a token in it never
 * shows up in the key (which webhook receivers get as `Idempotency-Key`).
 */
export function matchIdempotencyKey(alertId: string, itemId: string, channel: string, target: unknown): string {
  const hash = createHash('sha256').update(targetKey(channel, target)).digest('hex').slice(0, 16);
  return `match:${encodeURIComponent(alertId)}:${encodeURIComponent(itemId)}:${encodeURIComponent(channel)}:${hash}`;
}

/** JSON with object keys sorted, so that equal targets give equal text. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
