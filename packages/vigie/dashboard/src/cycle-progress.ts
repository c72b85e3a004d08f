// The current cycle's progress, folded from cycle.* events. Pure: (state, event) → state.
import type { FeedData } from './types.js';

export interface CycleProgress {
  runId: string | null;
  trigger: string;
  alerts: number | null;
  workers: number | null;
  batchesOk: number;
  batchesFailed: number;
  alertsChecked: number;
  matches: number;
  redispatched: number;
  errors: number;
  status: 'running' | 'ok' | 'partial' | 'failed' | 'skipped' | 'abandoned';
  durationMs: number | null;
}

export type CycleEvent =
  | { type: 'cycle.started'; data: FeedData<'cycle.started'> }
  | { type: 'cycle.batch'; data: FeedData<'cycle.batch'> }
  | { type: 'cycle.redispatched'; data: FeedData<'cycle.redispatched'> }
  | { type: 'cycle.ended'; data: FeedData<'cycle.ended'> };

function fresh(runId: string | null, trigger: string): CycleProgress {
  return { runId, trigger, alerts: null, workers: null, batchesOk: 0, batchesFailed: 0, alertsChecked: 0, matches: 0, redispatched: 0, errors: 0, status: 'running', durationMs: null };
}

/** The progress after one cycle event; `state` is null before the first cycle seen. */
export function applyCycleEvent(state: CycleProgress | null, e: CycleEvent): CycleProgress {
  if (e.type === 'cycle.started') return { ...fresh(e.data.runId, e.data.trigger), alerts: e.data.alerts, workers: e.data.workers };
  // Events of a cycle whose start this page did not see (opened mid-cycle): start from them.
  const s = state && state.runId === e.data.runId ? state : fresh(e.data.runId, e.type === 'cycle.ended' ? e.data.trigger : '?');
  switch (e.type) {
    case 'cycle.batch':
      return {
        ...s,
        batchesOk: s.batchesOk + (e.data.ok ? 1 : 0),
        batchesFailed: s.batchesFailed + (e.data.ok ? 0 : 1),
        alertsChecked: s.alertsChecked + e.data.alertsChecked,
        matches: s.matches + e.data.matches,
      };
    case 'cycle.redispatched':
      return { ...s, redispatched: s.redispatched + e.data.alerts };
    case 'cycle.ended':
      // The end's totals are the cycle's own: they replace what the batches added up to.
      return { ...s, trigger: e.data.trigger, status: e.data.status, durationMs: e.data.durationMs, alerts: e.data.alertsTotal, alertsChecked: e.data.alertsChecked, matches: e.data.matches, errors: e.data.errors };
  }
}
