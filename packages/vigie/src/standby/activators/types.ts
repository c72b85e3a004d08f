/**
 * How the standby site is brought up and down. Both operations are idempotent and look before
 * they act: `activate` returns the standby already running instead of starting a second one, so
 * a monitor that resumes an interrupted failover can simply run the step again.
 */

/** The standby as an activator sees it. */
export interface StandbyMachine {
  /** `local` or `fly`. */
  provider: string;
  /** A pid (local) or a Fly machine id. */
  id: string;
  /** `running`, `started`, `stopped`… as the provider says. */
  state: string;
  /** When it was started (epoch ms), when known. */
  startedAt?: number;
  /** Provider details worth showing (region, command); never a secret. */
  detail?: Record<string, unknown>;
}

/** Brings the standby up and down (MACHINE_PROVIDER: `local` or `fly`). */
export interface Activator {
  readonly provider: string;
  /** Starts the standby unless it already runs; resolves with it once started (not necessarily healthy). */
  activate(signal: AbortSignal): Promise<StandbyMachine>;
  /** Stops the standby if it runs; resolves once it is stopped. */
  deactivate(signal: AbortSignal): Promise<void>;
  /** The standby if it runs now, else undefined. */
  inspect(signal: AbortSignal): Promise<StandbyMachine | undefined>;
}
