import type { Logger } from '../../observability/logger.js';

/**
 * Machine providers: what the failover ladder calls to heal a blocked worker, one step per
 * method (restart → other region → other app). A provider acts and reports what changed; it
 * decides nothing (the ladder does: when, which step, cooldowns, caps) and writes nothing to the
 * fleet (the ladder applies the result through the fleet).
 *
 * Every provider runs the same conformance suite (test/remediation/providers.suite.ts).
 */

/** The worker a step acts on, as the fleet knows it. */
export interface ProviderTarget {
  readonly workerId: string;
  /** Base URL the coordinator calls the worker on. */
  readonly url: string;
  readonly region?: string | undefined;
  readonly name?: string | undefined;
  /** Fly app of the worker's machine (`fly` provider; config file `workers[].flyApp` or FLY_APP). */
  readonly flyApp?: string | undefined;
  /** Fly machine id; unknown → the app's single machine is found by listing. */
  readonly machineId?: string | undefined;
}

/** A machine a step has just made, or is about to remove: what a new leader needs to finish or undo the step. */
export interface StepProgress {
  readonly phase: 'created' | 'retiring';
  readonly machineId: string;
  readonly app?: string | undefined;
  readonly region?: string | undefined;
}

/** What a step needs from its caller. */
export interface StepContext {
  /** Aborts the step (leader lost, shutdown); a provider stops at its next call and cleans up what it can. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /**
   * Called before the step goes past a point a crash would leave half-done (a machine created,
   * an old one about to be destroyed), so that the ladder can persist it with its fencing token.
   * A rejection (fenced: a newer leader) stops the step: a machine it created is destroyed.
   */
  readonly checkpoint?: ((progress: StepProgress) => Promise<void>) | undefined;
}

/**
 * What a step left behind: the worker as it now is. The ladder writes `url`, `region`, `name`,
 * `app` (the worker's `flyApp` under `fly`) and `machineId` to the fleet; `detail` goes to the
 * failover history.
 */
export interface StepResult {
  readonly url: string;
  readonly region?: string | undefined;
  readonly name?: string | undefined;
  /** The app the worker now runs in: a Fly app (`fly`), an address pool's label (`local`). */
  readonly app?: string | undefined;
  readonly machineId?: string | undefined;
  /** False when nothing was changed (dry-run). */
  readonly changed: boolean;
  /** One line for people: what was done ("machine 3d8… restarted in cdg"). */
  readonly detail: string;
}

/** The steps of the ladder, in order. */
export type StepKind = 'restart' | 'region' | 'app';

/** One way of healing workers (Fly Machines, local processes, or only logging). */
export interface MachineProvider {
  readonly kind: 'fly' | 'local' | 'dry-run';
  /** Restarts the worker where it is (same address): cheap, clears a crashed or wedged process. */
  restart(target: ProviderTarget, ctx: StepContext): Promise<StepResult>;
  /**
   * Moves the worker to the first of `regions` that can take it (regions equal to the current
   * one are skipped; no capacity → the next). The worker gets a new outbound address.
   * None left → `PROVIDER_EXHAUSTED`.
   */
  moveRegion(target: ProviderTarget, regions: readonly string[], ctx: StepContext): Promise<StepResult>;
  /** Moves the worker to another app (another Fly app, another address pool). */
  switchApp(target: ProviderTarget, app: string, ctx: StepContext): Promise<StepResult>;
  /** Releases what the provider holds (HTTP pools). */
  close(): Promise<void>;
}
