import type { WorkerEntry } from '../config/load.js';
import { VigieError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Store, WorkerOrigin } from '../store/index.js';
import { isBanned } from './policy/bans.js';

/** What the coordinator knows of one worker: its entry, its health, its ban, its counters. */
export interface WorkerState {
  id: string;
  name: string;
  region: string;
  url: string;
  origin: WorkerOrigin;
  healthy: boolean;
  lastCheckAt: number | null;
  lastError: string | null;
  bannedUntil: number | null;
  banCount: number;
  banReason: string | null;
  requestCount: number;
  successCount: number;
  errorCount: number;
}

/** The stats answer of `GET /api/v1/worker/main/stats` (the seed's fields, exactly). */
export interface FleetStats {
  totalWorkers: number;
  availableWorkers: number;
  bannedWorkers: number;
  unhealthyWorkers: number;
  workers: Array<{
    id: string;
    name: string;
    region: string;
    url: string;
    isHealthy: boolean;
    isBanned: boolean;
    bannedUntil: string | null;
    requestCount: number;
    successCount: number;
    errorCount: number;
    successRate: number;
    lastError: string | null;
  }>;
}

/**
 * The worker registry and its state, in memory for the hot path and written to the store so
 * that bans, health and counters survive a restart. Counters are written behind, in batches
 * (`flush`), so that dispatching a command costs no database write: a crash loses at most one
 * flush interval of counts, never a ban (bans are written at once).
 */
export class Fleet {
  private readonly workers = new Map<string, WorkerState>();
  private readonly pending = new Map<string, { requests: number; successes: number; errors: number }>();

  private constructor(
    private readonly store: Store,
    private readonly logger: Logger,
  ) {}

  /** Registers the config file's workers, then loads runtime ones and every saved status. */
  static async load(store: Store, configWorkers: readonly WorkerEntry[], logger: Logger): Promise<Fleet> {
    const fleet = new Fleet(store, logger);
    const saved = await store.workers.list();
    // Config is the truth for its workers: one dropped from the file is dropped from the fleet.
    const inConfig = new Set(configWorkers.map((w) => w.id));
    for (const w of saved) if (w.origin === 'config' && !inConfig.has(w.id)) await store.workers.remove(w.id);
    for (const w of configWorkers) {
      await store.workers.upsert({ id: w.id, name: w.name ?? w.id, region: w.region ?? 'unknown', url: w.url, origin: 'config' });
    }
    const statuses = new Map((await store.workers.listStatus()).map((s) => [s.workerId, s]));
    for (const w of await store.workers.list()) {
      const s = statuses.get(w.id);
      fleet.workers.set(w.id, {
        id: w.id, name: w.name, region: w.region, url: w.url, origin: w.origin,
        // Unknown health counts as healthy: the first check runs at once, and a dead worker
        // found by a dispatch first is ejected passively and retried elsewhere.
        healthy: s?.isHealthy ?? true,
        lastCheckAt: s?.lastCheckAt ?? null,
        lastError: s?.lastError ?? null,
        bannedUntil: s?.bannedUntil ?? null,
        banCount: s?.banCount ?? 0,
        banReason: s?.banReason ?? null,
        requestCount: s?.requestCount ?? 0,
        successCount: s?.successCount ?? 0,
        errorCount: s?.errorCount ?? 0,
      });
    }
    return fleet;
  }

  /** Every worker, in registration order. */
  list(): WorkerState[] {
    return [...this.workers.values()];
  }

  /** One worker, or undefined. */
  get(id: string): WorkerState | undefined {
    return this.workers.get(id);
  }

  /** Adds a worker at run time (persisted, origin `runtime`); an existing id is an error. */
  async add(entry: WorkerEntry): Promise<WorkerState> {
    if (this.workers.has(entry.id)) {
      throw new VigieError('WORKER_EXISTS', `A worker with id "${entry.id}" is already registered; remove it first or pick another id.`, 409);
    }
    const w = await this.store.workers.upsert({ id: entry.id, name: entry.name ?? entry.id, region: entry.region ?? 'unknown', url: entry.url, origin: 'runtime' });
    const state: WorkerState = {
      id: w.id, name: w.name, region: w.region, url: w.url, origin: 'runtime',
      healthy: true, lastCheckAt: null, lastError: null, bannedUntil: null, banCount: 0, banReason: null,
      requestCount: 0, successCount: 0, errorCount: 0,
    };
    this.workers.set(w.id, state);
    this.logger.info({ worker: w.id, url: w.url }, `worker ${w.name} (${w.region}) added`);
    return state;
  }

  /** Removes a worker; unknown id → WORKER_NOT_FOUND. */
  async remove(id: string): Promise<void> {
    const w = this.workers.get(id);
    if (!w) throw new VigieError('WORKER_NOT_FOUND', `No worker with id "${id}".`, 404);
    await this.store.workers.remove(id);
    this.workers.delete(id);
    this.pending.delete(id);
    this.logger.info({ worker: id }, `worker ${w.name} (${w.region}) removed`);
  }

  /** Records a health result; returns true when the health changed (the caller logs changes only). */
  async setHealth(id: string, healthy: boolean, error: string | null, now: number): Promise<boolean> {
    const w = this.workers.get(id);
    if (!w) return false;
    const changed = w.healthy !== healthy;
    w.healthy = healthy;
    w.lastCheckAt = now;
    w.lastError = healthy ? null : error;
    if (changed) await this.store.workers.saveStatus({ workerId: id, isHealthy: healthy, lastCheckAt: now, lastError: w.lastError });
    return changed;
  }

  /** Bans a worker until `until` (written at once: a ban must survive a crash). */
  async ban(id: string, until: number, banCount: number, reason: string): Promise<void> {
    const w = this.workers.get(id);
    if (!w) return;
    w.bannedUntil = until;
    w.banCount = banCount;
    w.banReason = reason;
    await this.store.workers.saveStatus({ workerId: id, bannedUntil: until, banCount, banReason: reason });
  }

  /** Counts one request's outcome, in memory now and in the store at the next flush. */
  recordOutcome(id: string, success: boolean): void {
    const w = this.workers.get(id);
    if (!w) return;
    w.requestCount++;
    if (success) w.successCount++;
    else w.errorCount++;
    const p = this.pending.get(id) ?? { requests: 0, successes: 0, errors: 0 };
    p.requests++;
    if (success) p.successes++;
    else p.errors++;
    this.pending.set(id, p);
  }

  /** Writes the counters gathered since the last flush. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.entries()];
    this.pending.clear();
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

  /** The stats answer at `now`. */
  stats(now: number): FleetStats {
    const workers = this.list().map((w) => {
      const banned = isBanned(w.bannedUntil, now);
      return {
        id: w.id,
        name: w.name,
        region: w.region,
        url: w.url,
        isHealthy: w.healthy,
        isBanned: banned,
        bannedUntil: banned ? new Date(w.bannedUntil!).toISOString() : null,
        requestCount: w.requestCount,
        successCount: w.successCount,
        errorCount: w.errorCount,
        // A worker that has served nothing has failed nothing: 0 requests shows 100.
        successRate: w.requestCount === 0 ? 100 : Math.round((w.successCount / w.requestCount) * 10_000) / 100,
        lastError: w.lastError,
      };
    });
    return {
      totalWorkers: workers.length,
      availableWorkers: workers.filter((w) => w.isHealthy && !w.isBanned).length,
      bannedWorkers: workers.filter((w) => w.isBanned).length,
      unhealthyWorkers: workers.filter((w) => !w.isHealthy).length,
      workers,
    };
  }
}
