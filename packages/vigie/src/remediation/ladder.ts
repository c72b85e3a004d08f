import { VigieError } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import type { Logger } from '../observability/logger.js';
import { isStoreError, type Fence, type FailoverRecord, type StepInProgress, type Store } from '../store/index.js';
import { queueFailoverNotification, type FailoverNotifyTargets } from './notify.js';
import {
  HOUR_MS, START, afterStep, climbed, cooldownUntil, decide, ladderPosition, landedIn, markExhaustedNotified, planKind, record403, recordSuccess,
  type LadderSettings, type LadderState, type PlannedStep,
} from './policy.js';
import type { AttemptReport, HealthProbe, IsBanned, LadderFleet, SendTo } from './ports.js';
import type { MachineProvider } from './providers/index.js';
import { FAILOVER_BAN_REASON, recoverSteps, runStep, type CanaryVerdict, type StepDeps, type StepOutcomeLabel } from './step.js';

/** Everything the ladder reads from the settings, at each decision (run-time changes apply at once). */
export interface LadderRuntimeSettings extends LadderSettings {
  /** FAILOVER_PROBE_INTERVAL_MS. */
  readonly probeIntervalMs: number;
  /** FAILOVER_PROBE_ALERT: the alert whose search canaries run; unset, the first active one. */
  readonly probeAlert?: string | undefined;
  /** FAILOVER_READY_WAIT_MS. */
  readonly readyWaitMs: number;
  /** WORKER_REQUEST_TIMEOUT_MS: the bound of one canary. */
  readonly requestTimeoutMs: number;
}

export interface FailoverLadderOptions {
  readonly fleet: LadderFleet;
  readonly store: Store;
  readonly provider: MachineProvider;
  readonly events: EventBus;
  readonly logger: Logger;
  /** The dispatcher's `sendTo` (canaries go to a banned worker). */
  readonly sendTo: SendTo;
  /** The worker client's `health`. */
  readonly health: HealthProbe;
  /** The ban rule (coordinator/policy/bans.ts). */
  readonly isBanned: IsBanned;
  readonly settings: () => LadderRuntimeSettings;
  readonly notifyTargets: () => FailoverNotifyTargets;
  /** A failover notification was queued (the outbox sender's kick). */
  readonly onQueued?: (() => void) | undefined;
  readonly onOutcome?: ((step: string, outcome: StepOutcomeLabel) => void) | undefined;
  readonly onStreak?: ((workerId: string, streak: number) => void) | undefined;
  readonly now?: () => number;
}

/** One worker's failover state, as GET /api/v1/failover/status shows it. */
export interface WorkerFailoverStatus {
  workerId: string;
  name: string;
  url: string;
  region: string;
  streak: number;
  /** The next rung (restart, region, app), or "exhausted". */
  next: string;
  cooldownLeftMs: number;
  banned: boolean;
  banReason: string | null;
  inProgress: { step: string; since: number; fromValue: string | null } | null;
}

/**
 * The failover ladder's runtime, on the leader only (`start` when elected, `stop` when demoted
 * or closing). It learns each worker's 403s and successes from the dispatcher (`onAttempt`,
 * `onSuccess`: two map operations on the hot path), asks the pure policy (`policy.ts`) what to
 * do, runs steps one per worker (`step.ts`), and probes banned-for-403 workers with a canary
 * every FAILOVER_PROBE_INTERVAL_MS: a passing canary ends the ban early, a 403 extends the
 * streak. With ENABLE_FAILOVER=false it does nothing at all (a 403 only bans, as before); an
 * operator's trigger still works.
 */
export class FailoverLadder {
  private readonly states = new Map<string, LadderState>();
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void>; step: PlannedStep['kind']; since: number; fromValue: string }>();
  private readonly lastProbe = new Map<string, number>();
  private readonly probing = new Set<string>();
  /** When each step of the fleet began, for the hourly cap (kept an hour). */
  private stepTimes: number[] = [];
  private fence: Fence | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly stepDeps: StepDeps;

  constructor(private readonly opts: FailoverLadderOptions) {
    this.now = opts.now ?? Date.now;
    this.stepDeps = {
      fleet: opts.fleet, store: opts.store, provider: opts.provider, events: opts.events, logger: opts.logger,
      canary: (id, signal) => this.canary(id, signal),
      healthy: async (url, signal) => (await opts.health(url, Math.min(5000, opts.settings().requestTimeoutMs), signal)).ok,
      notifyTargets: opts.notifyTargets,
      onOutcome: opts.onOutcome,
      now: this.now,
    };
  }

  /** Whether this coordinator runs the ladder (it leads). */
  get active(): boolean {
    return this.fence !== undefined;
  }

  /** Dispatcher hook: a failed attempt; an upstream 403 extends the worker's streak. */
  onAttempt(attempt: AttemptReport, failure: { readonly banCandidate: boolean } | undefined): void {
    if (!this.fence || attempt.status !== 403 || !failure?.banCandidate || !this.opts.settings().enabled) return;
    const s = record403(this.stateOf(attempt.workerId));
    this.states.set(attempt.workerId, s);
    this.opts.onStreak?.(attempt.workerId, s.streak);
    this.opts.events.emit('failover.streak', { workerId: attempt.workerId, streak: s.streak });
    this.evaluate(attempt.workerId);
  }

  /** Dispatcher hook: a success; ends the streak, and after a step, starts the ladder again. */
  onSuccess(workerId: string): void {
    const s = this.states.get(workerId);
    if (!s || (s.streak === 0 && !climbed(s))) return;
    this.states.set(workerId, recordSuccess(s));
    if (s.streak > 0) {
      this.opts.onStreak?.(workerId, 0);
      this.opts.events.emit('failover.streak', { workerId, streak: 0 });
    }
  }

  /** Starts on the leader: finishes what a previous leader left, reloads cooldowns and the hourly count, starts the canaries. */
  async start(fence: Fence): Promise<void> {
    this.fence = fence;
    try {
      await recoverSteps(this.stepDeps, fence);
      const recent = (await this.opts.store.failovers.listRecent()).filter((r) => r.step !== 'standby');
      const now = this.now();
      this.stepTimes = recent.map((r) => r.at).filter((t) => t > now - HOUR_MS);
      for (const r of [...recent].reverse()) this.states.set(r.workerId, { ...this.stateOf(r.workerId), lastStepAt: r.at });
      this.opts.onQueued?.();
    } catch (err) {
      if (this.fence !== fence) return;
      // The store may be down: the ladder still runs; a step persists first, so it waits for it.
      this.opts.logger.error({ err }, 'failover ladder: could not load its state; cooldowns and the hourly cap start from zero');
    }
    this.schedule();
  }

  /** Stops on demotion or close: no new step, running ones aborted (providers clean up) and awaited. */
  async stop(): Promise<void> {
    this.fence = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const r of this.running.values()) r.controller.abort(new VigieError('LEADERSHIP_LOST', 'This coordinator stopped leading; the next leader finishes the step.'));
    await Promise.all([...this.running.values()].map((r) => r.done));
  }

  /** An operator's step (POST /api/v1/failover/trigger): the given rung or the next one, at once (no streak, no cooldown). */
  async trigger(workerId: string, kind?: PlannedStep['kind']): Promise<{ step: PlannedStep }> {
    const w = this.opts.fleet.get(workerId);
    if (!w) throw new VigieError('WORKER_NOT_FOUND', `No worker with id "${workerId}"; vigie workers list shows them.`);
    if (!this.fence) throw new VigieError('NOT_LEADER', 'Only the leading coordinator runs failover steps: send the request to it (vigie lock status names it).');
    if (this.running.has(workerId) || (await this.opts.store.failovers.inProgress()).some((s) => s.workerId === workerId)) {
      throw new VigieError('FAILOVER_IN_PROGRESS', `A failover step is already under way on worker ${workerId}; vigie failover status shows it.`);
    }
    const state = this.stateOf(workerId);
    const where = { region: w.region, app: w.flyApp };
    const step = kind ? planKind(kind, state, where, this.opts.settings()) : (decideNext(state, where, this.opts.settings()));
    if (!step) throw new VigieError('FAILOVER_NO_STEP', `No ${kind ?? 'next'} step to take for worker ${workerId}: FAILOVER_REGIONS / FAILOVER_APPS give nothing it has not tried or is not on.`);
    this.launch(workerId, step, 'operator');
    return { step };
  }

  /** Every worker's streak, next rung, cooldown and step under way. */
  async status(): Promise<WorkerFailoverStatus[]> {
    const now = this.now();
    const settings = this.opts.settings();
    const persisted = new Map<string, StepInProgress>((await this.opts.store.failovers.inProgress()).map((s) => [s.workerId, s]));
    return this.opts.fleet.list().map((w) => {
      const s = this.stateOf(w.id);
      const run = this.running.get(w.id);
      const saved = persisted.get(w.id);
      const until = cooldownUntil(s, settings, now);
      return {
        workerId: w.id, name: w.name, url: w.url, region: w.region,
        streak: s.streak,
        next: ladderPosition(s, { region: w.region, app: w.flyApp }, settings),
        cooldownLeftMs: until === null ? 0 : until - now,
        banned: this.opts.isBanned(w.bannedUntil, now), banReason: w.banReason,
        inProgress: run ? { step: run.step, since: run.since, fromValue: run.fromValue } : saved ? { step: saved.step, since: saved.startedAt, fromValue: saved.fromValue } : null,
      };
    });
  }

  /** The newest steps first (the last 50 are kept). */
  history(): Promise<FailoverRecord[]> {
    return this.opts.store.failovers.listRecent();
  }

  /** Waits for the steps under way (tests, benchmarks). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()].map((r) => r.done));
  }

  private stateOf(workerId: string): LadderState {
    return this.states.get(workerId) ?? START;
  }

  /** Asks the policy whether the worker takes a step now. */
  private evaluate(workerId: string): void {
    const w = this.opts.fleet.get(workerId);
    if (!w || !this.fence) return;
    const settings = this.opts.settings();
    const state = this.stateOf(workerId);
    const d = decide({ state, where: { region: w.region, app: w.flyApp }, settings, now: this.now(), fleetStepTimes: this.stepTimes, inProgress: this.running.has(workerId) });
    if (d.act === 'step') this.launch(workerId, d.step, `${state.streak} upstream 403s in a row`);
    else if (d.act === 'wait') this.opts.logger.info({ worker: workerId, why: d.why, until: d.until }, `failover: ${w.name} is blocked but waits (${d.why}) until ${new Date(d.until).toISOString()}`);
    else if (d.act === 'exhausted' && d.notify) this.exhausted(workerId, state);
  }

  private launch(workerId: string, step: PlannedStep, reason: string): void {
    const fence = this.fence;
    const w = this.opts.fleet.get(workerId);
    if (!fence || !w) return;
    const now = this.now();
    this.stepTimes = [...this.stepTimes.filter((t) => t > now - HOUR_MS), now];
    // The rung counts as taken now: a failed step is not retried, the next one escalates.
    this.states.set(workerId, afterStep(this.stateOf(workerId), step, now));
    this.opts.onStreak?.(workerId, 0);
    const controller = new AbortController();
    const done = (async () => {
      try {
        const outcome = await runStep(this.stepDeps, { workerId, step, reason, fence, readyWaitMs: this.opts.settings().readyWaitMs, signal: controller.signal });
        if (!outcome.started) this.opts.logger.warn({ worker: workerId }, 'failover: a step is already recorded as under way on this worker; not starting another');
        else if (!outcome.healed) {
          // Remember where it landed (or that no region took it): that did not clear the block either.
          this.states.set(workerId, landedIn(this.stateOf(workerId), step, outcome.result ? { region: outcome.result.region } : 'failed'));
        }
        this.opts.onQueued?.();
      } catch (err) {
        const fenced = isStoreError(err, 'FENCED');
        this.opts.logger[fenced ? 'warn' : 'error']({ err, worker: workerId }, fenced ? 'failover: step stopped, a newer leader owns the fleet' : 'failover: step failed before it could be recorded; the next leader or restart records it');
      } finally {
        this.running.delete(workerId);
      }
    })();
    this.running.set(workerId, { controller, done, step: step.kind, since: now, fromValue: w.url });
  }

  private exhausted(workerId: string, state: LadderState): void {
    const fence = this.fence;
    const w = this.opts.fleet.get(workerId);
    if (!fence || !w) return;
    this.states.set(workerId, markExhaustedNotified(state));
    const reason = `${state.streak} upstream 403s in a row after restart, regions ${state.triedRegions.join(', ') || 'none'} and apps ${state.triedApps.join(', ') || 'none'}`;
    this.opts.logger.error({ worker: workerId }, `failover exhausted for ${w.name}: it stays banned (${reason}); add regions or apps, or fix it by hand`);
    this.opts.events.emit('failover.exhausted', { workerId, reason });
    void this.opts.store
      .fenced(fence, (r) => queueFailoverNotification(r, { event: 'failover', kind: 'exhausted', workerId, workerName: w.name, step: null, fromValue: w.url, toValue: null, ok: false, reason, error: null, at: this.now() }, this.opts.notifyTargets()))
      .then(() => this.opts.onQueued?.())
      .catch((err: unknown) => this.opts.logger.error({ err, worker: workerId }, 'failover: could not queue the exhausted-ladder notification'));
  }

  /** The canary loop: each banned-for-403 worker, once per FAILOVER_PROBE_INTERVAL_MS. */
  private schedule(): void {
    if (!this.fence) return;
    const interval = this.opts.settings().probeIntervalMs;
    this.timer = setTimeout(() => {
      this.probeDue();
      this.schedule();
    }, Math.min(1000, interval));
    this.timer.unref();
  }

  private probeDue(): void {
    const settings = this.opts.settings();
    if (!settings.enabled || !this.fence) return;
    const now = this.now();
    for (const w of this.opts.fleet.list()) {
      const blocked = w.banReason !== null && (w.banReason === FAILOVER_BAN_REASON || w.banReason.endsWith('403')) && this.opts.isBanned(w.bannedUntil, now);
      if (!blocked || this.running.has(w.id) || this.probing.has(w.id)) continue;
      if (now - (this.lastProbe.get(w.id) ?? 0) < settings.probeIntervalMs) continue;
      this.lastProbe.set(w.id, now);
      this.probing.add(w.id);
      const signal = AbortSignal.timeout(settings.requestTimeoutMs + 1000);
      void this.canary(w.id, signal)
        .then(async (verdict) => {
          // A pass while no step runs: the block cleared by itself, the ban ends early.
          if (verdict === 'ok' && this.fence && !this.running.has(w.id)) {
            if (await this.opts.fleet.unban(w.id, 'canary', this.now())) this.opts.logger.info({ worker: w.id }, `failover: ${w.name}'s canary passed; its ban ends early`);
          }
        })
        .catch((err: unknown) => this.opts.logger.warn({ err, worker: w.id }, 'failover: canary failed'))
        .finally(() => this.probing.delete(w.id));
    }
  }

  /**
   * One real source request from the worker: a check-alerts of one alert (FAILOVER_PROBE_ALERT,
   * or the first active one). Its 403 reaches `onAttempt` through the dispatcher like any other.
   */
  async canary(workerId: string, signal: AbortSignal): Promise<CanaryVerdict> {
    const settings = this.opts.settings();
    const alert = settings.probeAlert ? await this.opts.store.alerts.get(settings.probeAlert) : (await this.opts.store.alerts.list({ activeOnly: true }))[0];
    if (!alert) {
      this.opts.logger.warn({ worker: workerId, probeAlert: settings.probeAlert }, 'failover: no alert to probe with (set FAILOVER_PROBE_ALERT or add an active alert); canary skipped');
      return 'error';
    }
    const { result } = await this.opts.sendTo(workerId, { type: 'check-alerts', payload: { alerts: [alert] } }, { timeoutMs: settings.requestTimeoutMs, signal });
    if (result.ok) return 'ok';
    return result.status === 403 ? 'blocked' : 'error';
  }
}

/** The next rung, whatever the streak (an operator's trigger without a step). */
function decideNext(state: LadderState, where: { region: string; app: string | null }, settings: LadderSettings): PlannedStep | null {
  const d = decide({ state: { ...state, streak: settings.threshold }, where, settings: { ...settings, enabled: true, cooldownMs: 0, maxPerHour: Number.MAX_SAFE_INTEGER }, now: 0, fleetStepTimes: [], inProgress: false });
  return d.act === 'step' ? d.step : null;
}
