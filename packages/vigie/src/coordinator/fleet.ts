import type { WorkerEntry } from '../config/load.js';
import { VigieError } from '../errors.js';
import { EventBus } from '../events/bus.js';
import type { UnbanReason, WorkerChanges, WorkerInfo } from '../events/types.js';
import type { Logger } from '../observability/logger.js';
import type { Store, WorkerIdentity, WorkerOrigin } from '../store/index.js';
import { LatencyWindow } from './latency-window.js';
import { selectWorkers, type Selection } from './policy/availability.js';
import { isBanned } from './policy/bans.js';

/** What the coordinator knows of one worker: its entry, its health, its ban, its counters. */
export interface WorkerState {
  id: string;
  name: string;
  region: string;
  url: string;
  origin: WorkerOrigin;
  /** For a config-file worker changed at run time: the file's entry that the change overrode. */
  configBase: WorkerIdentity | null;
  /** Where the worker runs on Fly.io (config `workers[].flyApp` / `machineId`, then a failover step's). */
  flyApp: string | null;
  machineId: string | null;
  healthy: boolean;
  lastCheckAt: number | null;
  lastError: string | null;
  /** When a command last succeeded on it (a proof of life, like a passed health check). */
  lastSeenAt: number | null;
  bannedUntil: number | null;
  banCount: number;
  banReason: string | null;
  requestCount: number;
  successCount: number;
  errorCount: number;
  /** Commands sent to it and not answered yet. */
  inFlight: number;
}

/** A worker as others see it: a read-only view; only the fleet changes worker state. */
export type WorkerSnapshot = Readonly<WorkerState>;

/** Who asked for a worker's url, region or name to change. */
export type UpdateSource = 'operator' | 'failover';

/**
 * The worker registry and the only writer of worker state. Others read snapshots (`get`,
 * `list`) and subscribe to `events` (worker.added / removed / updated / health / banned /
 * unbanned); every change is emitted once, when it happens. State that must survive a restart
 * (registry, health, bans) is saved here, at once; counters are written behind, in batches
 * (`flush`), so that dispatching a command costs no database write: a crash loses at most one
 * flush interval of counts, never a ban.
 */
export class Fleet {
  private readonly workers = new Map<string, WorkerState>();
  private readonly pending = new Map<string, { requests: number; successes: number; errors: number }>();
  /** Each worker's last command latencies (made on its first command). */
  private readonly latencies = new Map<string, LatencyWindow>();
  /** Bumped by every change that can change `selection`: membership, health, bans. */
  private revision = 0;
  private selected: { revision: number; at: number; validUntil: number; selection: Readonly<Selection> } | undefined;

  private constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    /** The coordinator's event bus; the fleet emits its `worker.*` events there. */
    readonly events: EventBus,
  ) {}

  /** Registers the config file's workers, then loads runtime ones and every saved status. */
  static async load(store: Store, configWorkers: readonly WorkerEntry[], logger: Logger, events = new EventBus({ logger })): Promise<Fleet> {
    const fleet = new Fleet(store, logger, events);
    const saved = new Map((await store.workers.list()).map((w) => [w.id, w]));
    // Config is the truth for its workers: one dropped from the file is dropped from the fleet.
    const inConfig = new Set(configWorkers.map((w) => w.id));
    for (const w of saved.values()) if (w.origin === 'config' && !inConfig.has(w.id)) await store.workers.remove(w.id);
    for (const w of configWorkers) {
      const entry = { url: w.url, region: w.region ?? 'unknown', name: w.name ?? w.id };
      const fly = { flyApp: w.flyApp ?? null, machineId: w.machineId ?? null };
      const prior = saved.get(w.id);
      // A run-time change (PATCH, a failover move) made over this very entry still holds: the
      // machine the file names may be gone. An edited entry in the file wins again.
      if (prior?.origin === 'config' && prior.configBase && sameIdentity(prior.configBase, entry)) {
        logger.info({ worker: w.id, url: prior.url, fileUrl: entry.url }, `worker ${prior.name} keeps its run-time url ${prior.url} (the file says ${entry.url}; edit the file's entry to override)`);
        continue;
      }
      await store.workers.upsert({ id: w.id, ...entry, ...fly, origin: 'config', configBase: null });
    }
    const statuses = new Map((await store.workers.listStatus()).map((s) => [s.workerId, s]));
    for (const w of await store.workers.list()) {
      const s = statuses.get(w.id);
      fleet.workers.set(w.id, {
        id: w.id, name: w.name, region: w.region, url: w.url, origin: w.origin, configBase: w.configBase,
        flyApp: w.flyApp, machineId: w.machineId,
        // Unknown health counts as healthy: the first check runs at once, and a dead worker
        // found by a dispatch first is ejected passively and retried elsewhere.
        healthy: s?.isHealthy ?? true,
        lastCheckAt: s?.lastCheckAt ?? null,
        lastError: s?.lastError ?? null,
        lastSeenAt: null,
        bannedUntil: s?.bannedUntil ?? null,
        banCount: s?.banCount ?? 0,
        banReason: s?.banReason ?? null,
        requestCount: s?.requestCount ?? 0,
        successCount: s?.successCount ?? 0,
        errorCount: s?.errorCount ?? 0,
        inFlight: 0,
      });
    }
    return fleet;
  }

  /**
   * The workers commands may go to at `now` (policy/availability.ts), computed once per change of
   * the fleet instead of once per command: with 5000 workers, copying and filtering the fleet for
   * every command cost ~100 µs, and the balancers could not tell one command's candidates from
   * the last's (balancer/choose.ts caches what it derives from a frozen list). The answer holds
   * until a worker is added, removed, found up or down, banned or unbanned (`changed`), or the
   * next ban ends; a clock that steps back recomputes it too. Frozen: callers share it.
   */
  selection(now: number): Readonly<Selection> {
    const c = this.selected;
    if (c && c.revision === this.revision && now >= c.at && now < c.validUntil) return c.selection;
    const fresh = selectWorkers(this.list(), now);
    let validUntil = Infinity;
    for (const w of this.workers.values()) if (isBanned(w.bannedUntil, now) && w.bannedUntil! < validUntil) validUntil = w.bannedUntil!;
    const selection = Object.freeze({ mode: fresh.mode, workerIds: Object.freeze(fresh.workerIds) });
    this.selected = { revision: this.revision, at: now, validUntil, selection };
    return selection;
  }

  /** Every worker, in registration order (read-only views). */
  list(): readonly WorkerSnapshot[] {
    return [...this.workers.values()];
  }

  /** One worker, or undefined. */
  get(id: string): WorkerSnapshot | undefined {
    return this.workers.get(id);
  }

  /** Adds a worker at run time (persisted, origin `runtime`); an existing id is an error. */
  async add(entry: WorkerEntry): Promise<WorkerSnapshot> {
    if (this.workers.has(entry.id)) {
      throw new VigieError('WORKER_EXISTS', `A worker with id "${entry.id}" is already registered; remove it first (vigie workers rm ${entry.id}) or pick another id.`);
    }
    const fly = { flyApp: entry.flyApp ?? null, machineId: entry.machineId ?? null };
    const w = await this.store.workers.upsert({ id: entry.id, name: entry.name ?? entry.id, region: entry.region ?? 'unknown', url: entry.url, origin: 'runtime', ...fly });
    const state: WorkerState = {
      id: w.id, name: w.name, region: w.region, url: w.url, origin: 'runtime', configBase: null, ...fly,
      healthy: true, lastCheckAt: null, lastError: null, lastSeenAt: null, bannedUntil: null, banCount: 0, banReason: null,
      requestCount: 0, successCount: 0, errorCount: 0, inFlight: 0,
    };
    this.workers.set(w.id, state);
    this.changed();
    this.events.emit('worker.added', { worker: info(state) });
    return state;
  }

  /** Removes a worker; unknown id → WORKER_NOT_FOUND. Listeners of worker.removed drop what they hold for it. */
  async remove(id: string): Promise<void> {
    const w = this.require(id);
    await this.store.workers.remove(id);
    this.workers.delete(id);
    this.changed();
    this.pending.delete(id);
    this.latencies.delete(id);
    this.events.emit('worker.removed', { workerId: id, name: w.name, url: w.url });
  }

  /**
   * Changes a worker's url, region, name (and Fly app and machine) while it runs (an operator's
   * PATCH, the failover ladder moving it). Fields equal to the current ones are not changes; nothing changed emits
   * nothing. A config-file worker remembers the file's entry it overrode (see Fleet.load).
   */
  async update(id: string, changes: WorkerChanges, source: UpdateSource): Promise<WorkerSnapshot> {
    const w = this.require(id);
    const diff: WorkerChanges = {};
    const previous: WorkerChanges = {};
    for (const key of ['url', 'region', 'name', 'flyApp', 'machineId'] as const) {
      const next = changes[key];
      if (next !== undefined && next !== w[key]) {
        diff[key] = next;
        const before = w[key];
        if (before !== null) previous[key] = before;
      }
    }
    if (Object.keys(diff).length === 0) return w;
    const configBase = w.origin === 'config' ? (w.configBase ?? { url: w.url, region: w.region, name: w.name }) : null;
    const next = { url: diff.url ?? w.url, region: diff.region ?? w.region, name: diff.name ?? w.name, flyApp: diff.flyApp ?? w.flyApp, machineId: diff.machineId ?? w.machineId };
    await this.store.workers.upsert({ id, ...next, origin: w.origin, configBase });
    Object.assign(w, next, { configBase });
    this.events.emit('worker.updated', { workerId: id, changes: diff, previous, source });
    return w;
  }

  /** Records a health result; emits worker.health and saves it when the health changed. Returns whether it did. */
  async setHealth(id: string, healthy: boolean, reason: string | null, now: number): Promise<boolean> {
    const w = this.workers.get(id);
    if (!w) return false;
    const changed = w.healthy !== healthy;
    w.lastCheckAt = now;
    if (healthy) w.lastSeenAt = now;
    w.lastError = healthy ? null : reason;
    if (!changed) return false;
    w.healthy = healthy;
    this.changed();
    this.events.emit('worker.health', { workerId: id, healthy, reason: w.lastError });
    await this.store.workers.saveStatus({ workerId: id, isHealthy: healthy, lastCheckAt: now, lastError: w.lastError });
    return true;
  }

  /** Bans a worker until `until` (saved at once: a ban must survive a crash). */
  async ban(id: string, ban: { until: number; banCount: number; reason: string; status?: number }): Promise<void> {
    const w = this.require(id);
    w.bannedUntil = ban.until;
    this.changed();
    w.banCount = ban.banCount;
    w.banReason = ban.reason;
    this.events.emit('worker.banned', { workerId: id, until: ban.until, banCount: ban.banCount, reason: ban.reason, ...(ban.status ? { status: ban.status } : {}) });
    await this.store.workers.saveStatus({ workerId: id, bannedUntil: ban.until, banCount: ban.banCount, banReason: ban.reason });
  }

  /** Ends a ban now (an operator, a passed canary, a failover step); a worker not banned is left as it is. */
  async unban(id: string, reason: UnbanReason, now: number): Promise<boolean> {
    const w = this.require(id);
    if (w.banReason === null && !isBanned(w.bannedUntil, now)) return false;
    w.bannedUntil = null;
    this.changed();
    w.banReason = null;
    this.events.emit('worker.unbanned', { workerId: id, reason });
    await this.store.workers.saveStatus({ workerId: id, bannedUntil: null, banReason: null });
    return true;
  }

  /** Ends, once, the bans whose term has passed (the health checker calls it each round). */
  async expireBans(now: number): Promise<void> {
    for (const w of this.workers.values()) {
      if (w.banReason !== null && w.bannedUntil !== null && !isBanned(w.bannedUntil, now)) {
        w.banReason = null;
        this.events.emit('worker.unbanned', { workerId: w.id, reason: 'expired' });
        // banned_until stays: the ban policy reads when the last ban ended to double a repeat one.
        await this.store.workers.saveStatus({ workerId: w.id, banReason: null });
      }
    }
  }

  /** Membership, health or a ban changed: the next `selection` is computed afresh. */
  private changed(): void {
    this.revision++;
  }

  /** A command to `id` is on its way (the in-flight count that stats show). */
  begin(id: string): void {
    const w = this.workers.get(id);
    if (w) w.inFlight++;
  }

  /** The p50 and p95 of a worker's last command latencies, in ms (null before its first command). */
  latency(id: string): { p50: number | null; p95: number | null } {
    const window = this.latencies.get(id);
    return { p50: window?.percentile(50) ?? null, p95: window?.percentile(95) ?? null };
  }

  /**
   * Counts one request's outcome, in memory now and in the store at the next flush; with its
   * latency, it ends a command that `begin` counted in flight.
   */
  recordOutcome(id: string, success: boolean, now: number, latencyMs?: number): void {
    const w = this.workers.get(id);
    if (!w) return;
    if (latencyMs !== undefined) {
      w.inFlight = Math.max(0, w.inFlight - 1);
      let window = this.latencies.get(id);
      if (!window) this.latencies.set(id, (window = new LatencyWindow()));
      window.add(latencyMs);
    }
    w.requestCount++;
    if (success) {
      w.successCount++;
      w.lastSeenAt = now;
    } else w.errorCount++;
    const p = this.pending.get(id) ?? { requests: 0, successes: 0, errors: 0 };
    p.requests++;
    if (success) p.successes++;
    else p.errors++;
    this.pending.set(id, p);
  }

  /** Writes the counters gathered since the last flush: one statement for all (a cycle touches every worker), one per worker if that fails. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.entries()].filter(([id]) => this.workers.has(id));
    this.pending.clear();
    try {
      await this.store.workers.addCountsMany(batch.map(([id, delta]) => ({ id, delta })));
      return;
    } catch {
      // One worker removed meanwhile, or the store hiccuped: worker by worker, so that one bad
      // row does not hold back the others' counts.
    }
    for (const [id, d] of batch) {
      if (!this.workers.has(id)) continue;
      try {
        await this.store.workers.addCounts(id, d);
      } catch (err) {
        // Put them back: counts are not lost to a store hiccup, they wait for the next flush.
        const p = this.pending.get(id) ?? { requests: 0, successes: 0, errors: 0 };
        this.pending.set(id, { requests: p.requests + d.requests, successes: p.successes + d.successes, errors: p.errors + d.errors });
        this.logger.warn({ err, worker: id }, 'could not write worker counters; will retry');
      }
    }
  }

  private require(id: string): WorkerState {
    const w = this.workers.get(id);
    if (!w) throw new VigieError('WORKER_NOT_FOUND', `No worker with id "${id}"; vigie workers list shows them.`);
    return w;
  }
}

/** A worker's identity as events show it. */
export function info(w: WorkerSnapshot): WorkerInfo {
  return { id: w.id, name: w.name, region: w.region, url: w.url, origin: w.origin };
}

function sameIdentity(a: WorkerIdentity, b: WorkerIdentity): boolean {
  return a.url === b.url && a.region === b.region && a.name === b.name;
}
