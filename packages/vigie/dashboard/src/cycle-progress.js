// The current cycle's progress, folded from cycle.* events. Pure: (state, event) → state.

/** The progress after one cycle event; `state` is null before the first cycle seen. */
export function applyCycleEvent(state, type, data) {
  if (type === 'cycle.started') {
    return { runId: data.runId, trigger: data.trigger, alerts: data.alerts, workers: data.workers, startedAt: data.at, batchesOk: 0, batchesFailed: 0, alertsChecked: 0, matches: 0, redispatched: 0, status: 'running', durationMs: null };
  }
  // Events of a cycle whose start this page did not see (opened mid-cycle): start from them.
  const s = state && state.runId === data.runId ? state : { runId: data.runId, trigger: data.trigger ?? '?', alerts: null, workers: null, startedAt: null, batchesOk: 0, batchesFailed: 0, alertsChecked: 0, matches: 0, redispatched: 0, status: 'running', durationMs: null };
  if (type === 'cycle.batch') {
    return { ...s, batchesOk: s.batchesOk + (data.ok ? 1 : 0), batchesFailed: s.batchesFailed + (data.ok ? 0 : 1), alertsChecked: s.alertsChecked + data.alertsChecked, matches: s.matches + data.matches };
  }
  if (type === 'cycle.redispatched') return { ...s, redispatched: s.redispatched + data.alerts };
  if (type === 'cycle.ended') {
    return { ...s, status: data.status, durationMs: data.durationMs, alertsChecked: data.alertsChecked, alerts: data.alertsTotal, matches: data.matches, errors: data.errors };
  }
  return s;
}
