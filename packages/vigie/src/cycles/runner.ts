import { hostname } from 'node:os';
import type { EventBus } from '../events/bus.js';
import type { CycleTotals } from '../events/types.js';
import type { Logger } from '../observability/logger.js';
import type { Alert, AlertRun, Fence, RunTrigger, RunWorkerOutcome, Store } from '../store/index.js';
import type { CheckAlertsResult } from '../wire/check-alerts.js';
import { planRedispatch, remainingWorkers, splitEvenly } from './split.js';

/** How a cycle ended for one alert. */
export type AlertOutcome = { alertId: string; checked: true; workerId: string } | { alertId: string; checked: false; reason: string };

/** What one cycle did, as logged, stored and answered by run-once: its totals, then the detail. */
export interface CycleSummary extends CycleTotals {
  trigger: RunTrigger;
  workers: RunWorkerOutcome[];
  failedAlerts: Array<{ alertId: string; reason: string }>;
  skippedReason?: string;
}

/** One batch's answer: the worker's check-alerts `data`, or why the batch failed as a whole. */
export type BatchAnswer = { ok: true; data: Partial<CheckAlertsResult> | undefined } | { ok: false; message: string };

/**
 * Where a cycle's batches go: the coordinator sends them to workers over HTTP; a worker running
 * its own cycles (AUTO_RUN_CYCLE) runs its one batch in-process. The runner is the same.
 */
export interface BatchExecutor {
  /** The workers that may take a batch now, in a stable order. */
  available(now: number): readonly string[];
  /** Runs one check-alerts batch on `workerId`. Never throws: a failure is an answer. */
  send(workerId: string, alerts: Alert[]): Promise<BatchAnswer>;
  /** How logs name a worker, e.g. "Worker FR (cdg)". */
  label(workerId: string): string;
  /** The longest one batch of `alerts` may take (the run's deadline is built from it). */
  batchTimeoutMs?(alerts: number): number;
}

/** A batch's bound when the executor does not say. */
const DEFAULT_BATCH_TIMEOUT_MS = 30_000;

export interface CycleRunnerOptions {
  store: Store;
  executor: BatchExecutor;
  logger: Logger;
  /** Where cycle.* and matches.recorded events go (the coordinator's bus), if anywhere. */
  events?: EventBus;
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
 * left for it (then it is reported failed, with the reason). The one cycle path of Vigie: the
 * coordinator's cycles and a worker's own (AUTO_RUN_CYCLE) run here, their writes under a fence.
 */
export class CycleRunner {
  constructor(private readonly opts: CycleRunnerOptions) {}

  /** Runs one cycle now. */
  async run(trigger: RunTrigger, extra: CycleContext = {}): Promise<CycleSummary> {
    let opened: AlertRun | undefined;
    try {
      return await this.cycle(trigger, extra, (run) => (opened = run));
    } catch (err) {
      // A write that failed (store gone, fenced): the run ends failed with the reason if the store
      // takes that write; if not, the leader's janitor closes it as abandoned (coordinator/run-janitor.ts).
      if (!opened) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      await this.opts.store.fenced(extra.fence, (r) => r.alertRuns.finish(opened!.id, { status: 'failed', summary: { error: reason } })).catch(() => undefined);
      this.opts.logger.error({ runId: opened.id, err: reason }, `alert cycle failed: ${reason}`);
      throw err;
    }
  }

  /** The longest a run may take: every round of re-dispatch timing out, plus a minute. */
  private deadlineMs(alerts: number, workers: number): number {
    return (this.opts.executor.batchTimeoutMs?.(alerts) ?? DEFAULT_BATCH_TIMEOUT_MS) * (workers + 1) + 60_000;
  }

  private async cycle(trigger: RunTrigger, extra: CycleContext, onOpened: (run: AlertRun) => void): Promise<CycleSummary> {
    const { store, executor, logger, events } = this.opts;
    const started = Date.now();
    const alerts = await store.alerts.list({ activeOnly: true });
    if (alerts.length === 0) {
      logger.debug('alert cycle skipped: no active alert');
      const skipped = emptySummary(trigger, 'no active alert');
      events?.emit('cycle.ended', totalsOf(skipped));
      return skipped;
    }
    const { fence } = extra;
    // The run row is the slot's claim: SLOT_TAKEN if it ran already, FENCED if a newer leader wrote.
    const workerIds = executor.available(started);
    const run = await store.fenced(fence, (r) =>
      r.alertRuns.start({
        trigger, alertsTotal: alerts.length, startedAt: started, slotKey: extra.slotKey ?? null, fencingToken: fence?.token ?? null,
        owner: this.opts.owner ?? `${hostname()}:${process.pid}`, deadlineAt: started + this.deadlineMs(alerts.length, workerIds.length), alertIds: alerts.map((a) => a.id),
      }),
    );
    onOpened(run);
    logger.info({ runId: run.id, alerts: alerts.length, workers: workerIds.length }, `alert cycle started (${alerts.length} alert(s), ${workerIds.length} worker(s))`);
    events?.emit('cycle.started', { runId: run.id, trigger, alerts: alerts.length, workers: workerIds.length });

    const outcomes = new Map<string, AlertOutcome>();
    const perWorker: RunWorkerOutcome[] = [];
    const failedWorkers = new Set<string>();
    let matches = 0;
    let errors = 0;
    let lastError = workerIds.length === 0 ? 'NO_WORKER_AVAILABLE: every worker is banned or none is registered' : '';
    let plan = splitEvenly(alerts, workerIds);
    let round = 0;

    while (plan.size > 0) {
      round++;
      const redo: Alert[] = [];
      await Promise.all(
        [...plan].map(async ([workerId, batch]) => {
          const t0 = Date.now();
          const result = await executor.send(workerId, batch);
          if (!result.ok) {
            failedWorkers.add(workerId);
            errors++;
            lastError = `${workerId}: ${result.message}`;
            redo.push(...batch);
            perWorker.push({ workerId, ok: false, alertsChecked: 0, matches: 0, errors: 1, durationMs: Date.now() - t0, error: result.message });
            events?.emit('cycle.batch', { runId: run.id, workerId, ok: false, alerts: batch.length, alertsChecked: 0, matches: 0, round, durationMs: Date.now() - t0, error: result.message });
            return;
          }
          const data = result.data ?? {};
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
          if (recorded > 0) events?.emit('matches.recorded', { runId: run.id, workerId, count: recorded });
          events?.emit('cycle.batch', { runId: run.id, workerId, ok: true, alerts: batch.length, alertsChecked: batch.length - failedHere.size, matches: recorded, round, durationMs: Date.now() - t0 });
        }),
      );
      if (redo.length === 0) break;
      const { assignments, unassigned } = planRedispatch(redo, remainingWorkers(workerIds, failedWorkers));
      if (assignments.size > 0) logger.warn({ runId: run.id, alerts: redo.length, workers: [...assignments.keys()] }, `re-dispatching ${redo.length} alert(s) of failed batches`);
      events?.emit('cycle.redispatched', { runId: run.id, alerts: redo.length, workers: [...assignments.keys()], unassigned: unassigned.length });
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
    await store.fenced(fence, (r) => r.alertRuns.finish(run.id, {
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
    events?.emit('cycle.ended', totalsOf(summary));
    return summary;
  }

  private log(s: CycleSummary): void {
    const { logger, executor } = this.opts;
    const line = `Cycle finished in ${(s.durationMs / 1000).toFixed(2)}s: ${s.workersOk}/${s.workersOk + s.workersFailed} worker(s) ok, ${s.alertsChecked}/${s.alertsTotal} alert(s) checked, ${s.matches} match(es), ${s.errors} error(s)`;
    (s.status === 'ok' ? logger.info : logger.warn).call(logger, { runId: s.runId, status: s.status, durationMs: s.durationMs, alertsChecked: s.alertsChecked, alertsFailed: s.alertsFailed, matches: s.matches, errors: s.errors }, line);
    for (const w of s.workers) {
      const label = executor.label(w.workerId);
      if (w.ok) logger.info({ runId: s.runId, worker: w.workerId, matches: w.matches, alertsChecked: w.alertsChecked }, `✅ Worker ${label}: ${w.matches} match(es) on ${w.alertsChecked} alert(s)`);
      else logger.warn({ runId: s.runId, worker: w.workerId, error: w.error }, `❌ Worker ${label}: failed - ${w.error}`);
    }
  }
}

/** The totals of a summary, without its per-worker and per-alert detail (the cycle.ended event). */
function totalsOf(s: CycleSummary): CycleTotals {
  const { runId, trigger, status, durationMs, alertsTotal, alertsChecked, alertsFailed, matches, errors, workersOk, workersFailed } = s;
  return { runId, trigger, status, durationMs, alertsTotal, alertsChecked, alertsFailed, matches, errors, workersOk, workersFailed };
}

function emptySummary(trigger: RunTrigger, reason: string): CycleSummary {
  return {
    runId: null, status: 'skipped', trigger, durationMs: 0, alertsTotal: 0, alertsChecked: 0, alertsFailed: 0,
    matches: 0, errors: 0, workersOk: 0, workersFailed: 0, workers: [], failedAlerts: [], skippedReason: reason,
  };
}

export type { AlertRun };
