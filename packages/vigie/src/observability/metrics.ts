import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The worker's Prometheus metrics, on a registry of their own (one per server, so tests do not share counters). */
export function createWorkerMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'vigie_' });
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
