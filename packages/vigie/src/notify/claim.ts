import type { Kysely } from 'kysely';
import type { Database, OutboxEntry } from '../store/index.js';

/**
 * Takes an outbox entry for one send by pushing its `next_attempt_at` to `leaseUntil`, only if
 * it is still pending with the `next_attempt_at` this process read (compare-and-set). Two
 * senders (two coordinators during a leader change, or two loops of one process) cannot both
 * win; and if the winner dies mid-send, the entry is due again when the lease ends.
 * (A natural `OutboxRepo.claim`; kept here so the outbox repository stays as it is.)
 */
export async function claimOutboxEntry(db: Kysely<Database>, entry: OutboxEntry, leaseUntil: number): Promise<boolean> {
  const res = await db
    .updateTable('notification_outbox')
    .set({ next_attempt_at: leaseUntil })
    .where('id', '=', entry.id)
    .where('status', '=', 'pending')
    .where('next_attempt_at', '=', entry.nextAttemptAt)
    .executeTakeFirst();
  return res.numUpdatedRows > 0n;
}
