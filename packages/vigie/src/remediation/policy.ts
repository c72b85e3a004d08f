/**
 * The failover ladder's decisions, pure: no clock, no I/O, no provider. The runtime
 * (`ladder.ts`) owns the clock, the fleet and the store, and asks here what to do.
 *
 * Signal: per worker, a streak of upstream 403s; any success resets it. At `threshold` in a
 * row the worker climbs one rung: restart → move to a region of FAILOVER_REGIONS (each once,
 * never its own) → switch to an app of FAILOVER_APPS (each once, never its own). Each step
 * resets the streak, so the next rung needs `threshold` fresh 403s: the ladder escalates only
 * when the last step did not clear the block. A success after a step clears the block: the
 * ladder starts again at restart. Guards: one step per worker per `cooldownMs`, at most
 * `maxPerHour` steps in the whole fleet per rolling hour, never two steps on one worker.
 */

/** The ladder's knobs, read from the settings at each decision (they may change at run time). */
export interface LadderSettings {
  /** ENABLE_FAILOVER: off, the ladder decides nothing (a 403 only bans, as before). */
  readonly enabled: boolean;
  /** MAX_403_BEFORE_FAILOVER. */
  readonly threshold: number;
  /** FAILOVER_REGIONS, in order. */
  readonly regions: readonly string[];
  /** FAILOVER_APPS, in order. */
  readonly apps: readonly string[];
  /** FAILOVER_COOLDOWN_MS: per worker. */
  readonly cooldownMs: number;
  /** FAILOVER_MAX_PER_HOUR: the whole fleet. */
  readonly maxPerHour: number;
}

export const HOUR_MS = 3_600_000;

/** One worker's place on the ladder. */
export interface LadderState {
  /** Upstream 403s in a row since the last success or step. */
  readonly streak: number;
  /** Whether the restart rung was taken since the ladder last started. */
  readonly restarted: boolean;
  /** Regions and apps tried since the ladder last started. */
  readonly triedRegions: readonly string[];
  readonly triedApps: readonly string[];
  /** When this worker's last step began (epoch ms), for the cooldown. */
  readonly lastStepAt: number | null;
  /** Whether the operator was already told this ladder is exhausted (told once per climb). */
  readonly exhaustedNotified: boolean;
}

export const START: LadderState = { streak: 0, restarted: false, triedRegions: [], triedApps: [], lastStepAt: null, exhaustedNotified: false };

/** A rung: what the provider is asked to do. */
export type PlannedStep =
  | { readonly kind: 'restart' }
  /** Regions to try in order (the provider skips full ones). */
  | { readonly kind: 'region'; readonly regions: readonly string[] }
  | { readonly kind: 'app'; readonly app: string };

/** Where the worker is now (from the fleet). */
export interface WorkerPlace {
  readonly region: string;
  readonly app?: string | null | undefined;
}

/** A 403 from the worker: one more in the streak. */
export function record403(s: LadderState): LadderState {
  return { ...s, streak: s.streak + 1 };
}

/** A success from the worker: the streak ends; after a step, the block is cleared and the ladder starts again. */
export function recordSuccess(s: LadderState): LadderState {
  if (s.streak === 0 && !climbed(s)) return s;
  return { ...START, lastStepAt: s.lastStepAt };
}

/** Whether the worker has taken a step since its ladder last started. */
export function climbed(s: LadderState): boolean {
  return s.restarted || s.triedRegions.length > 0 || s.triedApps.length > 0;
}

/** The next rung for this worker, or null when every rung was tried (exhausted). */
export function planStep(s: LadderState, where: WorkerPlace, settings: Pick<LadderSettings, 'regions' | 'apps'>): PlannedStep | null {
  if (!s.restarted) return { kind: 'restart' };
  const regions = settings.regions.filter((r) => r !== where.region && !s.triedRegions.includes(r));
  if (regions.length > 0) return { kind: 'region', regions };
  const app = settings.apps.find((a) => a !== (where.app ?? undefined) && !s.triedApps.includes(a));
  return app === undefined ? null : { kind: 'app', app };
}

/** Explicit rung for an operator's trigger: null when that rung has nothing left to try. */
export function planKind(kind: PlannedStep['kind'], s: LadderState, where: WorkerPlace, settings: Pick<LadderSettings, 'regions' | 'apps'>): PlannedStep | null {
  if (kind === 'restart') return { kind };
  if (kind === 'region') {
    // An operator may ask for a region already tried: only the current one is excluded.
    const regions = settings.regions.filter((r) => r !== where.region);
    return regions.length > 0 ? { kind, regions } : null;
  }
  const app = settings.apps.find((a) => a !== (where.app ?? undefined) && !s.triedApps.includes(a)) ?? settings.apps.find((a) => a !== (where.app ?? undefined));
  return app === undefined ? null : { kind, app };
}

/** What to do after a 403 (or at a periodic re-check). */
export type Decision =
  | { readonly act: 'none'; readonly why: 'disabled' | 'below-threshold' | 'in-progress' }
  | { readonly act: 'wait'; readonly why: 'cooldown' | 'hourly-cap'; readonly until: number }
  | { readonly act: 'exhausted'; readonly notify: boolean }
  | { readonly act: 'step'; readonly step: PlannedStep };

export interface DecideInput {
  readonly state: LadderState;
  readonly where: WorkerPlace;
  readonly settings: LadderSettings;
  readonly now: number;
  /** When each step of the whole fleet began, any order (older than an hour is ignored). */
  readonly fleetStepTimes: readonly number[];
  /** A step on this worker is under way (this leader's, or one a new leader is finishing). */
  readonly inProgress: boolean;
}

/** Decides whether this worker takes a step now, waits, or has nothing left to try. */
export function decide(input: DecideInput): Decision {
  const { state, settings, now } = input;
  if (!settings.enabled) return { act: 'none', why: 'disabled' };
  if (input.inProgress) return { act: 'none', why: 'in-progress' };
  if (state.streak < settings.threshold) return { act: 'none', why: 'below-threshold' };
  const step = planStep(state, input.where, settings);
  if (!step) return { act: 'exhausted', notify: !state.exhaustedNotified };
  const cooldownEnds = cooldownUntil(state, settings, now);
  if (cooldownEnds !== null) return { act: 'wait', why: 'cooldown', until: cooldownEnds };
  const capEnds = hourlyCapUntil(input.fleetStepTimes, settings.maxPerHour, now);
  if (capEnds !== null) return { act: 'wait', why: 'hourly-cap', until: capEnds };
  return { act: 'step', step };
}

/** When this worker's cooldown ends, or null when it is not cooling down. */
export function cooldownUntil(s: LadderState, settings: Pick<LadderSettings, 'cooldownMs'>, now: number): number | null {
  if (s.lastStepAt === null) return null;
  const ends = s.lastStepAt + settings.cooldownMs;
  return now < ends ? ends : null;
}

/** When the fleet may take another step under the hourly cap, or null when it may now. */
export function hourlyCapUntil(stepTimes: readonly number[], maxPerHour: number, now: number): number | null {
  const recent = stepTimes.filter((t) => t > now - HOUR_MS && t <= now).sort((a, b) => a - b);
  if (recent.length < maxPerHour) return null;
  // The cap frees a slot when the oldest step counted leaves the window.
  const oldest = recent[recent.length - maxPerHour];
  return oldest === undefined ? now + HOUR_MS : oldest + HOUR_MS;
}

/**
 * The state once `step` has begun at `now`: the streak starts again, the cooldown runs, the rung
 * is taken (a restart, an app). Which region a move lands in is known only at its end: see
 * `landedIn`.
 */
export function afterStep(s: LadderState, step: PlannedStep, now: number): LadderState {
  const next = { ...s, streak: 0, lastStepAt: now, restarted: true };
  return step.kind === 'app' ? { ...next, triedApps: unique([...s.triedApps, step.app]) } : next;
}

/**
 * Where a step that did not heal the worker left it: the region it landed in is tried; a move
 * that failed (no region took it) tried every region it was offered. Only the tried lists
 * change: the streak keeps the 403s counted since the step began (its readiness canary's).
 */
export function landedIn(s: LadderState, step: PlannedStep, landed: { region?: string | undefined } | 'failed'): LadderState {
  if (step.kind !== 'region') return s;
  const tried = landed === 'failed' ? step.regions : landed.region ? [landed.region] : step.regions;
  return { ...s, triedRegions: unique([...s.triedRegions, ...tried]) };
}

/** The state once the operator was told the ladder is exhausted. */
export function markExhaustedNotified(s: LadderState): LadderState {
  return { ...s, exhaustedNotified: true };
}

/** A short name of a rung's position for status answers: "restart", "region 2/3", "app 1/1", "exhausted". */
export function ladderPosition(s: LadderState, where: WorkerPlace, settings: Pick<LadderSettings, 'regions' | 'apps'>): string {
  const next = planStep(s, where, settings);
  return next === null ? 'exhausted' : next.kind;
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}
