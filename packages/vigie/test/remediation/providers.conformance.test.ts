// The machine provider conformance suite, run against the three providers:
// - fly: the real client and provider against the fake Machines API on loopback;
// - local: real `vigie worker` child processes on 127.0.x.y, driven through up/'s supervisor;
// - dry-run: a real HTTP server standing for the worker it must leave alone.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { DryRunProvider } from '../../src/remediation/providers/dry-run.js';
import { FlyMachinesApi } from '../../src/remediation/providers/fly/api.js';
import { FakeFlyServer } from '../../src/remediation/providers/fly/fake-server.js';
import { FlyProvider } from '../../src/remediation/providers/fly/provider.js';
import { LocalProvider } from '../../src/remediation/providers/local.js';
import type { StepResult } from '../../src/remediation/providers/types.js';
import { LocalWorker, waitForHealth } from '../../src/up/local-worker.js';
import { LocalFleetSupervisor } from '../../src/up/supervisor.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { VIGIE_BIN } from '../helpers/vigie-process.js';
import { providerConformanceSuite } from './providers.suite.js';

const TOKEN = 'fo1_conformance-token-5555aaaa';
const TEMPLATE = 'http://{machineId}.vm.{app}.internal:8081';
const logger = captureLogger().logger;

// fly ------------------------------------------------------------------------------------------
const fake = await FakeFlyServer.start({ token: TOKEN, transitionMs: 10 });
let flyApps = 0;
providerConformanceSuite({
  name: 'fly',
  changes: true,
  async fixture() {
    const app = `conformance-${++flyApps}`;
    const m = fake.machines.addMachine(app, { region: 'cdg' });
    fake.machines.addMachine(`${app}-alt`, { region: 'ams', state: 'stopped' });
    const api = new FlyMachinesApi({ baseUrl: fake.url, token: TOKEN, logger, backoff: { baseMs: 5, maxMs: 20 } });
    const provider = new FlyProvider({ api, urlTemplate: TEMPLATE, startTimeoutS: 5, stopTimeoutS: 5 });
    return {
      provider,
      target: { workerId: `worker-${flyApps}`, name: 'Worker', url: `http://${m.id}.vm.${app}.internal:8081`, region: 'cdg', flyApp: app, machineId: m.id },
      regions: ['cdg', 'iad', 'lhr'],
      otherApp: `${app}-alt`,
      async serving(where) {
        if (!where.app || !where.machineId) return false;
        try {
          return fake.machines.get(where.app, where.machineId).state === 'started';
        } catch {
          return false;
        }
      },
      close: () => provider.close(),
    };
  },
});

// local ----------------------------------------------------------------------------------------
const port = await freePort();
const dataDir = mkdtempSync(join(tmpdir(), 'vigie-providers-'));
let localWorkers = 0;
providerConformanceSuite({
  name: 'local',
  changes: true,
  async fixture() {
    const n = ++localWorkers;
    const id = `worker-${n}`;
    // Addresses of this file only (other test files use 127.0.0.2 and up).
    const worker = new LocalWorker(
      {
        id,
        name: `Worker ${n}`,
        region: 'local-a',
        host: `127.0.3.${n + 1}`,
        port,
        args: [VIGIE_BIN, 'worker', '--id', id, '--region', 'local-a', '--port', String(port)],
        env: { PATH: process.env.PATH, HOME: process.env.HOME, VIGIE_API_KEY: 'conformance-key-0123456789', VIGIE_DATA_DIR: dataDir, LOG_LEVEL: 'warn', LOG_FORMAT: 'json' },
      },
      logger,
    );
    worker.start();
    if (!(await waitForHealth(worker.url, 45_000))) throw new Error(`local worker on ${worker.url} did not start`);
    const supervisor = new LocalFleetSupervisor([worker], { graceMs: 3000, readyTimeoutMs: 45_000 });
    const pool = (third: number) => Array.from({ length: 20 }, (_, i) => `127.0.${third}.${100 + i}`);
    const provider = new LocalProvider({ supervisor, regionPool: pool(3), appPool: pool(4) });
    return {
      provider,
      target: { workerId: id, name: `Worker ${n}`, url: worker.url, region: 'local-a' },
      regions: ['local-a', 'local-b', 'local-c'],
      otherApp: 'fallback',
      serving: (where) => answers(where),
      close: () => worker.stop(3000),
    };
  },
});

// dry-run --------------------------------------------------------------------------------------
providerConformanceSuite({
  name: 'dry-run',
  changes: false,
  async fixture() {
    const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    return {
      provider: new DryRunProvider(),
      target: { workerId: 'worker-dry', name: 'Dry', url, region: 'cdg', flyApp: 'vigie-workers', machineId: '3d8d9014b32058' },
      regions: ['cdg', 'iad', 'lhr'],
      otherApp: 'vigie-workers-b',
      serving: (where) => answers(where),
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  },
});

afterAll(async () => {
  await fake.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** True when `url`/api/health answers 2xx within a second. */
async function answers(where: Pick<StepResult, 'url'>): Promise<boolean> {
  try {
    const res = await fetch(`${where.url}/api/health`, { signal: AbortSignal.timeout(1000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: p } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return p;
}
