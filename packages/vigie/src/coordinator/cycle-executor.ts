import type { BatchExecutor } from '../cycles/runner.js';
import type { Dispatcher } from './dispatcher.js';
import type { Fleet } from './fleet.js';

/**
 * The coordinator's batches: to the available workers (healthy, not banned; the panic rule
 * applies), over HTTP through the dispatcher, each to its one worker with no retry elsewhere (the
 * cycle runner re-dispatches a failed batch itself).
 */
export function workerExecutor(fleet: Fleet, dispatcher: Dispatcher, batchTimeoutMs: (alerts: number) => number): BatchExecutor {
  return {
    available: (now) => fleet.selection(now).workerIds,
    async send(workerId, alerts) {
      // A batch paces its requests seconds apart: it needs far longer than one command.
      const { result } = await dispatcher.sendTo(workerId, { type: 'check-alerts', payload: { alerts } }, { timeoutMs: batchTimeoutMs(alerts.length) });
      return result.ok ? { ok: true, data: result.data as never } : { ok: false, message: result.message };
    },
    batchTimeoutMs,
    label(workerId) {
      const w = fleet.get(workerId);
      return w ? `${w.name} (${w.region})` : workerId;
    },
  };
}
