import type { UnbanReason, WorkerChanges } from '../events/types.js';

/**
 * What the failover ladder needs from the coordinator, as narrow interfaces: the ladder sits
 * below the coordinator in the layers (remediation/ is imported by coordinator/, never the other
 * way), and the coordinator's Fleet, Dispatcher and WorkerClient satisfy these as they are.
 */

/** The worker fields the ladder reads (a live, read-only view: the fleet owns them). */
export interface LadderWorker {
  readonly id: string;
  readonly name: string;
  readonly url: string;
  readonly region: string;
  readonly flyApp: string | null;
  readonly machineId: string | null;
  readonly bannedUntil: number | null;
  readonly banReason: string | null;
  readonly banCount: number;
}

/** The fleet, the one writer of worker state. */
export interface LadderFleet {
  get(id: string): LadderWorker | undefined;
  list(): readonly LadderWorker[];
  update(id: string, changes: WorkerChanges, source: 'failover'): Promise<unknown>;
  ban(id: string, ban: { until: number; banCount: number; reason: string }): Promise<void>;
  unban(id: string, reason: UnbanReason, now: number): Promise<boolean>;
}

/** One command sent to one worker, banned or not (the dispatcher's `sendTo`). */
export type SendTo = (
  workerId: string,
  command: { type: string; payload?: unknown },
  opts: { timeoutMs?: number; signal?: AbortSignal },
) => Promise<{ result: { ok: boolean; status?: number } }>;

/** The worker's health endpoint (the worker client's `health`). */
export type HealthProbe = (url: string, timeoutMs: number, signal?: AbortSignal) => Promise<{ ok: boolean }>;

/** A failed attempt as the dispatcher reports it. */
export interface AttemptReport {
  readonly workerId: string;
  readonly status?: number | undefined;
}

/** True while a ban ending at `bannedUntil` is in force (the same rule as coordinator/policy/bans.ts `isBanned`, passed in to keep one copy). */
export type IsBanned = (bannedUntil: number | null | undefined, now: number) => boolean;
