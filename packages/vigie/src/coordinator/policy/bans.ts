/**
 * When to ban a worker that answered 401/403, and for how long. Pure: the caller owns the
 * clock, the registry and the store.
 *
 * Repeat offenders: the n-th ban in a row lasts `baseMs × 2^(n-1)`, capped at `maxMs`.
 * The repeat counter resets once the worker has stayed unbanned for longer than `maxMs`
 * (see `effectiveBanCount`): clean for longer than the longest ban we would ever give, it is
 * a first offender again.
 *
 * PANIC RULE — never ban the whole fleet blind. A ban is refused when, after it, fewer than
 * `minUnbanned` (default 1) OTHER workers would remain usable (unbanned and healthy). When
 * every worker gets 401/403 the cause is almost certainly shared — expired credentials, a
 * wrong `x-api-key`, a blocked account — not each worker's address, and banning them all
 * would stop all work for the ban's duration while fixing nothing. The caller keeps using
 * the worker and raises a `FLEET_BLOCKED` signal (log, metric, alert) for a human instead.
 */

/** What the ban decision needs to know about each worker of the fleet. */
export interface BanFleetMember {
  id: string;
  /** End of the worker's current or last ban (epoch ms), or null if never banned. */
  bannedUntil: number | null;
  healthy: boolean;
}

export interface BanInput {
  workerId: string;
  status: 401 | 403;
  now: number;
  /** Bans this worker has had in a row (0 for a first offender); see `effectiveBanCount`. */
  previousBanCount: number;
  /** End of this worker's previous ban, even expired; when given, an old record is forgotten. */
  lastBanEndedAt?: number | null;
  /** First ban's duration (`WORKER_BAN_DURATION_MS`). */
  baseMs: number;
  /** Cap of a doubled ban (`WORKER_BAN_MAX_MS`). */
  maxMs: number;
  fleet: readonly BanFleetMember[];
  /** Usable workers that must remain besides this one for a ban to go ahead (default 1). */
  minUnbanned?: number;
}

export type BanDecision =
  | { ban: true; until: number; durationMs: number; banCount: number }
  | {
      ban: false;
      reason: 'PANIC_LAST_WORKERS';
      /** What the caller raises instead of the ban. */
      signal: 'FLEET_BLOCKED';
      usableOthers: number;
      minUnbanned: number;
    }
  | { ban: false; reason: 'ALREADY_BANNED'; until: number };

export const DEFAULT_MIN_UNBANNED = 1;

/** True while a ban ending at `bannedUntil` is in force at `now`; a ban ends by itself. */
export function isBanned(bannedUntil: number | null | undefined, now: number): boolean {
  return bannedUntil != null && now < bannedUntil;
}

/** Duration of a ban given the bans before it: baseMs × 2^previous, capped at maxMs. */
export function banDuration(previousBanCount: number, baseMs: number, maxMs: number): number {
  const doublings = Math.max(0, Math.floor(previousBanCount));
  // 2^1024 is Infinity, which Math.min caps correctly; no overflow to worry about.
  return Math.max(0, Math.min(maxMs, baseMs * 2 ** doublings));
}

/** The repeat counter to use now: reset to 0 once the last ban ended more than `maxMs` ago. */
export function effectiveBanCount(
  previousBanCount: number,
  lastBanEndedAt: number | null | undefined,
  now: number,
  maxMs: number,
): number {
  if (lastBanEndedAt != null && now - lastBanEndedAt > maxMs) return 0;
  return Math.max(0, Math.floor(previousBanCount));
}

/** Decides whether a 401/403 from `workerId` bans it, for how long, or trips the panic rule. */
export function decideBan(input: BanInput): BanDecision {
  const { workerId, now, fleet } = input;
  const minUnbanned = input.minUnbanned ?? DEFAULT_MIN_UNBANNED;

  // Requests in flight when the ban began come back 403 too; they must not stack bans.
  const self = fleet.find((w) => w.id === workerId);
  if (self && isBanned(self.bannedUntil, now)) {
    return { ban: false, reason: 'ALREADY_BANNED', until: self.bannedUntil as number };
  }

  const usableOthers = fleet.filter(
    (w) => w.id !== workerId && w.healthy && !isBanned(w.bannedUntil, now),
  ).length;
  if (usableOthers < minUnbanned) {
    return { ban: false, reason: 'PANIC_LAST_WORKERS', signal: 'FLEET_BLOCKED', usableOthers, minUnbanned };
  }

  const previous = effectiveBanCount(input.previousBanCount, input.lastBanEndedAt, now, input.maxMs);
  const durationMs = banDuration(previous, input.baseMs, input.maxMs);
  return { ban: true, until: now + durationMs, durationMs, banCount: previous + 1 };
}
