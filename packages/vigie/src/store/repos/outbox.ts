import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Database, NotificationOutboxTable } from '../schema.js';
import { fromJson, toJson } from '../codec.js';

export type OutboxStatus = 'pending' | 'sent' | 'failed';

/** A notification waiting for (or done with) delivery. */
export interface OutboxEntry {
  id: string;
  matchId: string | null;
  channel: string;
  target: unknown;
  payload: unknown;
  idempotencyKey: string;
  status: OutboxStatus;
  /** Delivery tries so far; every mark* call counts one. */
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  createdAt: number;
  sentAt: number | null;
}

/** What `enqueue` takes; `nextAttemptAt` defaults to now (deliver at once). */
export interface OutboxInput {
  channel: string;
  target: unknown;
  payload: unknown;
  idempotencyKey: string;
  matchId?: string | null;
  nextAttemptAt?: number;
  now?: number;
}

export interface OutboxRepo {
  /** Queues a notification once per idempotency key; a repeat returns the first entry. */
  enqueue(input: OutboxInput): Promise<{ entry: OutboxEntry; created: boolean }>;
  /** Pending entries whose time has come, oldest due first. */
  due(now: number, limit: number): Promise<OutboxEntry[]>;
  /** Marks a pending entry delivered; false if it was not pending. */
  markSent(id: string, now: number): Promise<boolean>;
  /**
   * Schedules another try; `error` must already be free of secrets (e.g. bot tokens in URLs).
   * With `lease` (the `next_attempt_at` a claim set), only while the entry still carries that
   * claim: a sender whose lease ran out does not overwrite the one who claimed it next.
   */
  markRetry(id: string, nextAttemptAt: number, error: string, lease?: number): Promise<boolean>;
  /** Gives up on a pending entry (with `lease`: only under that claim, as markRetry); `error` must already be free of secrets. */
  markFailed(id: string, error: string, lease?: number): Promise<boolean>;
  /** One entry, or undefined. */
  get(id: string): Promise<OutboxEntry | undefined>;
  /**
   * Takes an entry for one send by pushing its `next_attempt_at` to `leaseUntil`, only if it is
   * still pending with the `next_attempt_at` the caller read (compare-and-set). Two senders (two
   * coordinators during a leader change, or two loops of one process) cannot both win; if the
   * winner dies mid-send, the entry is due again when the lease ends.
   */
  claim(entry: Pick<OutboxEntry, 'id' | 'nextAttemptAt'>, leaseUntil: number): Promise<boolean>;
  /** The delivery state of the notifications of these matches (no target, no payload: they may hold secrets). */
  deliveriesOf(matchIds: readonly string[]): Promise<Delivery[]>;
}

/** Where one match's notification on one channel stands, as the dashboard shows it. */
export interface Delivery {
  matchId: string;
  channel: string;
  status: OutboxStatus;
  attempts: number;
  lastError: string | null;
  sentAt: number | null;
}

function toEntry(r: Selectable<NotificationOutboxTable>): OutboxEntry {
  return {
    id: r.id,
    matchId: r.match_id,
    channel: r.channel,
    target: fromJson<unknown>(r.target, null),
    payload: fromJson<unknown>(r.payload, null),
    idempotencyKey: r.idempotency_key,
    status: r.status as OutboxStatus,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    createdAt: r.created_at,
    sentAt: r.sent_at,
  };
}

/** Builds the notification-outbox repository over a Kysely instance or transaction. */
export function createOutboxRepo(db: Kysely<Database>): OutboxRepo {
  // Only pending entries move: a late retry must not resurrect a sent notification.
  const settle = (id: string, lease?: number) => {
    const q = db.updateTable('notification_outbox').where('id', '=', id).where('status', '=', 'pending');
    return lease === undefined ? q : q.where('next_attempt_at', '=', lease);
  };

  return {
    async enqueue(input) {
      const now = input.now ?? Date.now();
      const inserted = await db
        .insertInto('notification_outbox')
        .values({
          id: randomUUID(),
          match_id: input.matchId ?? null,
          channel: input.channel,
          target: toJson(input.target),
          payload: toJson(input.payload),
          idempotency_key: input.idempotencyKey,
          status: 'pending',
          attempts: 0,
          next_attempt_at: input.nextAttemptAt ?? now,
          last_error: null,
          created_at: now,
          sent_at: null,
        })
        .onConflict((oc) => oc.column('idempotency_key').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) return { entry: toEntry(inserted), created: true };
      const existing = await db
        .selectFrom('notification_outbox')
        .selectAll()
        .where('idempotency_key', '=', input.idempotencyKey)
        .executeTakeFirstOrThrow();
      return { entry: toEntry(existing), created: false };
    },

    async due(now, limit) {
      const rows = await db
        .selectFrom('notification_outbox')
        .selectAll()
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .orderBy('next_attempt_at')
        .orderBy('created_at')
        .limit(limit)
        .execute();
      return rows.map(toEntry);
    },

    async markSent(id, now) {
      const res = await settle(id)
        .set((eb) => ({ status: 'sent', sent_at: now, attempts: eb('attempts', '+', 1) }))
        .executeTakeFirst();
      return res.numUpdatedRows > 0n;
    },

    async markRetry(id, nextAttemptAt, error, lease) {
      const res = await settle(id, lease)
        .set((eb) => ({ next_attempt_at: nextAttemptAt, last_error: error, attempts: eb('attempts', '+', 1) }))
        .executeTakeFirst();
      return res.numUpdatedRows > 0n;
    },

    async markFailed(id, error, lease) {
      const res = await settle(id, lease)
        .set((eb) => ({ status: 'failed', last_error: error, attempts: eb('attempts', '+', 1) }))
        .executeTakeFirst();
      return res.numUpdatedRows > 0n;
    },

    async get(id) {
      const row = await db
        .selectFrom('notification_outbox')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row && toEntry(row);
    },

    async claim(entry, leaseUntil) {
      const res = await db
        .updateTable('notification_outbox')
        .set({ next_attempt_at: leaseUntil })
        .where('id', '=', entry.id)
        .where('status', '=', 'pending')
        .where('next_attempt_at', '=', entry.nextAttemptAt)
        .executeTakeFirst();
      return res.numUpdatedRows > 0n;
    },

    async deliveriesOf(matchIds) {
      if (matchIds.length === 0) return [];
      const rows = await db
        .selectFrom('notification_outbox')
        .select(['match_id', 'channel', 'status', 'attempts', 'last_error', 'sent_at'])
        .where('match_id', 'in', [...matchIds])
        .orderBy('created_at')
        .execute();
      return rows.map((r) => ({
        matchId: r.match_id!,
        channel: r.channel,
        status: r.status as OutboxStatus,
        attempts: r.attempts,
        lastError: r.last_error,
        sentAt: r.sent_at,
      }));
    },
  };
}
