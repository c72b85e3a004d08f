import type { VigieConfig } from '../config/load.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from '../store/index.js';
import { createNotifiers } from './index.js';
import { OutboxSender, type OutboxSenderOptions } from './outbox-sender.js';

/** The outbox sender the settings describe: Telegram (when a token is set), webhooks and log, NOTIFY_* knobs. */
export function outboxSenderFor(config: VigieConfig, store: Store, logger: Logger, extra: Pick<OutboxSenderOptions, 'onOutcome' | 'stillOwner'> = {}): OutboxSender {
  return new OutboxSender({
    store,
    notifiers: createNotifiers({ store, logger, telegram: { token: config.telegramBotToken, chatId: config.telegramChatId, apiUrl: config.telegramApiUrl } }),
    logger,
    pollIntervalMs: config.notifyPollIntervalMs,
    sendTimeoutMs: config.notifySendTimeoutMs,
    maxAttempts: config.notifyMaxAttempts,
    concurrency: config.notifyConcurrency,
    ...extra,
  });
}
