/**
 * The primary/standby monitor's decisions, without I/O: given the state, what just happened (a
 * check of the primary, a finished step, an operator's command) and the time, the next state and
 * what to do next. The monitor (monitor.ts) runs the checks and steps and persists every state
 * this returns, so a monitor killed at any point resumes at the step it was in.
 *
 *   primary-active → confirming → failing-over → standby-active → failing-back → primary-active
 *
 * Confirming re-checks every `fastMs` (HAProxy's `fastinter`); one healthy answer goes back to
 * primary-active, so a flapping primary never reaches the failure threshold. Failing back needs
 * `recoveryThreshold` healthy checks in a row AND `minActiveMs` of standby (keepalived's
 * `preempt_delay`). Failover and fail-back are sequences of idempotent steps: re-running the step
 * a crash interrupted never starts a second standby (the activators look before they start).
 */
import { VigieError } from '../errors.js';

export interface StandbyTiming {
  /** Between two checks when nothing is happening (CHECK_INTERVAL). */
  checkIntervalMs: number;
  /** Between two checks while a failure or a recovery is being confirmed (FAST_CHECK_INTERVAL). */
  fastCheckIntervalMs: number;
  /** Failed checks in a row that fail over (FAILURE_THRESHOLD). */
  failureThreshold: number;
  /** Healthy checks in a row that allow a fail-back (RECOVERY_THRESHOLD). */
  recoveryThreshold: number;
  /** Shortest time the standby stays active before an automatic fail-back (MIN_ACTIVE_SECONDS). */
  minActiveMs: number;
}

export type FailoverStep = 'sync' | 'activate' | 'wait-ready' | 'announce';
export type FailbackStep = 'sync-back' | 'deactivate' | 'announce';

/** Why the standby was brought up or down. */
export type FailoverReason = 'primary-down' | 'manual';
export type FailbackReason = 'primary-recovered' | 'manual';

export type StandbyState =
  | { name: 'primary-active'; since: number }
  | { name: 'confirming'; since: number; failures: number }
  | {
      name: 'failing-over';
      since: number;
      /** Names this failover (and its fail-back) in notifications and logs: `fo-<epoch ms>`. */
      id: string;
      step: FailoverStep;
      reason: FailoverReason;
      /** Set by an operator's `activate`: no automatic fail-back until `deactivate`. */
      hold: boolean;
      /** Outcome of the sync step (false: the standby starts from the last good copy). */
      syncOk?: boolean;
      /** Outcome of the wait-ready step (false: not healthy within the bound). */
      ready?: boolean;
    }
  | {
      name: 'standby-active';
      since: number;
      id: string;
      hold: boolean;
      /** Healthy checks of the primary in a row since the standby took over. */
      recoveries: number;
    }
  | {
      name: 'failing-back';
      since: number;
      id: string;
      step: FailbackStep;
      reason: FailbackReason;
      syncOk?: boolean;
    };

export type StandbyStateName = StandbyState['name'];

export type StandbyEvent =
  /** A check of the primary answered (ok: 2xx in time). */
  | { type: 'check'; ok: boolean }
  /** The step in progress ended; `ok` is its outcome (a failed sync or readiness wait still moves on). */
  | { type: 'step-done'; ok: boolean }
  /** An operator asked for the standby (`vigie standby activate`): it stays until `deactivate`. */
  | { type: 'activate' }
  /** An operator asked to stop the standby (`vigie standby deactivate`). */
  | { type: 'deactivate' }
  /** The standby recorded as active is not running (found on start-up): start it again. */
  | { type: 'standby-lost' };

/** What the monitor does next: check the primary after `inMs`, or run `step` now. */
export type NextAction = { kind: 'check'; inMs: number } | { kind: 'step'; step: FailoverStep | FailbackStep };

export interface StandbyDecision {
  state: StandbyState;
  /** The state's name changed (a transition to log, persist and count). */
  transition?: { from: StandbyStateName; to: StandbyStateName };
  next: NextAction;
  /** The event was refused (an operator command that does not apply now), with the reason. */
  refused?: string;
}

/** Validates the timing (the settings' schema already bounds each value; this checks them together). */
export function standbyTiming(t: StandbyTiming): StandbyTiming {
  if (!(t.checkIntervalMs > 0 && t.fastCheckIntervalMs > 0 && t.failureThreshold >= 1 && t.recoveryThreshold >= 1 && t.minActiveMs >= 0)) {
    throw new VigieError('STANDBY_TIMING_INVALID', 'Standby timing: intervals must be positive, thresholds at least 1 and MIN_ACTIVE_SECONDS not negative.', 400);
  }
  return t;
}

/** The state of a monitor that has never run: the primary is presumed active. */
export function initialState(now: number): StandbyState {
  return { name: 'primary-active', since: now };
}

/** Which side may run its periodic jobs in `state`: during a transition, neither. */
export function activeSide(state: StandbyState): 'primary' | 'standby' | 'none' {
  switch (state.name) {
    case 'primary-active':
    case 'confirming':
      // A primary being confirmed dead is still the only side that may be running.
      return 'primary';
    case 'standby-active':
      return 'standby';
    case 'failing-over':
      // Once started, the standby is the side in charge; before that, nobody is.
      return state.step === 'wait-ready' || state.step === 'announce' ? 'standby' : 'none';
    case 'failing-back':
      // The standby runs until it is stopped; the primary only after.
      return state.step === 'announce' ? 'primary' : 'standby';
  }
}

/** What to do first in `state` (a monitor starting, or resuming after a crash). */
export function resume(state: StandbyState): NextAction {
  if (state.name === 'failing-over' || state.name === 'failing-back') return { kind: 'step', step: state.step };
  return { kind: 'check', inMs: 0 };
}

/** The next state and action after `event` at `now`. */
export function decide(state: StandbyState, event: StandbyEvent, now: number, t: StandbyTiming): StandbyDecision {
  const to = (next: StandbyState, action: NextAction, extra: Partial<StandbyDecision> = {}): StandbyDecision => ({
    state: next,
    next: action,
    ...(next.name !== state.name && { transition: { from: state.name, to: next.name } }),
    ...extra,
  });
  const checkIn = (inMs: number): NextAction => ({ kind: 'check', inMs });
  const stay = (refused?: string): StandbyDecision => ({ state, next: pendingAction(state, now, t), ...(refused && { refused }) });
  const failover = (reason: FailoverReason, hold: boolean): StandbyDecision =>
    to({ name: 'failing-over', since: now, id: `fo-${now}`, step: 'sync', reason, hold }, { kind: 'step', step: 'sync' });

  switch (event.type) {
    case 'check':
      return onCheck(state, event.ok, now, t, to, checkIn, failover, stay);
    case 'step-done':
      return onStepDone(state, event.ok, now, t, to, stay);
    case 'activate':
      if (state.name === 'primary-active' || state.name === 'confirming') return failover('manual', true);
      if (state.name === 'failing-over' || state.name === 'standby-active') return { ...stay(), state: { ...state, hold: true } };
      return stay('a fail-back is in progress; run `vigie standby activate` again once it has ended');
    case 'standby-lost':
      if (state.name !== 'standby-active') return stay();
      // Back to the activation step of the same failover: no new sync (the primary is down or
      // was, and its state went out already), one more announcement only if it is a new failover.
      return to(
        { name: 'failing-over', since: now, id: state.id, step: 'activate', reason: state.hold ? 'manual' : 'primary-down', hold: state.hold },
        { kind: 'step', step: 'activate' },
      );
    case 'deactivate':
      if (state.name === 'standby-active') {
        return to({ name: 'failing-back', since: now, id: state.id, step: 'sync-back', reason: 'manual' }, { kind: 'step', step: 'sync-back' });
      }
      if (state.name === 'failing-over') return stay('a failover is in progress; run `vigie standby deactivate` again once the standby is active');
      if (state.name === 'failing-back') return stay();
      return stay('the standby is not active');
  }
}

type To = (next: StandbyState, action: NextAction, extra?: Partial<StandbyDecision>) => StandbyDecision;

function onCheck(
  state: StandbyState,
  ok: boolean,
  now: number,
  t: StandbyTiming,
  to: To,
  checkIn: (ms: number) => NextAction,
  failover: (reason: FailoverReason, hold: boolean) => StandbyDecision,
  stay: (refused?: string) => StandbyDecision,
): StandbyDecision {
  switch (state.name) {
    case 'primary-active':
      if (ok) return to(state, checkIn(t.checkIntervalMs));
      if (t.failureThreshold <= 1) return failover('primary-down', false);
      return to({ name: 'confirming', since: now, failures: 1 }, checkIn(t.fastCheckIntervalMs));
    case 'confirming': {
      // One good answer is enough to stand down: a flapping primary never adds up failures.
      if (ok) return to({ name: 'primary-active', since: now }, checkIn(t.checkIntervalMs));
      const failures = state.failures + 1;
      if (failures >= t.failureThreshold) return failover('primary-down', false);
      return to({ ...state, failures }, checkIn(t.fastCheckIntervalMs));
    }
    case 'standby-active': {
      const recoveries = ok ? state.recoveries + 1 : 0;
      const next = { ...state, recoveries };
      if (!state.hold && recoveries >= t.recoveryThreshold && now - state.since >= t.minActiveMs) {
        return to({ name: 'failing-back', since: now, id: state.id, step: 'sync-back', reason: 'primary-recovered' }, { kind: 'step', step: 'sync-back' });
      }
      return to(next, pendingAction(next, now, t));
    }
    default:
      // A check result that arrives during a failover or fail-back (started before it) changes nothing.
      return stay();
  }
}

function onStepDone(state: StandbyState, ok: boolean, now: number, t: StandbyTiming, to: To, stay: () => StandbyDecision): StandbyDecision {
  if (state.name === 'failing-over') {
    switch (state.step) {
      case 'sync':
        return to({ ...state, step: 'activate', syncOk: ok }, { kind: 'step', step: 'activate' });
      case 'activate':
        // An activation that failed is retried by the monitor (it reports ok only once started).
        if (!ok) return to(state, { kind: 'step', step: 'activate' });
        return to({ ...state, step: 'wait-ready' }, { kind: 'step', step: 'wait-ready' });
      case 'wait-ready':
        return to({ ...state, step: 'announce', ready: ok }, { kind: 'step', step: 'announce' });
      case 'announce': {
        const active: StandbyState = { name: 'standby-active', since: now, id: state.id, hold: state.hold, recoveries: 0 };
        return to(active, { kind: 'check', inMs: t.checkIntervalMs });
      }
    }
  }
  if (state.name === 'failing-back') {
    switch (state.step) {
      case 'sync-back':
        return to({ ...state, step: 'deactivate', syncOk: ok }, { kind: 'step', step: 'deactivate' });
      case 'deactivate':
        if (!ok) return to(state, { kind: 'step', step: 'deactivate' });
        return to({ ...state, step: 'announce' }, { kind: 'step', step: 'announce' });
      case 'announce':
        return to({ name: 'primary-active', since: now }, { kind: 'check', inMs: t.checkIntervalMs });
    }
  }
  return stay();
}

/** The action `state` is waiting on, for events that change nothing. */
function pendingAction(state: StandbyState, now: number, t: StandbyTiming): NextAction {
  switch (state.name) {
    case 'primary-active':
      return { kind: 'check', inMs: t.checkIntervalMs };
    case 'confirming':
      return { kind: 'check', inMs: t.fastCheckIntervalMs };
    case 'standby-active': {
      // Held by an operator, nothing to confirm: no fail-back will happen.
      if (state.recoveries === 0 || state.hold) return { kind: 'check', inMs: t.checkIntervalMs };
      if (state.recoveries < t.recoveryThreshold) return { kind: 'check', inMs: t.fastCheckIntervalMs };
      // Recovered but not active long enough: next look when the minimum is reached (or sooner).
      const left = state.since + t.minActiveMs - now;
      return { kind: 'check', inMs: Math.max(t.fastCheckIntervalMs, Math.min(t.checkIntervalMs, left)) };
    }
    case 'failing-over':
    case 'failing-back':
      return { kind: 'step', step: state.step };
  }
}
