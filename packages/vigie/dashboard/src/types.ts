// What the page reads from the coordinator. The live feed's events are the server's own types
// (src/events/types.ts) and so is the fleet's stats answer, type-only: nothing of the server is
// bundled; the other REST answers are declared here as the page uses them.
import type { FleetStats } from '../../src/coordinator/fleet-stats.js';
import type { FleetEventMap } from '../../src/events/types.js';

export type { FleetEventMap };

/** One feed message's data: the bus event's payload plus its time. */
export type FeedData<K extends keyof FleetEventMap> = FleetEventMap[K] & { at: number };

/** A row of GET /api/v1/worker/main/stats. */
export type WorkerRow = FleetStats['workers'][number];

/** A row of GET /api/v1/alerts/runs. */
export interface RunRow {
  id: string;
  startedAt: number;
  endedAt: number | null;
  trigger: string;
  status: string;
  workers: Array<{ workerId: string; ok: boolean; alertsChecked?: number; error?: string }>;
  alertsTotal: number;
  alertsChecked: number;
  alertsFailed: number;
  matches: number;
  errors: number;
}

/** A row of GET /api/v1/dashboard/matches. */
export interface MatchRow {
  id: string;
  alertId: string;
  alertName: string | null;
  itemId: string;
  item: unknown;
  createdAt: number;
  notifications: Array<{ channel: string; status: 'pending' | 'sent' | 'failed'; attempts: number; lastError: string | null; sentAt: number | null }>;
}

/** GET /api/health, the parts the page shows. */
export interface HealthAnswer {
  version: string;
  uptimeSeconds: number;
  store: { kind: string; reachable: boolean };
  lock: { backend: string; reachable: boolean };
  leadership: { role: 'leader' | 'follower'; holder: string | null; fencing: number | null; leaseLeftMs: number | null };
}

/** The tab's session: the API key and the coordinators to talk to. */
export interface Session {
  key: string;
  nodes: string[];
}
