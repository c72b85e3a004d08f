import { describe, expect, it } from 'vitest';
import { createCoordinatorMetrics, createStandbyMetrics, createWorkerMetrics, EVENT_LOOP_SAMPLE_MS } from '../../src/observability/metrics.js';

/** A gauge's value as the registry exposes it. */
async function gauge(registry: { getSingleMetricAsString(name: string): Promise<string> }, name: string): Promise<number> {
  const line = (await registry.getSingleMetricAsString(name)).split('\n').find((l) => l.startsWith(name));
  return Number(line?.split(' ')[1]);
}

describe('process metrics', () => {
  it(`sample the event-loop delay every ${EVENT_LOOP_SAMPLE_MS} ms (prom-client's 10 ms woke idle processes 100 times a second)`, async () => {
    for (const { registry } of [createCoordinatorMetrics(), createWorkerMetrics(), createStandbyMetrics()]) {
      // Reset what the first samples gathered, then let a few samples come.
      await registry.metrics();
      await new Promise((r) => setTimeout(r, EVENT_LOOP_SAMPLE_MS * 3.5));
      // Node's histogram records the time between two samples: about the sampling period (a few
      // ms less when the loop's clock was stale at a busy tick; at 10 ms it would read ≈ 0.01).
      const min = await gauge(registry, 'vigie_nodejs_eventloop_lag_min_seconds');
      expect(min).toBeGreaterThanOrEqual((EVENT_LOOP_SAMPLE_MS * 0.5) / 1000);
      // And the gauges promtool flags are gone everywhere, the standby's included.
      expect(await registry.getSingleMetricAsString('vigie_nodejs_active_handles_total').catch(() => '')).toBe('');
    }
  });
});
