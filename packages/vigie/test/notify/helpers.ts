import type { Item } from '../../src/wire/check-alerts.js';
import type { MatchPayload } from '../../src/notify/types.js';
import type { OutboxEntry } from '../../src/store/index.js';

export { captureLogger } from '../helpers/capture-logger.js';

export function item(id: string, extra: Partial<Item> = {}): Item {
  return {
    id,
    title: `Lamp ${id}`,
    price: 25.5,
    currency: 'EUR',
    url: `https://shop.example/items/${id}`,
    condition: 'good',
    brand: 'Ikea',
    photo: null,
    ...extra,
  };
}

export function matchPayload(extra: Partial<Item> = {}): MatchPayload {
  return { event: 'match', matchId: 'm-1', alert: { id: 'a-1', name: 'Vintage lamp' }, item: item('i-1', extra), foundAt: 1_000 };
}

/** An outbox entry as the sender hands it to a notifier. */
export function entry(channel: string, target: Record<string, unknown>, payload: unknown = matchPayload()): OutboxEntry {
  return {
    id: 'e-1',
    matchId: 'm-1',
    channel,
    target: { channel, ...target },
    payload,
    idempotencyKey: `match:a-1:i-1:${channel}:0123456789abcdef`,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: 0,
    lastError: null,
    createdAt: 0,
    sentAt: null,
  };
}

/** A signal that never aborts. */
export const never = (): AbortSignal => new AbortController().signal;
