import { VigieError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { scrub } from '../observability/secrets.js';
import type { OutboxEntry, Store } from '../store/index.js';
import { withDeadline } from '../util/deadline.js';
import { retryDelayMs, type BackoffOptions } from './backoff.js';
import { targetKey } from './targets.js';
import type { Notifier, SendResult } from './types.js';

export interface OutboxSenderOptions {
  store: Pick<Store, 'db' | 'outbox'>;
  /** One per channel; entries of a channel without one are marked failed. */
  notifiers: readonly Notifier[];
  logger: Logger;
  /** How often the outbox is polled (default 1000 ms). A full batch is followed at once by the next. */
  pollIntervalMs?: number;
  /** Entries read per poll (default 50). */
  batchSize?: number;
  /** Targets served at once (default 4); entries of one target go one after the other, in order. */
  concurrency?: number;
  /** Bound on one send (default 15000 ms). */
  sendTimeoutMs?: number;
  /** Tries before an entry is marked failed (default 10). */
  maxAttempts?: number;
  /** How long a claimed entry is left alone by other senders (default sendTimeoutMs + 30 s): a sender that dies mid-send gives it back then. */
  leaseMs?: number;
  backoff?: BackoffOptions;
  /** Epoch ms; tests pass a fake clock. */
  clock?: () => number;
  /**
   * False once this process may no longer send (the leader lost its leadership). Checked before
   * an entry is retried or given up: the new leader owns it then. Default: always true.
   */
  stillOwner?: () => boolean;
  /** Called once per settled try (metrics). */
  onOutcome?: (channel: string, outcome: 'sent' | 'retry' | 'failed') => void;
}

/** What one pass over the outbox did. */
export interface DrainResult {
  sent: number;
  retried: number;
  failed: number;
  /** Due entries left for later: in flight here, claimed by another sender, their target rate-limited, or a store error. */
  skipped: number;
}

type Outcome = keyof DrainResult;

/** Extra time a send gets when its timeout fired late because this process was paused. */
const STALL_GRACE_MS = 500;

/**
 * Delivers the notification outbox. Every `pollIntervalMs` it reads due entries, claims each one
 * (so no other sender, in this process or another, sends it at the same time), sends it with a
 * timeout, and marks it sent, to retry (exponential backoff with full jitter, or the receiver's
 * retry-after), or failed (permanent error, or `maxAttempts` reached). A receiver that asks to
 * wait (429) pauses its target: the target's other entries wait too instead of burning tries.
 */
export class OutboxSender {
  private readonly notifiers: Map<string, Notifier>;
  private readonly clock: () => number;
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly sendTimeoutMs: number;
  private readonly maxAttempts: number;
  private readonly leaseMs: number;
  private readonly inFlight = new Set<string>();
  private readonly pausedUntil = new Map<string, number>();
  private readonly drains = new Set<Promise<DrainResult>>();
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private ticking = false;
  private kicked = false;

  constructor(private readonly opts: OutboxSenderOptions) {
    this.notifiers = new Map(opts.notifiers.map((n) => [n.channel, n]));
    this.clock = opts.clock ?? Date.now;
    this.pollIntervalMs = opts.pollIntervalMs ?? 1000;
    this.batchSize = opts.batchSize ?? 50;
    this.concurrency = Math.max(1, opts.concurrency ?? 4);
    this.sendTimeoutMs = opts.sendTimeoutMs ?? 15_000;
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 10);
    this.leaseMs = opts.leaseMs ?? this.sendTimeoutMs + 30_000;
  }

  /** Starts polling (first pass at once). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.schedule(0);
  }

  /** Asks for a pass now instead of at the next poll (e.g. right after matches were recorded). */
  kick(): void {
    if (!this.started) return;
    if (this.ticking) {
      this.kicked = true;
    } else {
      clearTimeout(this.timer);
      this.schedule(0);
    }
  }

  /** Stops polling and waits for the sends in flight (each bounded by `sendTimeoutMs`). */
  async stop(): Promise<void> {
    this.started = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.drains.size > 0) await Promise.allSettled([...this.drains]);
  }

  /** One pass: every entry due at `now` is tried once (tests call this with a fake clock). */
  drainOnce(now: number = this.clock()): Promise<DrainResult> {
    const drain = this.drain(now);
    this.drains.add(drain);
    void drain.then(
      () => this.drains.delete(drain),
      () => this.drains.delete(drain),
    );
    return drain;
  }

  private schedule(ms: number): void {
    if (!this.started) return;
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    this.ticking = true;
    let next = this.pollIntervalMs;
    try {
      const r = await this.drainOnce();
      // A full batch means more is waiting: go on at once, unless nothing could be sent.
      if (r.sent + r.retried + r.failed >= this.batchSize) next = 0;
    } catch (err) {
      this.opts.logger.error({ err }, 'outbox sender: pass failed; retrying at the next poll');
    } finally {
      this.ticking = false;
    }
    if (this.kicked) {
      this.kicked = false;
      next = 0;
    }
    this.schedule(next);
  }

  private async drain(now: number): Promise<DrainResult> {
    const result: DrainResult = { sent: 0, retried: 0, failed: 0, skipped: 0 };
    const due = await this.opts.store.outbox.due(now, this.batchSize);
    // One queue per target: its entries go in order, and a 429 holds back the rest of them.
    const queues = new Map<string, OutboxEntry[]>();
    for (const entry of due) {
      if (this.inFlight.has(entry.id)) {
        result.skipped++;
        continue;
      }
      const key = `${entry.channel}|${targetKey(entry.channel, entry.target)}`;
      const queue = queues.get(key) ?? [];
      queue.push(entry);
      queues.set(key, queue);
    }
    await runLimited([...queues], this.concurrency, async ([key, entries]) => {
      for (const entry of entries) {
        const paused = this.pausedUntil.get(key);
        if (paused !== undefined && paused > now) {
          result.skipped++;
          continue;
        }
        if (paused !== undefined) this.pausedUntil.delete(key);
        result[await this.deliver(entry, key, now)]++;
      }
    });
    return result;
  }

  /** Claims, sends and settles one entry; never throws. */
  private async deliver(entry: OutboxEntry, key: string, now: number): Promise<Outcome> {
    if (this.inFlight.has(entry.id)) return 'skipped';
    this.inFlight.add(entry.id);
    const log = { outboxId: entry.id, channel: entry.channel, matchId: entry.matchId, attempt: entry.attempts + 1 };
    try {
      const notifier = this.notifiers.get(entry.channel);
      if (!notifier) {
        const configured = [...this.notifiers.keys()].join(', ') || 'none';
        const hint = entry.channel === 'telegram' ? ' Set TELEGRAM_BOT_TOKEN (and TELEGRAM_CHAT_ID) and restart the coordinator.' : '';
        const error = `no notifier is configured for channel "${entry.channel}" (configured: ${configured}).${hint}`;
        await this.opts.store.outbox.markFailed(entry.id, error);
        this.opts.logger.error({ ...log, error }, `notification failed: ${error}`);
        this.opts.onOutcome?.(entry.channel, 'failed');
        return 'failed';
      }
      const lease = now + this.leaseMs;
      if (!(await this.opts.store.outbox.claim(entry, lease))) return 'skipped';

      const result = await this.send(notifier, entry);
      const at = Math.max(now, this.clock());
      // Delivered is delivered, whoever owns the entry now; but a failure is settled (retried,
      // given up) only by the owner of the claim: past our lease, or demoted, another sender
      // owns it and may be sending it this very moment.
      if (!result.ok && (at >= lease || this.opts.stillOwner?.() === false)) {
        this.opts.logger.warn({ ...log, error: scrub(result.error) }, `notification send ended after this sender lost its claim (lease ended or leadership lost); not retried here, the current sender owns it`);
        return 'skipped';
      }
      if (result.ok) {
        await this.opts.store.outbox.markSent(entry.id, at);
        this.opts.logger.info(log, `notification sent (${entry.channel})`);
        this.opts.onOutcome?.(entry.channel, 'sent');
        return 'sent';
      }
      const error = scrub(result.error);
      if (result.permanent || entry.attempts + 1 >= this.maxAttempts) {
        const final = result.permanent ? error : `gave up after ${entry.attempts + 1} attempt(s); last error: ${error}`;
        if (!(await this.opts.store.outbox.markFailed(entry.id, final, lease))) return 'skipped';
        this.opts.logger.error({ ...log, error: final }, `notification failed (${entry.channel}): ${final}`);
        this.opts.onOutcome?.(entry.channel, 'failed');
        return 'failed';
      }
      const delay = retryDelayMs(entry.attempts + 1, result.retryAfterMs, this.opts.backoff);
      if (result.retryAfterMs !== undefined) this.pausedUntil.set(key, at + delay);
      if (!(await this.opts.store.outbox.markRetry(entry.id, at + delay, error, lease))) return 'skipped';
      this.opts.logger.warn({ ...log, error, retryInMs: delay }, `notification not sent (${entry.channel}), retrying in ${Math.ceil(delay / 1000)} s: ${error}`);
      this.opts.onOutcome?.(entry.channel, 'retry');
      return 'retried';
    } catch (err) {
      // A store error: the entry stays pending (under its lease, if claimed) and comes back later.
      this.opts.logger.error({ ...log, err }, 'outbox sender: could not settle a notification; it will be tried again');
      return 'skipped';
    } finally {
      this.inFlight.delete(entry.id);
    }
  }

  /** One send under the timeout; a notifier that throws counts as a retryable failure. */
  private async send(notifier: Notifier, entry: OutboxEntry): Promise<SendResult> {
    try {
      return await withDeadline(
        this.sendTimeoutMs,
        (signal) => notifier.send(entry, signal),
        () => new VigieError('NOTIFY_TIMEOUT', `no answer within ${this.sendTimeoutMs} ms`, 504),
        undefined,
        // Paused past the timeout (SIGSTOP, a stalled host): the receiver's answer may be
        // waiting in the socket; taking it for a timeout would send the notification twice.
        { stallGraceMs: STALL_GRACE_MS },
      );
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return { ok: false, permanent: false, error: `${entry.channel}: ${message}` };
    }
  }
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function runLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(lanes);
}
