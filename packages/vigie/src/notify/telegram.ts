import { registerSecret, scrub } from '../observability/secrets.js';
import type { OutboxEntry } from '../store/index.js';
import { parseRetryAfter } from '@vigie/client';
import { describeFetchError } from './http.js';
import {
  delivered,
  describeFailover,
  formatPrice,
  isObject,
  permanent,
  readFailoverPayload,
  readMatchPayload,
  readStandbyPayload,
  retryable,
  standbyLines,
  type FailoverPayload,
  type MatchPayload,
  type Notifier,
  type SendResult,
  type StandbyPayload,
} from './types.js';

export interface TelegramNotifierOptions {
  /** TELEGRAM_BOT_TOKEN. Registered as a secret: scrubbed from every log line. */
  token: string;
  /** TELEGRAM_CHAT_ID: the chat of targets without their own `chatId`. */
  defaultChatId?: string;
  /** TELEGRAM_API_URL; default https://api.telegram.org. */
  apiUrl?: string;
  /** For tests; default the global fetch. */
  fetch?: typeof fetch;
  /** For Retry-After dates; default Date.now. */
  clock?: () => number;
}

/** What `sendMessage` gets besides the chat. */
export interface TelegramMessage {
  text: string;
  parse_mode: 'HTML';
  link_preview_options: { is_disabled: true } | { url: string; prefer_large_media?: boolean };
}

/** Telegram's error answer (https://core.telegram.org/bots/api#making-requests). */
interface TelegramAnswer {
  ok?: boolean;
  description?: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

// Telegram refuses texts over 4096 characters; long titles are cut well before that.
const MAX_TITLE = 300;
const MAX_NAME = 120;

/**
 * Sends matches with the Bot API's `sendMessage` (HTML). Verdicts: `ok: true` → delivered;
 * 429 → retry after `parameters.retry_after`; 400 (bad chat, bad text), 401, 403, 404 and other
 * 4xx → permanent; 5xx, 408, network errors, timeouts → retry. The token is part of the URL,
 * so no error text is ever built from the URL or the request.
 */
export function createTelegramNotifier(opts: TelegramNotifierOptions): Notifier {
  const token = opts.token;
  registerSecret(token);
  const base = (opts.apiUrl ?? 'https://api.telegram.org').replace(/\/+$/, '');
  const doFetch = opts.fetch ?? fetch;
  const clock = opts.clock ?? Date.now;
  const clean = (text: string) => scrub(text, [token, encodeURIComponent(token)]);
  const fail = (verdict: (e: string, ms?: number) => SendResult, text: string, ms?: number) => verdict(clean(`telegram: ${text}`), ms);

  return {
    channel: 'telegram',
    async send(entry: OutboxEntry, signal: AbortSignal): Promise<SendResult> {
      const match = readMatchPayload(entry.payload);
      const standby = match ? undefined : readStandbyPayload(entry.payload);
      const failover = match || standby ? undefined : readFailoverPayload(entry.payload);
      const message = match ? renderTelegramMessage(match) : standby ? renderTelegramStandbyMessage(standby) : failover ? renderFailoverMessage(failover) : undefined;
      if (!message) return fail(permanent, 'the outbox entry holds no match, standby event or failover to send');
      const target = isObject(entry.target) ? entry.target : {};
      const chatId = typeof target.chatId === 'string' && target.chatId ? target.chatId : opts.defaultChatId;
      if (!chatId) return fail(permanent, 'no chat to send to: set TELEGRAM_CHAT_ID, or give the alert\'s telegram target a chatId');

      let res: Response;
      try {
        res = await doFetch(`${base}/bot${token}/sendMessage`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ chat_id: chatId, ...message }),
          signal,
          // A redirect would carry the token to wherever it points.
          redirect: 'manual',
        });
      } catch (err) {
        return fail(retryable, describeFetchError(err, signal));
      }
      let answer: TelegramAnswer = {};
      try {
        const body: unknown = await res.json();
        if (isObject(body)) answer = body as TelegramAnswer;
      } catch {
        // Not JSON (a proxy's error page): the status decides alone.
      }
      if (res.ok && answer.ok === true) return delivered;

      const what = `HTTP ${res.status}${answer.description ? `: ${answer.description.slice(0, 300)}` : ''}`;
      if (res.status === 429) {
        const seconds = answer.parameters?.retry_after;
        const ms = typeof seconds === 'number' && seconds >= 0 ? seconds * 1000 : parseRetryAfter(res.headers.get('retry-after'), clock());
        return fail(retryable, `rate limited (${what})`, ms);
      }
      if (res.status === 400 && answer.parameters?.migrate_to_chat_id !== undefined) {
        return fail(permanent, `${what}; the group became a supergroup: use chat id ${answer.parameters.migrate_to_chat_id}`);
      }
      if (res.status === 401 || res.status === 404) return fail(permanent, `${what}; check TELEGRAM_BOT_TOKEN and TELEGRAM_API_URL`);
      if (res.status === 403) return fail(permanent, `${what}; the bot cannot write to chat ${chatId} (blocked, or not a member)`);
      if (res.status === 408 || res.status >= 500) return fail(retryable, what);
      if (res.ok) return fail(retryable, `unexpected answer (${what}, ok is not true)`);
      return fail(permanent, what);
    },
  };
}

/** Escapes text for Telegram's HTML parse mode (and for attribute values). */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The message for a match: alert name, linked title, price, condition, brand. */
export function renderTelegramMessage(p: MatchPayload): TelegramMessage {
  const { item } = p;
  const title = escapeHtml(cut(item.title || '(untitled)', MAX_TITLE));
  const url = httpUrl(item.url);
  const lines = [`🔔 <b>${escapeHtml(cut(p.alert.name, MAX_NAME))}</b>`, url ? `<a href="${escapeHtml(url)}">${title}</a>` : title];
  const price = formatPrice(item.price, item.currency);
  if (price) lines.push(`💰 ${escapeHtml(cut(price, 60))}`);
  if (item.condition) lines.push(`Condition: ${escapeHtml(cut(item.condition, 60))}`);
  if (item.brand) lines.push(`Brand: ${escapeHtml(cut(item.brand, 60))}`);
  const photo = httpUrl(item.photo);
  const preview = photo ? { url: photo, prefer_large_media: true } : url ? { url } : ({ is_disabled: true } as const);
  return { text: lines.join('\n'), parse_mode: 'HTML', link_preview_options: preview };
}

/** The message for a failover step or an exhausted ladder. */
export function renderFailoverMessage(p: FailoverPayload): TelegramMessage {
  const icon = p.kind === 'exhausted' ? '🚨' : p.ok ? '🛠' : '⚠️';
  return { text: `${icon} ${escapeHtml(cut(describeFailover(p), 3000))}`, parse_mode: 'HTML', link_preview_options: { is_disabled: true } };
}

/** The message for a primary/standby transition. */
export function renderTelegramStandbyMessage(p: StandbyPayload): TelegramMessage {
  const { title, lines } = standbyLines(p);
  return { text: [`<b>${escapeHtml(title)}</b>`, ...lines.map(escapeHtml)].join('\n'), parse_mode: 'HTML', link_preview_options: { is_disabled: true } };
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Only http(s) links are rendered (Telegram would refuse the message over a `javascript:` one). */
function httpUrl(u: string | null): string | undefined {
  if (!u || u.length > 2000) return undefined;
  try {
    const parsed = new URL(u);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? u : undefined;
  } catch {
    return undefined;
  }
}
