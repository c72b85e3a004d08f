import type { WorkerSnapshot } from './fleet.js';
import { isBanned } from './policy/bans.js';

/** The stats answer of `GET /api/v1/worker/main/stats`: the seed's fields exactly, plus why a worker is out. */
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
    /** Why it is banned (e.g. "HTTP 403"), while it is. */
    banReason: string | null;
    requestCount: number;
    successCount: number;
    errorCount: number;
    successRate: number;
    /** Why the last health check or command failed, while it is unhealthy. */
    lastError: string | null;
    lastSeenAt: string | null;
    /** Commands sent and not answered yet. */
    inFlight: number;
    /** Median and 95th percentile of its last 64 command latencies, ms (null before the first). */
    latencyP50Ms: number | null;
    latencyP95Ms: number | null;
  }>;
}

/** The stats answer's counts alone, without a row per worker (the metrics read them every second). */
export function fleetCounts(workers: readonly WorkerSnapshot[], now: number): Pick<FleetStats, 'totalWorkers' | 'availableWorkers' | 'bannedWorkers' | 'unhealthyWorkers'> {
  let available = 0;
  let banned = 0;
  let unhealthy = 0;
  for (const w of workers) {
    const isOut = isBanned(w.bannedUntil, now);
    if (w.healthy && !isOut) available++;
    if (isOut) banned++;
    if (!w.healthy) unhealthy++;
  }
  return { totalWorkers: workers.length, availableWorkers: available, bannedWorkers: banned, unhealthyWorkers: unhealthy };
}

const NO_LATENCY = () => ({ p50: null, p95: null });

/** The stats answer for `workers` at `now`; `latency` gives each worker's p50/p95 (Fleet.latency). */
export function fleetStats(workers: readonly WorkerSnapshot[], now: number, latency: (id: string) => { p50: number | null; p95: number | null } = NO_LATENCY): FleetStats {
  const rows = workers.map((w) => {
    const banned = isBanned(w.bannedUntil, now);
    const { p50, p95 } = latency(w.id);
    return {
      id: w.id,
      name: w.name,
      region: w.region,
      url: w.url,
      isHealthy: w.healthy,
      isBanned: banned,
      bannedUntil: banned ? new Date(w.bannedUntil!).toISOString() : null,
      banReason: banned ? w.banReason : null,
      requestCount: w.requestCount,
      successCount: w.successCount,
      errorCount: w.errorCount,
      // A worker that has served nothing has failed nothing: 0 requests shows 100.
      successRate: w.requestCount === 0 ? 100 : Math.round((w.successCount / w.requestCount) * 10_000) / 100,
      lastError: w.lastError,
      lastSeenAt: w.lastSeenAt === null ? null : new Date(w.lastSeenAt).toISOString(),
      inFlight: w.inFlight,
      latencyP50Ms: p50 === null ? null : Math.round(p50 * 10) / 10,
      latencyP95Ms: p95 === null ? null : Math.round(p95 * 10) / 10,
    };
  });
  return { ...fleetCounts(workers, now), workers: rows };
}
