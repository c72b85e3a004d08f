import type { Logger } from '../observability/logger.js';
import { isStoreError, type AlertRun, type Store } from '../store/index.js';
import { abandonReason } from './policy/abandoned.js';

/** How often the leader looks for runs past their deadline, by default. */
const SWEEP_INTERVAL_MS = 15_000;

export interface RunJanitorOptions {
  store: Store;
  logger: Logger;
  sweepIntervalMs?: number;
  now?: () => number;
}

/**
 * Closes abandoned runs (see policy/abandoned.ts) as status "abandoned", every alert of them not
 * checked, with the reason. The leader runs it when it takes the leadership (which is also at
 * start for a single coordinator), then every `sweepIntervalMs` while it leads, so that
 * `alert_runs` never keeps a `running` row past its deadline.
 */
export class RunJanitor {
  private timer: NodeJS.Timeout | undefined;
  private fence: number | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: RunJanitorOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** On election: sweeps now (runs of older leaders included), then periodically until `stop`. */
  start(fence: number | undefined): void {
    this.fence = fence;
    clearInterval(this.timer);
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.opts.sweepIntervalMs ?? SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  /** On demotion or shutdown. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Closes every abandoned run now; never throws (a store outage is logged and retried at the next sweep). */
  async sweep(): Promise<AlertRun[]> {
    const { store, logger } = this.opts;
    const closed: AlertRun[] = [];
    try {
      const now = this.now();
      for (const run of await store.alertRuns.listRunning()) {
        const reason = abandonReason(run, now, this.fence);
        if (!reason) continue;
        const done = await store.alertRuns.abandon(run.id, reason, now);
        if (!done) continue;
        closed.push(done);
        logger.warn(
          { runId: run.id, owner: run.owner, startedAt: new Date(run.startedAt).toISOString(), alerts: done.alertsTotal, reason },
          `alert run ${run.id} closed as abandoned: ${reason}`,
        );
      }
    } catch (err) {
      const code = isStoreError(err) ? err.code : undefined;
      logger.warn({ err: (err as Error).message, code }, 'abandoned runs not closed this time (store error); next sweep retries');
    }
    return closed;
  }
}
