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

/**
 * What the outbox holds for a failover: a step the ladder took (healed or not), or a ladder with
 * nothing left to try. Sent to `log` always and to Telegram when TELEGRAM_CHAT_ID is set
 * (remediation/notify.ts); a webhook target gets this JSON as is.
 */
export interface FailoverPayload {
  event: 'failover';
  kind: 'step' | 'exhausted';
  workerId: string;
  workerName: string;
  /** restart | region | app; null for `exhausted`. */
  step: string | null;
  fromValue: string | null;
  toValue: string | null;
  /** The worker takes work again (its canary passed). */
  ok: boolean;
  reason: string;
  error: string | null;
  at: number;
}

/** The entry's payload as a failover notification, or undefined when it is not one. */
export function readFailoverPayload(payload: unknown): FailoverPayload | undefined {
  if (!isObject(payload) || payload.event !== 'failover') return undefined;
  if ((payload.kind !== 'step' && payload.kind !== 'exhausted') || typeof payload.workerId !== 'string') return undefined;
  return {
    event: 'failover',
    kind: payload.kind,
    workerId: payload.workerId,
    workerName: str(payload.workerName) ?? payload.workerId,
    step: str(payload.step),
    fromValue: str(payload.fromValue),
    toValue: str(payload.toValue),
    ok: payload.ok === true,
    reason: str(payload.reason) ?? '',
    error: str(payload.error),
    at: typeof payload.at === 'number' ? payload.at : 0,
  };
}

/** One line for people: "Failover region on Worker 1: http://a → http://b: healed (3 upstream 403s in a row)". */
export function describeFailover(p: FailoverPayload): string {
  if (p.kind === 'exhausted') {
    return `Failover exhausted for ${p.workerName} (${p.workerId}): every step was tried and it is still blocked; it stays banned. ${p.reason}`;
  }
  const move = p.fromValue && p.toValue && p.fromValue !== p.toValue ? `${p.fromValue} → ${p.toValue}` : (p.toValue ?? p.fromValue ?? '');
  const outcome = p.ok ? 'healed, takes work again' : `not healed: ${p.error ?? 'unknown error'}`;
  return `Failover ${p.step ?? '?'} on ${p.workerName} (${p.workerId})${move ? ` ${move}` : ''}: ${outcome} (${p.reason})`;
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

/**
 * What the outbox holds for a primary/standby transition (`vigie standby`): enough to say what
 * happened with nothing else to read.
 */
export interface StandbyPayload {
  event: 'standby';
  /** `failover`: the standby took over; `failback`: the primary is back and the standby stopped. */
  kind: 'failover' | 'failback';
  /** The failover's id (`fo-<epoch ms>`), shared by its fail-back. */
  id: string;
  /** `primary-down`, `primary-recovered` or `manual`. */
  reason: string;
  /** The state copy's outcome; null when no STATE_DIR is set. */
  syncOk: boolean | null;
  /** Failover: the standby answered healthy in time; null when not checked (no FLY_HEALTH_URL) or on fail-back. */
  ready: boolean | null;
  /** `local` or `fly`. */
  provider: string;
  /** The standby's pid or machine id. */
  machine: string | null;
  at: number;
}

/** The entry's payload as a standby event, or undefined when it is not one. */
export function readStandbyPayload(payload: unknown): StandbyPayload | undefined {
  if (!isObject(payload) || payload.event !== 'standby') return undefined;
  if ((payload.kind !== 'failover' && payload.kind !== 'failback') || typeof payload.id !== 'string') return undefined;
  const tri = (v: unknown) => (typeof v === 'boolean' ? v : null);
  return {
    event: 'standby',
    kind: payload.kind,
    id: payload.id,
    reason: str(payload.reason) ?? 'unknown',
    syncOk: tri(payload.syncOk),
    ready: tri(payload.ready),
    provider: str(payload.provider) ?? 'unknown',
    machine: str(payload.machine),
    at: typeof payload.at === 'number' ? payload.at : 0,
  };
}

/** The lines of a standby notification (plain text; channels escape it as they need). */
export function standbyLines(p: StandbyPayload): { title: string; lines: string[] } {
  const machine = p.machine ? ` (${p.provider} ${p.machine})` : ` (${p.provider})`;
  if (p.kind === 'failover') {
    const lines = [
      p.reason === 'manual' ? 'Activated by hand (vigie standby activate).' : 'The primary failed its health checks.',
      `Standby started${machine}.`,
    ];
    if (p.syncOk === false) lines.push('⚠️ State sync FAILED: the standby starts from the last good copy.');
    if (p.syncOk === true) lines.push('State synced to the remote.');
    if (p.ready === false) lines.push('⚠️ The standby did not answer healthy in time: check it.');
    if (p.ready === true) lines.push('The standby answers healthy.');
    return { title: '🚨 Failover: the standby is active', lines };
  }
  const lines = [
    p.reason === 'manual' ? 'Deactivated by hand (vigie standby deactivate).' : 'The primary is healthy again.',
    `Standby stopped${machine}.`,
  ];
  if (p.syncOk === false) lines.push('⚠️ Copying the state back FAILED: the primary runs on its own state.');
  if (p.syncOk === true) lines.push('State copied back to the primary.');
  return { title: '✅ Fail-back: the primary is active', lines };
}
