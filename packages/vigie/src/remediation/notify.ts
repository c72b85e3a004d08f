import type { FailoverPayload } from '../notify/types.js';
import type { Repos } from '../store/index.js';

/** Where failover notifications go: the log always; Telegram when a bot token and TELEGRAM_CHAT_ID are both set. */
export interface FailoverNotifyTargets {
  readonly telegram: boolean;
}

/**
 * Queues a failover notification in the outbox, inside the caller's (fenced) transaction, so
 * that the history row and its notification commit together. One entry per channel; the
 * idempotency key makes a retried transaction queue it once.
 */
export async function queueFailoverNotification(repos: Pick<Repos, 'outbox'>, payload: FailoverPayload, targets: FailoverNotifyTargets): Promise<void> {
  const key = `failover:${payload.kind}:${payload.workerId}:${payload.step ?? '-'}:${payload.at}`;
  const channels: Array<{ channel: string; target: unknown }> = [{ channel: 'log', target: { channel: 'log' } }];
  if (targets.telegram) channels.push({ channel: 'telegram', target: { channel: 'telegram' } });
  for (const { channel, target } of channels) {
    await repos.outbox.enqueue({ channel, target, payload, idempotencyKey: `${key}:${channel}` });
  }
}
