import type { Logger } from '../observability/logger.js';
import type { Store } from '../store/index.js';
import { createLogNotifier } from './log.js';
import { createTelegramNotifier } from './telegram.js';
import type { Notifier } from './types.js';
import { createWebhookNotifier } from './webhook.js';

export * from './types.js';
export { retryDelayMs, type BackoffOptions } from './backoff.js';
export { createLogNotifier } from './log.js';
export { OutboxSender, type DrainResult, type OutboxSenderOptions } from './outbox-sender.js';
export { matchIdempotencyKey, targetKey } from './targets.js';
export { createTelegramNotifier, escapeHtml, renderTelegramMessage, renderTelegramStandbyMessage, type TelegramNotifierOptions } from './telegram.js';
export { createWebhookNotifier, signWebhook, WEBHOOK_HEADERS, type WebhookNotifierOptions } from './webhook.js';

export interface NotifiersConfig {
  store: Pick<Store, 'credentials'>;
  logger: Logger;
  /** TELEGRAM_BOT_TOKEN, TELEGRAM_CHAT_ID, TELEGRAM_API_URL; without a token there is no telegram notifier. */
  telegram?: { token?: string; chatId?: string; apiUrl?: string };
}

/** The notifiers a coordinator runs: log and webhook always, telegram when a bot token is set. */
export function createNotifiers(cfg: NotifiersConfig): Notifier[] {
  const notifiers: Notifier[] = [
    createLogNotifier(cfg.logger),
    createWebhookNotifier({ resolveSecret: async (name) => (await cfg.store.credentials.get(name))?.value }),
  ];
  const t = cfg.telegram;
  if (t?.token) notifiers.push(createTelegramNotifier({ token: t.token, defaultChatId: t.chatId, apiUrl: t.apiUrl }));
  return notifiers;
}
