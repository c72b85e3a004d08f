import type { EventBus } from '../events/bus.js';
import type { Logger } from '../observability/logger.js';
import type { CoordinatorMetrics } from '../observability/metrics.js';
import type { Dispatcher } from './dispatcher.js';
import type { Fleet } from './fleet.js';
import type { WorkerClient } from './worker-client.js';

/**
 * The log lines of what happens in the fleet, written from its events: one line per change,
 * said once (not every health round), by one module. (The elector and the config store log their
 * own changes: they run in workers too, without a bus.)
 */
export function logFleetEvents(events: EventBus, fleet: Fleet, logger: Logger): () => void {
  const label = (id: string) => {
    const w = fleet.get(id);
    return w ? `${w.name} (${w.region})` : id;
  };
  const offs = [
    events.on('worker.added', ({ data: { worker: w } }) => logger.info({ worker: w.id, url: w.url }, `worker ${w.name} (${w.region}) added`)),
    events.on('worker.removed', ({ data }) => logger.info({ worker: data.workerId }, `worker ${data.name} removed`)),
    events.on('worker.updated', ({ data }) =>
      logger.info(
        { worker: data.workerId, changes: data.changes, previous: data.previous, source: data.source },
        `worker ${label(data.workerId)} updated by ${data.source}: ${Object.entries(data.changes).map(([k, v]) => `${k} ${data.previous[k as keyof typeof data.previous]} → ${v}`).join(', ')}`,
      ),
    ),
    events.on('worker.health', ({ data }) => {
      if (data.healthy) logger.info({ worker: data.workerId }, `✅ Worker ${label(data.workerId)}: healthy`);
      else logger.warn({ worker: data.workerId, error: data.reason }, `⚠ Worker ${label(data.workerId)}: unhealthy - ${data.reason}`);
    }),
    events.on('worker.banned', ({ at, data }) =>
      logger.warn(
        { worker: data.workerId, until: new Date(data.until).toISOString(), banCount: data.banCount, reason: data.reason },
        `Worker ${label(data.workerId)} banned for ${Math.round((data.until - at) / 1000)}s after ${data.reason}`,
      ),
    ),
    events.on('worker.unbanned', ({ data }) =>
      logger.info({ worker: data.workerId, reason: data.reason }, `✅ Worker ${label(data.workerId)} re-enabled: ${UNBAN_WORDS[data.reason]}`),
    ),
  ];
  return () => offs.forEach((off) => off());
}

const UNBAN_WORDS = {
  expired: 'ban expired',
  canary: 'a canary request passed, the block cleared',
  operator: 'unbanned by an operator',
  failover: 'moved by the failover ladder',
} as const;

/**
 * A removed worker leaves nothing behind: the balancer forgets it and its connection pool is
 * closed. A worker moved to a new url starts afresh there (its old pool closed, its latency
 * history dropped: the new machine is another one).
 */
export function releaseLeftWorkers(events: EventBus, dispatcher: Pick<Dispatcher, 'forget'>, client: Pick<WorkerClient, 'release'>): () => void {
  const offs = [
    events.on('worker.removed', ({ data }) => {
      dispatcher.forget(data.workerId);
      void client.release(data.url);
    }),
    events.on('worker.updated', ({ data }) => {
      if (data.previous.url === undefined) return;
      dispatcher.forget(data.workerId);
      void client.release(data.previous.url);
    }),
  ];
  return () => offs.forEach((off) => off());
}

/** Counts every worker event in `vigie_worker_events_total{event}`. */
export function countFleetEvents(events: EventBus, metrics: CoordinatorMetrics): () => void {
  return events.on('*', (e) => {
    if (e.type.startsWith('worker.')) metrics.workerEvents.inc({ event: e.type });
  });
}

/** Counts every cycle's outcome and its alerts in `vigie_alert_cycles_total` and `vigie_alerts_checked_total`. */
export function countCycleEvents(events: EventBus, metrics: CoordinatorMetrics): () => void {
  return events.on('cycle.ended', ({ data }) => {
    metrics.cycles.inc({ status: data.status });
    metrics.alertsChecked.inc({ result: 'checked' }, data.alertsChecked);
    metrics.alertsChecked.inc({ result: 'failed' }, data.alertsFailed);
  });
}
