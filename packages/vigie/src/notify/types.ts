import type { Item } from '../wire/check-alerts.js';
import type { OutboxEntry } from '../store/index.js';

/**
 * What one delivery try gave. `permanent` failures are never retried (a bad chat, a refused
 * token, a 4xx); the others are tried again later, after `retryAfterMs` when the receiver said
 * how long to wait. `error` is stored in the outbox and logged: it never holds a secret.
 */
export type SendResult = { ok: true } | { ok: false; retryAfterMs?: number; permanent: boolean; error: string };

/** Delivers outbox entries of one channel (`telegram`, `webhook`, `log`). */
export interface Notifier {
  /** The outbox `channel` this notifier serves. */
  readonly channel: string;
  /** Tries to deliver `entry` once; resolves (never rejects) with the outcome; gives up when `signal` aborts. */
  send(entry: OutboxEntry, signal: AbortSignal): Promise<SendResult>;
}

/** A Telegram chat; without `chatId`, the configured TELEGRAM_CHAT_ID at send time. */
export interface TelegramTarget {
  channel: 'telegram';
  chatId?: string;
}

/** An HTTP endpoint; `secretRef` names the credential (in the store) holding the HMAC key. */
export interface WebhookTarget {
  channel: 'webhook';
  url: string;
  secretRef?: string;
}

/** Only logs the match (demos, tests). */
export interface LogTarget {
  channel: 'log';
}

/** Every target Vigie ships a notifier for. */
export type KnownTarget = TelegramTarget | WebhookTarget | LogTarget;

/**
 * What the outbox holds for a match: enough to render the message with nothing else to read
 * (the alert may be renamed or deleted before the notification goes out).
 */
export interface MatchPayload {
  event: 'match';
  matchId: string;
  alert: { id: string; name: string };
  item: Item;
  /** When the coordinator recorded the match (epoch ms). */
  foundAt: number;
}

/** A delivered try. */
export const delivered: SendResult = { ok: true };

/** A failure worth another try later. */
export function retryable(error: string, retryAfterMs?: number): SendResult {
  return retryAfterMs !== undefined && Number.isFinite(retryAfterMs)
    ? { ok: false, permanent: false, error, retryAfterMs: Math.max(0, retryAfterMs) }
    : { ok: false, permanent: false, error };
}

/** A failure that another try would not fix. */
export function permanent(error: string): SendResult {
  return { ok: false, permanent: true, error };
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The entry's payload as a match notification, or undefined when it is not one. */
export function readMatchPayload(payload: unknown): MatchPayload | undefined {
  if (!isObject(payload) || payload.event !== 'match') return undefined;
  const { alert, item } = payload;
  if (!isObject(alert) || !isObject(item) || typeof payload.matchId !== 'string') return undefined;
  if (typeof alert.id !== 'string' || typeof item.id !== 'string' || typeof item.title !== 'string') return undefined;
  return {
    event: 'match',
    matchId: payload.matchId,
    alert: { id: alert.id, name: str(alert.name) ?? alert.id },
    item: {
      id: item.id,
      title: item.title,
      price: typeof item.price === 'number' && Number.isFinite(item.price) ? item.price : null,
      currency: str(item.currency),
      url: str(item.url),
      condition: str(item.condition),
      brand: str(item.brand),
      photo: str(item.photo),
    },
    foundAt: typeof payload.foundAt === 'number' ? payload.foundAt : 0,
  };
}

/** True for a plain JSON object. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** "12.50 EUR", "12 EUR", "12.50", or undefined without a price. */
export function formatPrice(price: number | null, currency: string | null): string | undefined {
  if (price === null) return undefined;
  const amount = Number.isInteger(price) ? String(price) : price.toFixed(2);
  return currency ? `${amount} ${currency}` : amount;
}
