import { isBanned } from './bans.js';

/** What availability needs to know about a worker. */
export interface AvailabilityMember {
  id: string;
  healthy: boolean;
  bannedUntil: number | null;
}

export type SelectionMode =
  /** Healthy and unbanned workers exist: use only them. */
  | 'healthy'
  /** None is healthy: unbanned workers are used anyway (panic routing). */
  | 'unhealthy-fallback'
  /** Every worker is banned, or the fleet is empty. */
  | 'none';

export interface Selection {
  workerIds: readonly string[];
  mode: SelectionMode;
}

/** Ids of the workers that are healthy and not banned at `now`, in fleet order. */
export function availableWorkers(fleet: readonly AvailabilityMember[], now: number): string[] {
  // One loop, one array: this runs on every command.
  const ids: string[] = [];
  for (const w of fleet) if (w.healthy && !isBanned(w.bannedUntil, now)) ids.push(w.id);
  return ids;
}

/**
 * The workers to route to at `now`. Normally the available ones (healthy, unbanned). When none
 * is healthy, fall back to the unbanned-but-unhealthy ones — Envoy's panic routing: health
 * checks run once a minute and may be stale or wrong (the checker's own network blipped), and
 * trying a worker that might be down beats failing every request for sure. Never fall back
 * to banned workers: a ban is a verdict on the worker's address (401/403), not a guess, and
 * the panic rule in bans.ts already keeps the last workers from being banned for a shared cause.
 */
export function selectWorkers(fleet: readonly AvailabilityMember[], now: number): Selection {
  const available = availableWorkers(fleet, now);
  if (available.length > 0) return { workerIds: available, mode: 'healthy' };
  const unbanned: string[] = [];
  for (const w of fleet) if (!isBanned(w.bannedUntil, now)) unbanned.push(w.id);
  if (unbanned.length > 0) return { workerIds: unbanned, mode: 'unhealthy-fallback' };
  return { workerIds: [], mode: 'none' };
}
