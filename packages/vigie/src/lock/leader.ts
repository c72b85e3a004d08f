/**
 * Leader election on a `LockBackend`: every coordinator runs one `LeaderElector` on the same key;
 * the one holding the lock leads, renews every `renewEveryMs` and steps down before its lease
 * ends when it cannot renew (decisions in election.ts). Followers try to take over as often.
 */
import { VigieError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { withDeadline } from '../util/deadline.js';
import { decide, electorTiming, type Decision, type ElectorEvent, type ElectorState, type ElectorTiming } from './election.js';
import { DEFAULT_LEASE_MS, holderIdentity, systemClock, type Clock, type LockBackend, type LockGrant } from './types.js';

/** Code of the leadership signal's abort reason. */
export const LEADERSHIP_LOST = 'LEADERSHIP_LOST' as const;

export interface LeaderElectorOptions {
  backend: LockBackend;
  /** Lock name; default `leader` (Redis key `vigie:leader`). */
  key?: string;
  /** Leadership lease; default 15000 ms. */
  leaseMs?: number;
  /** Renewal (and follower retry) period; default leaseMs / 3. */
  renewEveryMs?: number;
  /** Step down this long before the lease ends without a renewal; default renewEveryMs. */
  safetyMarginMs?: number;
  /** Retry period after a failed renewal; default renewEveryMs / 5. */
  retryEveryMs?: number;
  /** Bound on each backend call; default renewEveryMs. */
  callTimeoutMs?: number;
  logger: Logger;
  clock?: Clock;
  /** Random source in [0, 1) for the followers' jitter. */
  random?: () => number;
  /** The highest fencing number the store has seen (grants will be above it). */
  fencingFloor?: () => number | Promise<number>;
  /** Leadership won: start leader work; `signal` aborts the moment it is lost. */
  onElected?: (grant: LockGrant, signal: AbortSignal) => void | Promise<void>;
  /** Leadership lost or given up: stop leader work (the signal has already been aborted). */
  onDemoted?: (reason: string) => void | Promise<void>;
}

export interface LeaderStatus {
  key: string;
  role: 'leader' | 'follower';
  /** Token of the holder (`host:pid:random`): this process's when leader, the last one seen otherwise. */
  holder: string | null;
  fencing: number | null;
  /** Lease left: the leader's conservative estimate, or the holder's as last seen by a follower. */
  leaseLeftMs: number | null;
  /** When this process took its current role (ms since epoch). */
  since: number;
  /** This process, `host:pid`. */
  self: string;
  running: boolean;
}

/** Runs leader election for one process; `start()` it once, `stop()` it on shutdown. */
export class LeaderElector {
  readonly key: string;
  readonly timing: ElectorTiming;
  private readonly backend: LockBackend;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly callTimeoutMs: number;
  private readonly self = holderIdentity();
  private state: ElectorState;
  private stepDownAt: number | undefined;
  private term: AbortController | undefined;
  private opTimer: NodeJS.Timeout | undefined;
  private guardTimer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private background = new Set<Promise<void>>();
  private observed: { holder: string | null; fencing: number | null; ttlMs: number | null; at: number } | undefined;
  private backendFailing = false;
  private running = false;
  private stopping: Promise<void> | undefined;

  constructor(private readonly opts: LeaderElectorOptions) {
    this.backend = opts.backend;
    this.key = opts.key ?? 'leader';
    this.timing = electorTiming({
      leaseMs: opts.leaseMs ?? DEFAULT_LEASE_MS,
      renewEveryMs: opts.renewEveryMs,
      safetyMarginMs: opts.safetyMarginMs,
      retryEveryMs: opts.retryEveryMs,
    });
    this.logger = opts.logger;
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.callTimeoutMs = opts.callTimeoutMs ?? this.timing.renewEveryMs;
    this.state = { role: 'follower', since: this.clock.now() };
  }

  /** Starts campaigning: a first attempt now, then every renewEveryMs. */
  start(): void {
    if (this.running || this.stopping) return;
    this.running = true;
    this.schedule({ op: 'acquire', inMs: 0 });
  }

  /** Stops campaigning; a leader stops its work (onDemoted 'stopped') and then releases the lock. */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.running = false;
    this.stopping = (async () => {
      clearTimeout(this.opTimer);
      this.opTimer = undefined;
      // Leader work stops now, not after a renewal still out; the lock is freed once it has.
      if (this.state.role === 'leader') {
        const grant = this.state.grant;
        this.apply({ state: { role: 'follower', since: this.clock.now() }, change: 'demoted', reason: 'stopped', release: grant });
      }
      await this.inFlight;
      clearTimeout(this.guardTimer);
      this.guardTimer = undefined;
      while (this.background.size > 0) await Promise.all([...this.background]);
    })();
    return this.stopping;
  }

  /** True while this process leads and its lease is safely ahead (false past the step-down time, even if a timer is late). */
  isLeader(): boolean {
    return this.state.role === 'leader' && this.stepDownAt !== undefined && this.clock.now() < this.stepDownAt;
  }

  /** The fencing number of the current leadership, or null when not leader. */
  currentFencing(): number | null {
    return this.isLeader() && this.state.role === 'leader' ? this.state.grant.fencing : null;
  }

  /** Aborted when the current leadership ends; undefined when not leader. */
  leadershipSignal(): AbortSignal | undefined {
    return this.state.role === 'leader' ? this.term?.signal : undefined;
  }

  /** Role, holder, fencing number and lease left, for /health and `vigie lock status`. */
  status(): LeaderStatus {
    const now = this.clock.now();
    const base = { key: this.key, since: this.state.since, self: this.self, running: this.running };
    if (this.state.role === 'leader') {
      const g = this.state.grant;
      return { ...base, role: 'leader', holder: g.token, fencing: g.fencing, leaseLeftMs: Math.max(0, g.expiresAt - now) };
    }
    const o = this.observed;
    return {
      ...base,
      role: 'follower',
      holder: o?.holder ?? null,
      fencing: o?.fencing ?? null,
      leaseLeftMs: o?.ttlMs == null ? null : Math.max(0, o.ttlMs - (now - o.at)),
    };
  }

  private schedule(next: { op: 'acquire' | 'extend'; inMs: number }): void {
    clearTimeout(this.opTimer);
    this.opTimer = undefined;
    if (!this.running || this.inFlight) return;
    // Followers spread their attempts a little so that they do not all ask at the same moment.
    const jitter = next.op === 'acquire' && next.inMs > 0 ? Math.floor(this.random() * next.inMs * 0.1) : 0;
    this.opTimer = setTimeout(() => this.runOp(next.op), next.inMs + jitter);
  }

  private runOp(op: 'acquire' | 'extend'): void {
    this.opTimer = undefined;
    if (!this.running) return;
    const state = this.state;
    const work = op === 'extend' && state.role === 'leader' ? this.extend(state.grant) : this.acquire();
    const flight = work.then((event) => {
      this.inFlight = undefined;
      this.handle(event);
    });
    this.inFlight = flight;
  }

  private async acquire(): Promise<ElectorEvent> {
    try {
      const grant = await this.bounded(async () => {
        const floor = this.opts.fencingFloor ? await this.opts.fencingFloor() : undefined;
        return this.backend.acquire(this.key, this.timing.leaseMs, floor === undefined ? {} : { fencingFloor: floor });
      });
      this.backendRecovered();
      if (grant) return { type: 'acquired', grant };
      await this.observe();
      return { type: 'held' };
    } catch (error) {
      this.backendFailed(error);
      return { type: 'acquire-error', error };
    }
  }

  private async extend(grant: LockGrant): Promise<ElectorEvent> {
    try {
      const next = await this.bounded(() => this.backend.extend(grant, this.timing.leaseMs));
      this.backendRecovered();
      return next ? { type: 'extended', grant: next } : { type: 'lost' };
    } catch (error) {
      this.backendFailed(error);
      return { type: 'extend-error', error };
    }
  }

  /** Learns who leads, for a follower's status; failures only leave the last view. */
  private async observe(): Promise<void> {
    try {
      const info = await this.bounded(() => this.backend.inspect(this.key));
      this.observed = { ...info, at: this.clock.now() };
    } catch {
      // status() shows the last view; the next attempt tries again
    }
  }

  private handle(event: ElectorEvent): void {
    if (!this.running) {
      // Stopped while the call was out: a lock it brought back is given back.
      if (event.type === 'acquired' || event.type === 'extended') this.releaseLater(event.grant);
      return;
    }
    this.apply(decide(this.state, event, this.clock.now(), this.timing));
  }

  private apply(d: Decision): void {
    const before = this.state;
    this.state = d.state;
    if (d.change === 'elected' && d.state.role === 'leader') {
      const grant = d.state.grant;
      this.term = new AbortController();
      this.observed = undefined;
      this.logger.info(
        { lock: this.key, backend: this.backend.kind, fencing: grant.fencing, holder: grant.token, leaseMs: this.timing.leaseMs },
        `Leader elected (${this.backend.kind} lock) fencing=${grant.fencing}`,
      );
      const signal = this.term.signal;
      this.track(async () => {
        await this.opts.onElected?.(grant, signal);
      }, 'onElected');
    }
    if (d.change === 'demoted') {
      this.stepDownAt = undefined;
      const reason = d.reason ?? 'demoted';
      this.term?.abort(new VigieError(LEADERSHIP_LOST, `Leadership ended: ${reason}.`, 409));
      this.term = undefined;
      const fencing = before.role === 'leader' ? before.grant.fencing : null;
      if (reason === 'stopped') this.logger.info({ lock: this.key, fencing }, 'Leadership given up (stopping)');
      else this.logger.warn({ lock: this.key, fencing, reason }, `Leadership lost: ${reason}`);
      const release = d.release;
      // Leader work stops (onDemoted) before the lock is freed for the next leader.
      this.track(async () => {
        try {
          await this.opts.onDemoted?.(reason);
        } finally {
          if (release) await this.releaseNow(release);
        }
      }, 'onDemoted');
    } else if (d.release) {
      this.releaseLater(d.release);
    }
    if (d.state.role === 'leader' && d.stepDownAt !== undefined) this.armGuard(d.stepDownAt);
    if (d.state.role === 'follower') {
      clearTimeout(this.guardTimer);
      this.guardTimer = undefined;
    }
    if (d.next) this.schedule(d.next);
  }

  /** Steps down at `at` unless a renewal moves it: runs even while a renewal hangs. */
  private armGuard(at: number): void {
    this.stepDownAt = at;
    clearTimeout(this.guardTimer);
    this.guardTimer = setTimeout(() => {
      this.guardTimer = undefined;
      if (this.state.role !== 'leader') return;
      const now = this.clock.now();
      if (now < at) {
        this.armGuard(at); // the timer fired early by the clock's account
        return;
      }
      this.apply(decide(this.state, { type: 'deadline' }, now, this.timing));
    }, Math.max(0, at - this.clock.now()));
  }

  private releaseLater(grant: LockGrant): void {
    this.track(() => this.releaseNow(grant), 'release');
  }

  private async releaseNow(grant: LockGrant): Promise<void> {
    try {
      await this.bounded(() => this.backend.release(grant));
    } catch (err) {
      // Best effort: the lease runs out by itself.
      this.logger.debug({ lock: this.key, err }, 'could not release the leader lock; it will expire');
    }
  }

  private track(fn: () => Promise<void>, what: string): void {
    const p = (async () => {
      try {
        await fn();
      } catch (err) {
        this.logger.error({ lock: this.key, err }, `leader election: ${what} failed`);
      }
    })();
    this.background.add(p);
    void p.finally(() => this.background.delete(p));
  }

  private bounded<T>(fn: () => Promise<T>): Promise<T> {
    return withDeadline(this.callTimeoutMs, () => fn(), () => new Error(`lock backend gave no answer within ${this.callTimeoutMs} ms`));
  }

  private backendFailed(err: unknown): void {
    if (this.backendFailing) return;
    this.backendFailing = true;
    this.logger.warn({ lock: this.key, err: (err as Error | undefined)?.message ?? String(err) }, 'leader election: lock backend unavailable');
  }

  private backendRecovered(): void {
    if (!this.backendFailing) return;
    this.backendFailing = false;
    this.logger.info({ lock: this.key }, 'leader election: lock backend answers again');
  }
}

