import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const PREFIX = 'vigie_';

/**
 * How often the event-loop delay is sampled (`vigie_nodejs_eventloop_lag_*`), in ms. prom-client's
 * 10 ms woke every idle process 100 times a second: 15 ms of CPU per second for an idle
 * coordinator, 4.7 at 100 ms (measured with /proc). A stall of the loop still shows whenever it
 * spans a sample (every stall of 100 ms or more; a shorter one in proportion to its length), which
 * is what the lag percentiles are read for.
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

/**
 * prom-client's default process metrics, minus the three gauges it names like counters
 * (`nodejs_active_{handles,requests,resources}_total`), which `promtool check metrics` flags:
 * the same gauges without `_total`, labelled by type, stay, and their sum is the total.
 */
function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, prefix: PREFIX, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(`${PREFIX}${name}`);
  }
}

/** The worker's Prometheus metrics, on a registry of their own (one per server, so tests do not share counters). */
export function createWorkerMetrics() {
  const registry = new Registry();
  collectProcessMetrics(registry);
  return {
    registry,
    commands: new Counter({
      name: 'vigie_worker_commands_total',
      help: 'Commands received by this worker, by type and outcome (ok, error code).',
      labelNames: ['type', 'outcome'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'vigie_worker_command_duration_seconds',
      help: 'Time to answer a command, by type.',
      labelNames: ['type'] as const,
      buckets: [0.005, 0.025, 0.1, 0.5, 1, 5, 15, 60, 300],
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: 'vigie_worker_commands_in_flight',
      help: 'Commands being run now.',
      registers: [registry],
    }),
  };
}
export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;

/** The coordinator's Prometheus metrics. */
export function createCoordinatorMetrics() {
  const registry = new Registry();
  collectProcessMetrics(registry);
  return {
    registry,
    dispatches: new Counter({
      name: 'vigie_dispatch_total',
      help: 'Commands sent through the balancer, by outcome (ok or error code).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    attempts: new Counter({
      name: 'vigie_dispatch_attempt_failures_total',
      help: 'Failed tries on a worker, by worker and reason.',
      labelNames: ['worker', 'reason'] as const,
      registers: [registry],
    }),
    dispatchDuration: new Histogram({
      name: 'vigie_dispatch_duration_seconds',
      help: 'Time to answer a command sent through the balancer, retries included.',
      buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 1, 5, 30],
      registers: [registry],
    }),
    cycles: new Counter({
      name: 'vigie_alert_cycles_total',
      help: 'Alert cycles, by status (ok, partial, failed, skipped).',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    alertsChecked: new Counter({
      name: 'vigie_alerts_checked_total',
      help: 'Alerts checked by cycles, by result (checked, failed).',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    notifications: new Counter({
      name: 'vigie_notifications_total',
      help: 'Notification sends, by channel and outcome (sent, retry, failed).',
      labelNames: ['channel', 'outcome'] as const,
      registers: [registry],
    }),
    leader: new Gauge({
      name: 'vigie_leader',
      help: '1 while this coordinator leads (runs cycles and sends notifications), else 0.',
      registers: [registry],
    }),
    refusedWrites: new Counter({
      name: 'vigie_cycle_writes_refused_total',
      help: 'Cycles refused by the store: SLOT_TAKEN (the slot ran elsewhere) or FENCED (a stale leader\'s write).',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    workersAvailable: new Gauge({
      name: 'vigie_workers_available',
      help: 'Workers healthy and not banned.',
      registers: [registry],
    }),
    workersBanned: new Gauge({
      name: 'vigie_workers_banned',
      help: 'Workers banned now.',
      registers: [registry],
    }),
    failoverSteps: new Counter({
      name: 'vigie_failover_steps_total',
      help: 'Failover steps taken, by step (restart, region, app) and outcome (healed, not_healed, failed, interrupted).',
      labelNames: ['step', 'outcome'] as const,
      registers: [registry],
    }),
    failoverStreak: new Gauge({
      name: 'vigie_failover_streak',
      help: 'Upstream 403s in a row per worker (a failover step is taken at MAX_403_BEFORE_FAILOVER).',
      labelNames: ['worker'] as const,
      registers: [registry],
    }),
    workerEvents: new Counter({
      name: 'vigie_worker_events_total',
      help: 'Changes of worker state, by event (worker.health, worker.banned, …).',
      labelNames: ['event'],
      registers: [registry],
    }),
  };
}
export type CoordinatorMetrics = ReturnType<typeof createCoordinatorMetrics>;

/** The standby monitor's Prometheus metrics (`vigie standby run`, GET /metrics on its endpoint). */
export function createStandbyMetrics() {
  const registry = new Registry();
  collectProcessMetrics(registry);
  return {
    registry,
    state: new Gauge({
      name: 'vigie_standby_state',
      help: '1 for the monitor\'s current state (primary-active, confirming, failing-over, standby-active, failing-back), 0 for the others.',
      labelNames: ['state'] as const,
      registers: [registry],
    }),
    checks: new Counter({
      name: 'vigie_standby_checks_total',
      help: 'Health checks, by target (primary, standby) and outcome (ok, failed).',
      labelNames: ['target', 'outcome'] as const,
      registers: [registry],
    }),
    checkDuration: new Histogram({
      name: 'vigie_standby_check_duration_seconds',
      help: 'Time to answer a health check of the primary (failures included).',
      buckets: [0.005, 0.025, 0.1, 0.5, 1, 5, 15],
      registers: [registry],
    }),
    transitions: new Counter({
      name: 'vigie_standby_transitions_total',
      help: 'State changes of the monitor, by from and to.',
      labelNames: ['from', 'to'] as const,
      registers: [registry],
    }),
    syncs: new Counter({
      name: 'vigie_standby_syncs_total',
      help: 'rclone copies of the state, by direction (to-remote, from-remote) and outcome (ok, failed).',
      labelNames: ['direction', 'outcome'] as const,
      registers: [registry],
    }),
    syncDuration: new Histogram({
      name: 'vigie_standby_sync_duration_seconds',
      help: 'Duration of one rclone copy.',
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300],
      registers: [registry],
    }),
  };
}
export type StandbyMetrics = ReturnType<typeof createStandbyMetrics>;
