import { hostname } from 'node:os';
import type { Logger } from '../observability/logger.js';
import { createRepos, type Alert, type AlertRun, type Fence, type Repos, type RunTrigger, type RunWorkerOutcome, type Store } from '../store/index.js';
import type { Dispatcher } from './dispatcher.js';
import type { Fleet } from './fleet.js';
import { selectWorkers } from './policy/availability.js';
import { planRedispatch, remainingWorkers, splitEvenly } from './policy/split.js';

/** How a cycle ended for one alert. */
export type AlertOutcome = { alertId: string; checked: true; workerId: string } | { alertId: string; checked: false; reason: string };

/** What one cycle did, as logged, stored and answered by run-once. */
export interface CycleSummary {
  runId: string | null;
  status: 'ok' | 'partial' | 'failed' | 'skipped';
  trigger: RunTrigger;
  durationMs: number;
  alertsTotal: number;
  alertsChecked: number;
  alertsFailed: number;
  matches: number;
  errors: number;
  workersOk: number;
  workersFailed: number;
  workers: RunWorkerOutcome[];
  failedAlerts: Array<{ alertId: string; reason: string }>;
  skippedReason?: string;
}

/** What a worker's check-alerts answer holds (the seed's fields, plus per-alert failures). */
interface CheckAlertsData {
  matches?: unknown[];
  alertsChecked?: number;
  itemsChecked?: number;
  failed?: Array<{ alertId: string; error: string }>;
}

export interface CycleRunnerOptions {
  store: Store;
  fleet: Fleet;
  dispatcher: Dispatcher;
  logger: Logger;
  /**
   * Timeout of a check-alerts batch of `n` alerts: the job paces its requests (seconds apart),
   * so a batch takes far longer than one command. Default: the dispatcher's timeout.
   */
  batchTimeoutMs?: (n: number) => number;
  /** Who opens the runs, stored on each (default `<host>:<pid>`). */
  owner?: string;
  /** Handed each batch's matches (the match pipeline plugs in here). */
  onMatches?: (matches: unknown[], ctx: { runId: string; workerId: string; alerts: Alert[]; failed: Array<{ alertId: string }>; fence?: Fence | undefined }) => Promise<number>;
}

/** Where a cycle comes from, and the leader's fence its writes carry. */
export interface CycleContext {
  /** The schedule slot (`alert-cycle:<interval>:<slot start>`); a slot runs at most once, whoever leads. */
  slotKey?: string;
  fence?: Fence | undefined;
}

/**
 * One alert cycle: active alerts split evenly over the available workers, one `check-alerts`
 * per worker in parallel; a batch whose worker fails is split again over the workers that have
 * not failed in this cycle, round after round, until every alert is checked or no worker is
 * left for it (then it is reported failed, with the reason).
 */
export class CycleRunner {
  constructor(private readonly opts: CycleRunnerOptions) {}

  /** Runs one cycle now. */
  async run(trigger: RunTrigger, extra: CycleContext = {}): Promise<CycleSummary> {
    const { store, logger } = this.opts;
    const started = Date.now();
    const alerts = await store.alerts.list({ activeOnly: true });
    if (alerts.length === 0) {
      logger.debug('alert cycle skipped: no active alert');
      return emptySummary(trigger, 'no active alert');
    }
    const { fence } = extra;
    // The run row is the slot's claim: SLOT_TAKEN if it ran already, FENCED if a newer leader wrote.
    const run = await fenced(store, fence, (r) =>
      r.alertRuns.start({
        trigger, alertsTotal: alerts.length, startedAt: started, slotKey: extra.slotKey ?? null, fencingToken: fence?.token ?? null,
        owner: this.opts.owner ?? `${hostname()}:${process.pid}`, deadlineAt: started + this.deadlineMs(alerts.length), alertIds: alerts.map((a) => a.id),
      }),
    );
    try {
      return await this.dispatchAll(run, alerts, trigger, started, fence);
    } catch (err) {
      // A write that failed (store down, fenced): close the run as failed with the reason if the
      // store takes it; if not, the leader's janitor closes it as abandoned (run-janitor.ts).
      const reason = err instanceof Error ? err.message : String(err);
      await fenced(store, fence, (r) => r.alertRuns.finish(run.id, { status: 'failed', summary: { error: reason } })).catch(() => undefined);
      logger.error({ runId: run.id, err: reason }, `alert cycle failed: ${reason}`);
      throw err;
    }
  }

  /** The longest a run may take: every round of re-dispatch timing out, plus a minute. */
  private deadlineMs(alerts: number): number {
    const batch = this.opts.batchTimeoutMs?.(alerts) ?? 30_000;
    return batch * (this.opts.fleet.list().length + 1) + 60_000;
  }

  private async dispatchAll(run: AlertRun, alerts: Alert[], trigger: RunTrigger, started: number, fence: Fence | undefined): Promise<CycleSummary> {
    const { store, fleet, logger } = this.opts;
    const workerIds = selectWorkers(fleet.list().map((w) => ({ id: w.id, healthy: w.healthy, bannedUntil: w.bannedUntil })), started).workerIds;
    logger.info({ runId: run.id, alerts: alerts.length, workers: workerIds.length }, `alert cycle started (${alerts.length} alert(s), ${workerIds.length} worker(s))`);

    const outcomes = new Map<string, AlertOutcome>();
    const perWorker: RunWorkerOutcome[] = [];
    const failedWorkers = new Set<string>();
    let matches = 0;
    let errors = 0;
    let lastError = workerIds.length === 0 ? 'NO_WORKER_AVAILABLE: every worker is banned or none is registered' : '';
    let plan = splitEvenly(alerts, workerIds);

    while (plan.size > 0) {
      const redo: Alert[] = [];
      await Promise.all(
        [...plan].map(async ([workerId, batch]) => {
          const t0 = Date.now();
          const timeoutMs = this.opts.batchTimeoutMs?.(batch.length);
          const { result } = await this.opts.dispatcher.sendTo(workerId, { type: 'check-alerts', payload: { alerts: batch } }, timeoutMs ? { timeoutMs } : {});
          if (!result.ok) {
            failedWorkers.add(workerId);
            errors++;
            lastError = `${workerId}: ${result.message}`;
            redo.push(...batch);
            perWorker.push({ workerId, ok: false, alertsChecked: 0, matches: 0, errors: 1, durationMs: Date.now() - t0, error: result.message });
            return;
          }
          const data = (result.data ?? {}) as CheckAlertsData;
          const failedHere = new Map((data.failed ?? []).map((f) => [f.alertId, f.error]));
          for (const a of batch) {
            const reason = failedHere.get(a.id);
            outcomes.set(a.id, reason ? { alertId: a.id, checked: false, reason: `${workerId}: ${reason}` } : { alertId: a.id, checked: true, workerId });
          }
          const found = Array.isArray(data.matches) ? data.matches : [];
          const recorded = this.opts.onMatches ? await this.opts.onMatches(found, { runId: run.id, workerId, alerts: batch, failed: data.failed ?? [], fence }) : found.length;
          matches += recorded;
          errors += failedHere.size;
          perWorker.push({ workerId, ok: true, alertsChecked: batch.length - failedHere.size, matches: recorded, errors: failedHere.size, durationMs: Date.now() - t0 });
        }),
      );
      if (redo.length === 0) break;
      const { assignments, unassigned } = planRedispatch(redo, remainingWorkers(workerIds, failedWorkers));
      if (assignments.size > 0) logger.warn({ runId: run.id, alerts: redo.length, workers: [...assignments.keys()] }, `re-dispatching ${redo.length} alert(s) of failed batches`);
      for (const a of unassigned) outcomes.set(a.id, { alertId: a.id, checked: false, reason: `no worker left in this cycle (last error: ${lastError})` });
      plan = assignments;
    }
    for (const a of alerts) if (!outcomes.has(a.id)) outcomes.set(a.id, { alertId: a.id, checked: false, reason: lastError || 'not dispatched' });

    const failedAlerts = [...outcomes.values()].filter((o): o is Extract<AlertOutcome, { checked: false }> => !o.checked).map((o) => ({ alertId: o.alertId, reason: o.reason }));
    const alertsChecked = alerts.length - failedAlerts.length;
    const status = failedAlerts.length === 0 ? 'ok' : alertsChecked === 0 ? 'failed' : 'partial';
    const summary: CycleSummary = {
      runId: run.id,
      status,
      trigger,
      durationMs: Date.now() - started,
      alertsTotal: alerts.length,
      alertsChecked,
      alertsFailed: failedAlerts.length,
      matches,
      errors,
      workersOk: perWorker.filter((w) => w.ok).length,
      workersFailed: perWorker.filter((w) => !w.ok).length,
      workers: perWorker,
      failedAlerts,
    };
    await fenced(store, fence, (r) => r.alertRuns.finish(run.id, {
      status,
      endedAt: Date.now(),
      workers: perWorker,
      alertsTotal: alerts.length,
      alertsChecked,
      alertsFailed: failedAlerts.length,
      matches,
      errors,
      summary: { failedAlerts, workersOk: summary.workersOk, workersFailed: summary.workersFailed },
    }));
    this.log(summary);
    return summary;
  }

  private log(s: CycleSummary): void {
    const { logger, fleet } = this.opts;
    const line = `Cycle finished in ${(s.durationMs / 1000).toFixed(2)}s: ${s.workersOk}/${s.workersOk + s.workersFailed} worker(s) ok, ${s.alertsChecked}/${s.alertsTotal} alert(s) checked, ${s.matches} match(es), ${s.errors} error(s)`;
    (s.status === 'ok' ? logger.info : logger.warn).call(logger, { runId: s.runId, status: s.status, durationMs: s.durationMs, alertsChecked: s.alertsChecked, alertsFailed: s.alertsFailed, matches: s.matches, errors: s.errors }, line);
    for (const w of s.workers) {
      const state = fleet.get(w.workerId);
      const label = state ? `${state.name} (${state.region})` : w.workerId;
      if (w.ok) logger.info({ runId: s.runId, worker: w.workerId, matches: w.matches, alertsChecked: w.alertsChecked }, `✅ Worker ${label}: ${w.matches} match(es) on ${w.alertsChecked} alert(s)`);
      else logger.warn({ runId: s.runId, worker: w.workerId, error: w.error }, `❌ Worker ${label}: failed - ${w.error}`);
    }
  }
}

/** Runs `write` in a transaction that first checks the leader's fence (when there is one). */
async function fenced<T>(store: Store, fence: Fence | undefined, write: (repos: Repos) => Promise<T>): Promise<T> {
  if (!fence) return write(store);
  return store.db.transaction().execute(async (tx) => {
    const repos = createRepos(tx);
    await repos.fencing.check(fence);
    return write(repos);
  });
}

function emptySummary(trigger: RunTrigger, reason: string): CycleSummary {
  return {
    runId: null, status: 'skipped', trigger, durationMs: 0, alertsTotal: 0, alertsChecked: 0, alertsFailed: 0,
    matches: 0, errors: 0, workersOk: 0, workersFailed: 0, workers: [], failedAlerts: [], skippedReason: reason,
  };
}

export type { AlertRun };
