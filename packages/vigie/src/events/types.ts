/**
 * What happens in a coordinator, as typed events. One writer per event family: the fleet emits
 * `worker.*`, the cycle runner `cycle.*` and `matches.recorded`, the elector's owner
 * `leadership.*`, the config store's owner `config.changed`, the failover ladder `failover.*`.
 * Payloads are plain JSON (the live feed sends them as they are) and hold no secret.
 */

/** A worker's identity as events and the live feed show it. */
export interface WorkerInfo {
  id: string;
  name: string;
  region: string;
  url: string;
  origin: 'config' | 'runtime';
}

/** The fields an update may change (PATCH /api/v1/worker/main/workers/:id, the failover ladder). */
export interface WorkerChanges {
  url?: string;
  region?: string;
  name?: string;
}

/** Why a ban ended before or at its term. */
export type UnbanReason = 'expired' | 'canary' | 'operator' | 'failover';

/** A cycle's totals: the `cycle.ended` event, and the head of the run-once answer. */
export interface CycleTotals {
  runId: string | null;
  trigger: 'schedule' | 'manual';
  status: 'ok' | 'partial' | 'failed' | 'skipped';
  durationMs: number;
  alertsTotal: number;
  alertsChecked: number;
  alertsFailed: number;
  matches: number;
  errors: number;
  workersOk: number;
  workersFailed: number;
}

export interface FleetEventMap {
  'worker.added': { worker: WorkerInfo };
  'worker.removed': { workerId: string; name: string; url: string };
  'worker.updated': { workerId: string; changes: WorkerChanges; previous: WorkerChanges; source: 'operator' | 'failover' };
  'worker.health': { workerId: string; healthy: boolean; reason: string | null };
  'worker.banned': { workerId: string; until: number; banCount: number; reason: string; status?: number };
  'worker.unbanned': { workerId: string; reason: UnbanReason };

  'cycle.started': { runId: string; trigger: string; alerts: number; workers: number };
  'cycle.batch': {
    runId: string;
    workerId: string;
    ok: boolean;
    alerts: number;
    alertsChecked: number;
    matches: number;
    /** Round of the cycle: 1 for the first split, 2+ for re-dispatched alerts. */
    round: number;
    durationMs: number;
    error?: string;
  };
  'cycle.redispatched': { runId: string; alerts: number; workers: string[]; unassigned: number };
  'cycle.ended': CycleTotals;
  'matches.recorded': { runId: string; workerId: string; count: number };

  'leadership.gained': { fencing: number };
  'leadership.lost': { reason: string };
  'config.changed': { keys: string[] };

  'failover.step': {
    workerId: string;
    step: string;
    fromValue: string | null;
    toValue: string | null;
    ok: boolean;
    reason: string;
    error: string | null;
  };
  'failover.exhausted': { workerId: string; reason: string };
  'failover.streak': { workerId: string; streak: number };
}

export type FleetEventType = keyof FleetEventMap;
