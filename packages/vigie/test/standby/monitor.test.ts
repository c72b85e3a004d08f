// The monitor in-process, with real checks (loopback servers), the real rclone and a recording
// activator: what happens when a step goes wrong.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StandbyPayload } from '../../src/notify/types.js';
import { renderTelegramStandbyMessage } from '../../src/notify/telegram.js';
import { createLogger } from '../../src/observability/logger.js';
import { createStandbyMetrics } from '../../src/observability/metrics.js';
import type { Activator, StandbyMachine } from '../../src/standby/activators/types.js';
import { StandbyMonitor } from '../../src/standby/monitor.js';
import { readStatus } from '../../src/standby/status-file.js';
import { tempDir } from '../helpers/vigie-process.js';
import { freePort, rcloneBin, statusServer, until } from './helpers.js';

const quiet = createLogger({ level: 'silent', format: 'json' });
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** An activator that records calls; `failActivations` first calls throw. */
function recordingActivator(failActivations = 0): Activator & { calls: string[]; up: boolean } {
  const machine: StandbyMachine = { provider: 'test', id: 'm1', state: 'running' };
  let failures = failActivations;
  const a = {
    provider: 'test',
    calls: [] as string[],
    up: false,
    async activate() {
      a.calls.push('activate');
      if (failures-- > 0) throw new Error('capacity');
      a.up = true;
      return machine;
    },
    async deactivate() {
      a.calls.push('deactivate');
      a.up = false;
    },
    async inspect() {
      return a.up ? machine : undefined;
    },
  };
  return a;
}

async function monitorWith(opts: { activator: Activator; sync?: boolean; remote?: string; standbyUrl?: string; readyTimeoutMs?: number }) {
  const d = tempDir('vigie-monitor-');
  cleanups.push(d.cleanup);
  const primary = await statusServer(() => 503);
  cleanups.push(() => primary.close());
  const notices: StandbyPayload[] = [];
  const metrics = createStandbyMetrics();
  const monitor = new StandbyMonitor({
    statusFile: join(d.path, 'status.json'),
    timing: { checkIntervalMs: 50, fastCheckIntervalMs: 50, failureThreshold: 2, recoveryThreshold: 2, minActiveMs: 0 },
    primaryUrl: primary.url,
    standbyUrl: opts.standbyUrl,
    checkTimeoutMs: 500,
    readyTimeoutMs: opts.readyTimeoutMs ?? 1000,
    sync: opts.sync ? { stateDir: d.path, remote: opts.remote ?? join(d.path, 'remote'), bin: rcloneBin() ?? 'rclone', timeoutMs: 20_000 } : undefined,
    activator: opts.activator,
    notify: async (p) => void notices.push(p),
    logger: quiet,
    metrics,
  });
  cleanups.push(() => monitor.stop());
  return { monitor, notices, metrics, statusFile: join(d.path, 'status.json') };
}

describe('standby monitor', () => {
  it.skipIf(!rcloneBin())('a failed sync is a warning: the failover goes on and the notice says the standby starts from the last good copy', async () => {
    const activator = recordingActivator();
    const { monitor, notices, metrics, statusFile } = await monitorWith({ activator, sync: true, remote: 'no-such-remote:state' });
    await monitor.start();
    await until(() => notices.length === 1, 'the failover notice', 15_000);
    expect(notices[0]).toMatchObject({ kind: 'failover', syncOk: false, reason: 'primary-down', machine: 'm1' });
    expect(activator.up).toBe(true);
    const status = await readStatus(statusFile);
    expect(status?.lastSync).toMatchObject({ ok: false, direction: 'to-remote', error: expect.stringContaining('no-such-remote') });
    expect(status?.lastGoodSync).toBeUndefined();
    expect(await metrics.registry.getSingleMetricAsString('vigie_standby_syncs_total')).toContain('direction="to-remote",outcome="failed"} 1');
    expect(renderTelegramStandbyMessage(notices[0]!).text).toContain('State sync FAILED: the standby starts from the last good copy');
  });

  it('retries a failed activation after a pause, and announces once', async () => {
    const activator = recordingActivator(2);
    const { monitor, notices } = await monitorWith({ activator });
    await monitor.start();
    await until(() => notices.length === 1, 'the failover notice', 15_000);
    expect(activator.calls).toEqual(['activate', 'activate', 'activate']);
    expect(monitor.snapshot().state.name).toBe('standby-active');
  });

  it('a standby that never answers healthy is announced with a warning after STANDBY_READY_TIMEOUT', async () => {
    const activator = recordingActivator();
    const port = await freePort();
    const { monitor, notices } = await monitorWith({ activator, standbyUrl: `http://127.0.0.1:${port}/health`, readyTimeoutMs: 600 });
    await monitor.start();
    await until(() => notices.length === 1, 'the failover notice', 15_000);
    expect(notices[0]).toMatchObject({ ready: false });
    const status = monitor.snapshot();
    expect(status.standbyChecks.length).toBeGreaterThan(0);
    expect(status.standbyChecks.every((c) => !c.ok)).toBe(true);
    expect(status.standbyChecks.map((c) => c.reason)).toContain('network error (ECONNREFUSED)');
    expect(renderTelegramStandbyMessage(notices[0]!).text).toContain('did not answer healthy in time');
  });

  it('stop() during a failover leaves the step persisted for the next start; the standby stays up', async () => {
    const activator = recordingActivator();
    const port = await freePort();
    const { monitor, statusFile } = await monitorWith({ activator, standbyUrl: `http://127.0.0.1:${port}/health`, readyTimeoutMs: 60_000 });
    await monitor.start();
    await until(() => monitor.snapshot().state.name === 'failing-over' && activator.up, 'the standby started', 15_000);
    await monitor.stop();
    expect((await readStatus(statusFile))?.state).toMatchObject({ name: 'failing-over', step: 'wait-ready' });
    expect(activator.calls).toEqual(['activate']);
    expect(activator.up).toBe(true);
  });

  it('operator commands: refused ones change nothing; activate from primary-active runs the failover', async () => {
    const activator = recordingActivator();
    const { monitor } = await monitorWith({ activator });
    await monitor.load();
    expect(await monitor.command('deactivate')).toMatchObject({ refused: 'the standby is not active', state: { name: 'primary-active' } });
    expect((await monitor.command('activate')).state).toMatchObject({ name: 'failing-over', reason: 'manual', hold: true });
    await monitor.runSteps();
    expect(monitor.snapshot().state).toMatchObject({ name: 'standby-active', hold: true });
    expect(activator.up).toBe(true);
  });
});

describe('standby monitor on start-up', () => {
  it('starts again a standby recorded as active that is not running, announcing nothing new', async () => {
    const activator = recordingActivator();
    const first = await monitorWith({ activator });
    await first.monitor.start();
    await until(() => first.notices.length === 1, 'the failover notice', 15_000);
    await first.monitor.stop();
    activator.up = false; // the standby died while no monitor watched
    const second = new StandbyMonitor({
      statusFile: first.statusFile,
      timing: { checkIntervalMs: 60_000, fastCheckIntervalMs: 50, failureThreshold: 2, recoveryThreshold: 2, minActiveMs: 0 },
      primaryUrl: 'http://127.0.0.1:9/',
      checkTimeoutMs: 500,
      readyTimeoutMs: 1000,
      activator,
      notify: async (p) => void first.notices.push(p),
      logger: quiet,
    });
    cleanups.push(() => second.stop());
    await second.start();
    await until(() => activator.up && second.snapshot().state.name === 'standby-active', 'the standby back', 10_000);
    expect(activator.calls).toEqual(['activate', 'activate']);
    // The announce step ran again with the same failover id: the outbox key makes it one message.
    expect(first.notices.map((n) => n.id)).toEqual([first.notices[0]!.id, first.notices[0]!.id]);
  });
});
