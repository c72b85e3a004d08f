// "Never two active", the coordinator's half: the gate asks a real monitor endpoint, fails
// closed, and the cycle scheduler skips its slots while the gate says no.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CycleRunner, CycleSummary } from '../../src/cycles/runner.js';
import { CycleScheduler } from '../../src/coordinator/scheduler.js';
import { createLogger } from '../../src/observability/logger.js';
import { createStandbyMetrics } from '../../src/observability/metrics.js';
import { createActiveGate } from '../../src/coordinator/standby-gate.js';
import type { Activator } from '../../src/standby/activators/types.js';
import { StandbyMonitor } from '../../src/standby/monitor.js';
import { startStandbyServer } from '../../src/standby/server.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { tempDir } from '../helpers/vigie-process.js';
import { freePort, statusServer, until } from './helpers.js';

const quiet = createLogger({ level: 'silent', format: 'json' });
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const idle: Activator = {
  provider: 'test',
  activate: async () => ({ provider: 'test', id: 'm', state: 'running' }),
  deactivate: async () => undefined,
  inspect: async () => undefined,
};

async function monitorEndpoint() {
  const d = tempDir('vigie-gate-');
  cleanups.push(d.cleanup);
  const primary = await statusServer(() => 200);
  cleanups.push(() => primary.close());
  const monitor = new StandbyMonitor({
    statusFile: join(d.path, 'status.json'),
    timing: { checkIntervalMs: 60_000, fastCheckIntervalMs: 60_000, failureThreshold: 3, recoveryThreshold: 3, minActiveMs: 0 },
    primaryUrl: primary.url,
    checkTimeoutMs: 1000,
    readyTimeoutMs: 1000,
    activator: idle,
    notify: async () => undefined,
    logger: quiet,
  });
  await monitor.load();
  const server = await startStandbyServer({ monitor, host: '127.0.0.1', port: 0, apiKeys: ['k'.repeat(32)], timeouts: { headersMs: 5000, requestMs: 5000 }, metrics: createStandbyMetrics().registry, logger: quiet });
  cleanups.push(() => server.app.close());
  return { monitor, url: `${server.url}/api/v1/standby/active` };
}

describe('active gate', () => {
  it('says yes only to the side the monitor names, and fails closed', async () => {
    const { monitor, url } = await monitorEndpoint();
    // The monitor has a key: `active` stays open, the status does not.
    expect((await fetch(url.replace('/active', '/status'))).status).toBe(401);
    const primary = createActiveGate({ url, side: 'primary' });
    const standby = createActiveGate({ url, side: 'standby' });
    expect(await primary()).toEqual({ ok: true });
    expect(await standby()).toEqual({ ok: false, reason: 'the standby monitor says the active side is primary, and this is the standby' });

    await monitor.command('activate');
    await monitor.runSteps();
    expect(monitor.snapshot().active).toBe('standby');
    expect((await primary()).ok).toBe(false);
    expect(await standby()).toEqual({ ok: true });

    const nobody = createActiveGate({ url: `http://127.0.0.1:${await freePort()}/api/v1/standby/active`, side: 'primary' });
    expect(await nobody()).toEqual({ ok: false, reason: 'the standby monitor cannot be reached (ECONNREFUSED); failing closed' });
    const notMonitor = await statusServer(() => 200);
    cleanups.push(() => notMonitor.close());
    expect((await createActiveGate({ url: notMonitor.url, side: 'primary' })()).reason).toMatch(/HTTP 200 without an active side; failing closed/);
  });

  it('a coordinator\'s scheduled cycles run only while the gate says yes', async () => {
    let runs = 0;
    const summary = { status: 'ok' } as CycleSummary;
    const runner = { run: async () => (runs++, summary) } as unknown as CycleRunner;
    let open = false;
    const { logger, lines } = captureLogger();
    const scheduler = new CycleScheduler({ runner, initialDelayMs: 0, intervalMs: () => 40, logger, gate: async () => (open ? { ok: true } : { ok: false, reason: 'the standby is active' }) });
    cleanups.push(() => scheduler.stop());
    scheduler.start();
    await until(() => lines().filter((l) => l.msg === 'alert cycle skipped: the standby is active').length >= 3, 'three skipped slots', 5000);
    expect(runs).toBe(0);
    open = true;
    await until(() => runs >= 2, 'cycles once the gate opens', 5000);
    // A manual run is the operator's explicit choice: not gated.
    open = false;
    await scheduler.stop();
    await scheduler.runOnce();
    expect(runs).toBeGreaterThanOrEqual(3);
  });
});
