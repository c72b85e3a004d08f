/**
 * The leader election's decisions, without I/O: given the role, what the backend just answered
 * and the time, the next role, what to do and when. Patroni's rule lives here: a leader that
 * cannot renew steps down `safetyMarginMs` before its lease ends (by its own conservative
 * estimate), so that it never acts on a lease another coordinator may already hold.
 */
import { VigieError } from '../errors.js';
import type { LockGrant } from './types.js';

export interface ElectorTiming {
  /** The leadership lease asked of the backend. */
  leaseMs: number;
  /** The leader renews, and followers try to take over, this often. */
  renewEveryMs: number;
  /** A leader without a successful renewal steps down this long before its lease ends. */
  safetyMarginMs: number;
  /** After a failed renewal, the leader tries again this soon. */
  retryEveryMs: number;
}

export type ElectorState =
  | { role: 'follower'; since: number }
  | { role: 'leader'; since: number; grant: LockGrant };

export type ElectorEvent =
  | { type: 'acquired'; grant: LockGrant }
  /** Acquire answered: someone else holds the lock. */
  | { type: 'held' }
  | { type: 'acquire-error'; error: unknown }
  | { type: 'extended'; grant: LockGrant }
  /** Extend answered: this process no longer holds the lock. */
  | { type: 'lost' }
  | { type: 'extend-error'; error: unknown }
  /** The step-down timer fired. */
  | { type: 'deadline' };

export interface Decision {
  state: ElectorState;
  /** The role changed now (elected: start leader work; demoted: stop it at once). */
  change: 'none' | 'elected' | 'demoted';
  reason?: string;
  /** A grant held but not to be used: release it (best effort). */
  release?: LockGrant;
  /** The next backend call and its delay; absent: keep what is scheduled. */
  next?: { op: 'acquire' | 'extend'; inMs: number };
  /** Leader only: when to step down unless a renewal succeeds first. */
  stepDownAt?: number;
}

/** Defaults for a lease: renew every third, step down one renewal period before the end. */
export function electorTiming(p: Partial<ElectorTiming> & { leaseMs: number }): ElectorTiming {
  const renewEveryMs = p.renewEveryMs ?? Math.floor(p.leaseMs / 3);
  const t: ElectorTiming = {
    leaseMs: p.leaseMs,
    renewEveryMs,
    safetyMarginMs: p.safetyMarginMs ?? renewEveryMs,
    retryEveryMs: p.retryEveryMs ?? Math.max(20, Math.floor(renewEveryMs / 5)),
  };
  if (!(t.renewEveryMs > 0 && t.safetyMarginMs >= 0 && t.retryEveryMs > 0 && t.renewEveryMs + t.safetyMarginMs < t.leaseMs)) {
    throw new VigieError(
      'LEADER_TIMING_INVALID',
      `Leader lease ${t.leaseMs} ms is too short for renewals every ${t.renewEveryMs} ms and a safety margin of ${t.safetyMarginMs} ms: ` +
        'the lease must exceed their sum (by default a lease is renewed every third of it).',
      400,
    );
  }
  return t;
}

/** When a leader holding `grant` must step down unless renewed. */
export function stepDownTime(grant: LockGrant, t: ElectorTiming): number {
  return grant.expiresAt - t.safetyMarginMs;
}

/** The next state and actions after `event` at `now`. */
export function decide(state: ElectorState, event: ElectorEvent, now: number, t: ElectorTiming): Decision {
  const acquireLater = { op: 'acquire' as const, inMs: t.renewEveryMs };
  const follower: ElectorState = state.role === 'follower' ? state : { role: 'follower', since: now };

  if (state.role === 'follower') {
    switch (event.type) {
      case 'acquired':
        if (now >= stepDownTime(event.grant, t)) {
          return { state, change: 'none', release: event.grant, reason: 'the grant came too late to lead on', next: acquireLater };
        }
        return {
          state: { role: 'leader', since: now, grant: event.grant },
          change: 'elected',
          next: { op: 'extend', inMs: t.renewEveryMs },
          stepDownAt: stepDownTime(event.grant, t),
        };
      case 'extended':
        // A renewal that was in flight when we stepped down: the lock is ours but unused.
        return { state, change: 'none', release: event.grant, next: acquireLater };
      case 'deadline':
        return { state, change: 'none' };
      default:
        return { state, change: 'none', next: acquireLater };
    }
  }

  const grant = state.grant;
  const demote = (reason: string, release?: LockGrant): Decision => ({
    state: follower,
    change: 'demoted',
    reason,
    ...(release ? { release } : {}),
    next: acquireLater,
  });

  switch (event.type) {
    case 'extended': {
      if (event.grant.token !== grant.token) return { state, change: 'none', release: event.grant };
      if (now >= stepDownTime(event.grant, t)) return demote('the renewal came too late to rely on', event.grant);
      return {
        state: { ...state, grant: event.grant },
        change: 'none',
        next: { op: 'extend', inMs: t.renewEveryMs },
        stepDownAt: stepDownTime(event.grant, t),
      };
    }
    case 'lost':
      return demote('the lock was lost (expired, or taken by another holder)');
    case 'extend-error': {
      const stepDownAt = stepDownTime(grant, t);
      if (now >= stepDownAt) {
        return demote(`cannot renew the lease (${message(event.error)}) and it ends in ${Math.max(0, grant.expiresAt - now)} ms`, grant);
      }
      return { state, change: 'none', next: { op: 'extend', inMs: Math.min(t.retryEveryMs, stepDownAt - now) }, stepDownAt };
    }
    case 'deadline':
      if (now >= stepDownTime(grant, t)) {
        return demote(`no successful renewal, and the lease ends in ${Math.max(0, grant.expiresAt - now)} ms`, grant);
      }
      return { state, change: 'none' };
    case 'acquired':
      return event.grant.token === grant.token ? { state, change: 'none' } : { state, change: 'none', release: event.grant };
    default:
      return { state, change: 'none' };
  }
}

function message(err: unknown): string {
  return (err as Error | undefined)?.message ?? String(err);
}
