/**
 * The primary/standby monitor: the I/O around the pure state machine (machine.ts). One loop does
 * everything in order (check the primary, run a failover or fail-back step), feeds each outcome
 * to `decide`, and persists the state to STANDBY_STATUS_FILE after every change, so a monitor
 * killed at any point resumes at the step it was in. Steps are idempotent (the sync is a copy,
 * the activators look before they start), so resuming never starts a second standby.
 */
import type { Logger } from '../observability/logger.js';
import type { StandbyMetrics } from '../observability/metrics.js';
import type { StandbyPayload } from '../notify/types.js';
import type { Activator } from './activators/types.js';
import { checkHealth, type CheckResult } from './health-check.js';
import {
  activeSide,
  decide,
  initialState,
  resume,
  type FailbackStep,
  type FailoverStep,
  type NextAction,
  type StandbyDecision,
  type StandbyState,
  type StandbyStateName,
  type StandbyTiming,
} from './machine.js';
import { rcloneCopy } from './rclone.js';
import { CHECKS_KEPT, readStatus, writeStatus, type StandbyStatus } from './status-file.js';

const STATES: StandbyStateName[] = ['primary-active', 'confirming', 'failing-over', 'standby-active', 'failing-back'];

export interface StandbySyncOptions {
  /** STATE_DIR. */
  stateDir: string;
  /** `RCLONE_REMOTE:RCLONE_PATH`, or the folder RCLONE_PATH. */
  remote: string;
  /** RCLONE_BIN. */
  bin: string;
  /** SYNC_TIMEOUT in ms. */
  timeoutMs: number;
}

export interface StandbyMonitorOptions {
  statusFile: string;
  timing: StandbyTiming;
  /** LOCAL_HEALTH_URL. */
  primaryUrl: string;
  /** FLY_HEALTH_URL: waited for after activation; unset, the standby is announced once started. */
  standbyUrl?: string;
  /** STANDBY_CHECK_TIMEOUT in ms. */
  checkTimeoutMs: number;
  /** STANDBY_READY_TIMEOUT in ms. */
  readyTimeoutMs: number;
  /** No sync without STATE_DIR. */
  sync?: StandbySyncOptions;
  activator: Activator;
  /** Queues a notification (the outbox); must not throw for a delivery problem. */
  notify: (payload: StandbyPayload) => Promise<void>;
  logger: Logger;
  metrics?: StandbyMetrics;
  clock?: () => number;
}

/** What an operator's command gave. */
export interface CommandOutcome {
  /** Set when the command does not apply now (nothing changed). */
  refused?: string;
  state: StandbyState;
}

/** Runs the monitor; `start()` once, `stop()` on shutdown (the standby, if up, stays up). */
export class StandbyMonitor {
  private status!: StandbyStatus;
  private next: NextAction = { kind: 'check', inMs: 0 };
  private dueAt = 0;
  private readonly stopper = new AbortController();
  private wakeUp: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private persisting: Promise<void> = Promise.resolve();
  private readonly clock: () => number;
  private readonly log: Logger;

  constructor(private readonly opts: StandbyMonitorOptions) {
    this.clock = opts.clock ?? Date.now;
    this.log = opts.logger;
  }

  /** Loads the status file (or starts as primary-active) and starts the loop where the state left off. */
  async start(): Promise<void> {
    await this.load();
    await this.recheckStandby();
    this.loop = this.run();
  }

  /** A standby recorded as active that no longer runs (it crashed, or was stopped by hand) is started again. */
  private async recheckStandby(): Promise<void> {
    if (this.status.state.name !== 'standby-active') return;
    let running;
    try {
      running = await this.opts.activator.inspect(AbortSignal.any([this.stopper.signal, AbortSignal.timeout(this.opts.checkTimeoutMs * 3)]));
    } catch (err) {
      this.log.warn({ err }, 'could not look at the standby on start-up; assuming it still runs');
      return;
    }
    if (running) return;
    this.log.warn({ machine: this.status.machine }, 'the standby recorded as active is not running; starting it again');
    await this.apply(decide(this.status.state, { type: 'standby-lost' }, this.clock(), this.opts.timing));
  }

  /** Loads the status file without running anything (for commands run without a monitor). */
  async load(): Promise<StandbyStatus> {
    const saved = await readStatus(this.opts.statusFile);
    const now = this.clock();
    const state = saved?.state ?? initialState(now);
    this.status = {
      version: 1,
      state,
      active: activeSide(state),
      updatedAt: now,
      provider: this.opts.activator.provider,
      checks: saved?.checks ?? [],
      standbyChecks: saved?.standbyChecks ?? [],
      ...(saved?.lastSync && { lastSync: saved.lastSync }),
      ...(saved?.lastGoodSync && { lastGoodSync: saved.lastGoodSync }),
      ...(saved?.machine && { machine: saved.machine }),
      // A previous monitor's endpoint is stale; the running one records its own.
    };
    if (saved && saved.provider !== this.opts.activator.provider && saved.machine) {
      this.log.warn({ saved: saved.provider, now: this.opts.activator.provider }, 'MACHINE_PROVIDER changed while a standby was recorded; the old one is not managed any more');
    }
    this.next = resume(state);
    this.dueAt = now;
    this.showState();
    if (saved) {
      this.log.info({ state: state.name, ...('step' in state && { step: state.step }) }, `standby monitor resumes in ${state.name}${'step' in state ? ` at step ${state.step}` : ''}`);
    }
    await this.persist();
    return this.snapshot();
  }

  /** Stops the loop (a step in progress is aborted and re-run on the next start) and waits for it. */
  async stop(): Promise<void> {
    this.stopper.abort(new Error('standby monitor stopping'));
    this.wakeUp?.();
    await this.loop;
    await this.persisting;
  }

  /** Records (or, with undefined, clears) the endpoint the monitor serves, for the CLI to find. */
  async setEndpoint(url: string | undefined): Promise<void> {
    if (url) this.status.endpoint = { url, pid: process.pid };
    else delete this.status.endpoint;
    await this.persist();
  }

  /** A copy of the current status. */
  snapshot(): StandbyStatus {
    return structuredClone(this.status);
  }

  /** Applies an operator's `activate` or `deactivate`; the steps run in the loop. */
  async command(type: 'activate' | 'deactivate'): Promise<CommandOutcome> {
    const d = decide(this.status.state, { type }, this.clock(), this.opts.timing);
    if (d.refused) return { refused: d.refused, state: this.status.state };
    this.log.info({ command: type }, `operator command: ${type}`);
    await this.apply(d);
    this.wakeUp?.();
    return { state: this.status.state };
  }

  /** Runs the pending steps, without checks, until the state is stable (for CLI commands without a monitor). */
  async runSteps(): Promise<void> {
    while (this.next.kind === 'step' && !this.stopper.signal.aborted) await this.stepOnce(this.next.step);
  }

  private async run(): Promise<void> {
    const signal = this.stopper.signal;
    while (!signal.aborted) {
      const next = this.next;
      if (next.kind === 'check') {
        await this.sleepUntil(this.dueAt);
        if (signal.aborted) break;
        if (this.next !== next) continue; // an operator's command changed the plan
        const result = await this.checkPrimary();
        if (signal.aborted) break;
        await this.apply(decide(this.status.state, { type: 'check', ok: result.ok }, this.clock(), this.opts.timing));
      } else {
        await this.stepOnce(next.step);
      }
    }
  }

  private async stepOnce(step: FailoverStep | FailbackStep): Promise<void> {
    const signal = this.stopper.signal;
    let ok: boolean;
    try {
      ok = await this.runStep(step, signal);
    } catch (err) {
      if (signal.aborted) return;
      this.log.error({ err, step }, `standby step ${step} failed; retrying in ${this.opts.timing.fastCheckIntervalMs} ms`);
      ok = false;
    }
    if (signal.aborted) return; // re-run on the next start: steps are idempotent
    const d = decide(this.status.state, { type: 'step-done', ok }, this.clock(), this.opts.timing);
    await this.apply(d);
    // A step the machine wants again (activation, deactivation) is retried after a pause.
    if (!ok && d.next.kind === 'step' && d.next.step === step) await this.sleepUntil(this.clock() + this.opts.timing.fastCheckIntervalMs);
  }

  private async runStep(step: FailoverStep | FailbackStep, signal: AbortSignal): Promise<boolean> {
    const state = this.status.state;
    const { activator } = this.opts;
    switch (step) {
      case 'sync':
        return this.sync('to-remote', signal);
      case 'sync-back':
        return this.sync('from-remote', signal);
      case 'activate': {
        const machine = await activator.activate(signal);
        this.status.machine = machine;
        this.log.info({ machine }, `standby started (${machine.provider} ${machine.id})`);
        return true;
      }
      case 'wait-ready':
        return this.waitReady(signal);
      case 'deactivate': {
        await activator.deactivate(signal);
        this.log.info({ machine: this.status.machine }, 'standby stopped');
        // Kept, marked stopped: `vigie standby status` and the fail-back notice name it.
        if (this.status.machine) this.status.machine = { ...this.status.machine, state: 'stopped' };
        return true;
      }
      case 'announce': {
        if (state.name !== 'failing-over' && state.name !== 'failing-back') return true;
        const payload: StandbyPayload = {
          event: 'standby',
          kind: state.name === 'failing-over' ? 'failover' : 'failback',
          id: state.id,
          reason: state.reason,
          syncOk: this.opts.sync ? (state.syncOk ?? null) : null,
          ready: state.name === 'failing-over' && this.opts.standbyUrl ? (state.ready ?? null) : null,
          provider: activator.provider,
          machine: this.status.machine?.id ?? null,
          at: this.clock(),
        };
        try {
          await this.opts.notify(payload);
        } catch (err) {
          // The transition is done whatever happens to its notification: it is logged here.
          this.log.error({ err, standby: payload }, 'could not queue the standby notification');
        }
        return true;
      }
    }
  }

  private async sync(direction: 'to-remote' | 'from-remote', signal: AbortSignal): Promise<boolean> {
    const s = this.opts.sync;
    if (!s) return true;
    const [from, to] = direction === 'to-remote' ? [s.stateDir, s.remote] : [s.remote, s.stateDir];
    const result = await rcloneCopy(from, to, { bin: s.bin, timeoutMs: s.timeoutMs, signal, clock: this.clock });
    if (signal.aborted) return false;
    this.opts.metrics?.syncs.inc({ direction, outcome: result.ok ? 'ok' : 'failed' });
    this.opts.metrics?.syncDuration.observe(result.durationMs / 1000);
    this.status.lastSync = { ...result, direction };
    if (result.ok) {
      this.status.lastGoodSync = { ...result, direction };
      this.log.info({ from, to, durationMs: result.durationMs }, `state copied ${direction} in ${result.durationMs} ms`);
    } else {
      const onward = direction === 'to-remote' ? 'the failover goes on; the standby starts from the last good copy' : 'the fail-back goes on; the primary keeps its own state';
      this.log.warn({ from, to, error: result.error, lastGood: this.status.lastGoodSync?.at }, `WARNING: state sync ${direction} failed (${result.error}); ${onward}`);
    }
    return result.ok;
  }

  private async waitReady(signal: AbortSignal): Promise<boolean> {
    const url = this.opts.standbyUrl;
    if (!url) return true;
    const deadline = this.clock() + this.opts.readyTimeoutMs;
    const every = Math.min(1000, this.opts.timing.fastCheckIntervalMs);
    for (;;) {
      const left = deadline - this.clock();
      const r = await checkHealth(url, Math.max(1, Math.min(this.opts.checkTimeoutMs, left)), signal, this.clock);
      if (signal.aborted) return false;
      this.record('standby', r);
      if (r.ok) {
        this.log.info({ latencyMs: r.latencyMs }, 'standby answers healthy');
        return true;
      }
      if (this.clock() + every >= deadline) {
        this.log.warn({ reason: r.reason, timeoutMs: this.opts.readyTimeoutMs }, `WARNING: the standby did not answer healthy within ${this.opts.readyTimeoutMs} ms (${r.reason}); announcing anyway`);
        return false;
      }
      await this.sleepUntil(this.clock() + every);
      if (signal.aborted) return false;
    }
  }

  private async checkPrimary(): Promise<CheckResult> {
    const r = await checkHealth(this.opts.primaryUrl, this.opts.checkTimeoutMs, this.stopper.signal, this.clock);
    if (this.stopper.signal.aborted) return r;
    this.record('primary', r);
    this.opts.metrics?.checkDuration.observe(r.latencyMs / 1000);
    const state = this.status.state;
    if (!r.ok) {
      this.log.warn({ reason: r.reason, status: r.status, latencyMs: r.latencyMs, state: state.name }, `primary check failed: ${r.reason}`);
    } else if (state.name !== 'primary-active') {
      this.log.info({ latencyMs: r.latencyMs, state: state.name }, 'primary check ok');
    } else {
      this.log.debug({ latencyMs: r.latencyMs }, 'primary check ok');
    }
    return r;
  }

  private record(target: 'primary' | 'standby', r: CheckResult): void {
    const list = target === 'primary' ? this.status.checks : this.status.standbyChecks;
    list.push(r);
    if (list.length > CHECKS_KEPT) list.splice(0, list.length - CHECKS_KEPT);
    this.opts.metrics?.checks.inc({ target, outcome: r.ok ? 'ok' : 'failed' });
  }

  /** Takes a decision: logs and counts a transition, persists, plans the next action. */
  private async apply(d: StandbyDecision): Promise<void> {
    const before = this.status.state;
    if (d.transition) {
      const { from, to } = d.transition;
      this.opts.metrics?.transitions.inc({ from, to });
      const level = to === 'failing-over' || to === 'standby-active' ? 'warn' : 'info';
      this.log[level]({ from, to, ...('id' in d.state && { failover: d.state.id }) }, `standby: ${from} → ${to}`);
    } else if ('step' in d.state && (!('step' in before) || before.step !== d.state.step)) {
      this.log.info({ step: d.state.step, state: d.state.name }, `standby: ${d.state.name}, step ${d.state.step}`);
    }
    this.status.state = d.state;
    this.status.active = activeSide(d.state);
    this.next = d.next;
    if (d.next.kind === 'check') this.dueAt = this.clock() + d.next.inMs;
    this.showState();
    await this.persist();
  }

  private showState(): void {
    for (const s of STATES) this.opts.metrics?.state.set({ state: s }, s === this.status.state.name ? 1 : 0);
  }

  /** Writes the status file; writes are chained so that the last one written is the newest. */
  private persist(): Promise<void> {
    this.status.updatedAt = this.clock();
    const copy = this.snapshot();
    this.persisting = this.persisting.then(() =>
      writeStatus(this.opts.statusFile, copy).catch((err: unknown) => {
        this.log.error({ err, file: this.opts.statusFile }, 'could not write the standby status file; a restart would resume from the previous state');
      }),
    );
    return this.persisting;
  }

  /** Sleeps until `at` (epoch ms), or until woken by a command or the stop. */
  private sleepUntil(at: number): Promise<void> {
    const ms = Math.max(0, at - this.clock());
    if (this.stopper.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.wakeUp === done) this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }
}
