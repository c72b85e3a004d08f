#!/usr/bin/env node
// bench/providers — how long one failover step takes, from the call to the worker answering
// again, per provider: `local` (real `vigie worker` processes on 127.0.x.y) and `fly` (the real
// client and provider against the fake Machines API, with no state transition delay, so that
// the figure is Vigie's own cost: HTTP calls, leases, waits). Printed beside the seed's fixed
// 30 s rest after a failover, which the ladder replaces by polling for readiness.
// Runs against the built dist (`npm run build` first):
//
//   node bench/providers/run.mjs [--rounds 5]
//
// A benchmark, not a test: it exits 0 whether or not the goal is met (and says MISSED).

import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { DIST, SEED_FIXED_WAIT_MS, VIGIE_BIN, roundsArg } from '../lib/paths.mjs';
const rounds = roundsArg();

const { createLogger } = await import(path.join(DIST, 'observability', 'logger.js'));
const { FakeFlyServer } = await import(path.join(DIST, 'remediation', 'providers', 'fly', 'fake-server.js'));
const { FlyMachinesApi } = await import(path.join(DIST, 'remediation', 'providers', 'fly', 'api.js'));
const { FlyProvider } = await import(path.join(DIST, 'remediation', 'providers', 'fly', 'provider.js'));
const { LocalProvider } = await import(path.join(DIST, 'remediation', 'providers', 'local.js'));
const { LocalWorker, waitForHealth } = await import(path.join(DIST, 'up', 'local-worker.js'));
const { LocalFleetSupervisor } = await import(path.join(DIST, 'up', 'supervisor.js'));

const logger = createLogger({ level: 'silent', format: 'json' });
const ctx = () => ({ signal: AbortSignal.timeout(60_000), logger });

async function time(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

function summary(ms) {
  const s = [...ms].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], max: s.at(-1) };
}

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const results = [];

// fly, against the fake ----------------------------------------------------------------------
{
  const token = 'bench-token-0123456789';
  const fake = await FakeFlyServer.start({ token, transitionMs: 0 });
  const api = new FlyMachinesApi({ baseUrl: fake.url, token, logger });
  const provider = new FlyProvider({ api, urlTemplate: 'http://{machineId}.vm.{app}.internal:8081' });
  const restart = [];
  const move = [];
  for (let i = 0; i < rounds; i++) {
    const app = `bench-${i}`;
    const m = fake.machines.addMachine(app, { region: 'cdg' });
    const target = { workerId: 'w', url: 'http://x', region: 'cdg', flyApp: app, machineId: m.id };
    restart.push(await time(() => provider.restart(target, ctx())));
    move.push(await time(() => provider.moveRegion(target, ['iad'], ctx())));
  }
  await fake.close();
  results.push(['fly (fake API, no transition delay)', 'restart', summary(restart)]);
  results.push(['fly (fake API, no transition delay)', 'region move', summary(move)]);
}

// local, real worker processes ----------------------------------------------------------------
{
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'vigie-bench-providers-'));
  const port = await freePort();
  const worker = new LocalWorker(
    {
      id: 'worker-1',
      name: 'Worker 1',
      region: 'local-1',
      host: '127.0.9.2',
      port,
      args: [VIGIE_BIN, 'worker', '--id', 'worker-1', '--port', String(port)],
      env: { PATH: process.env.PATH, HOME: process.env.HOME, VIGIE_API_KEY: 'bench-key-0123456789', VIGIE_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    },
    logger,
  );
  worker.start();
  try {
    if (!(await waitForHealth(worker.url, 30_000))) throw new Error('the local worker did not start');
    const supervisor = new LocalFleetSupervisor([worker], { graceMs: 5000, readyTimeoutMs: 30_000 });
    const pool = Array.from({ length: 200 }, (_, i) => `127.0.9.${i + 3}`);
    const provider = new LocalProvider({ supervisor, regionPool: pool, appPool: pool });
    const restart = [];
    const move = [];
    for (let i = 0; i < rounds; i++) {
      const target = { workerId: 'worker-1', url: worker.url, region: `r${i}` };
      restart.push(await time(() => provider.restart(target, ctx())));
      move.push(await time(() => provider.moveRegion(target, [`r${i + 1}`], ctx())));
    }
    results.push(['local (vigie worker processes)', 'restart', summary(restart)]);
    results.push(['local (vigie worker processes)', 'region move', summary(move)]);
  } finally {
    await worker.stop(5000);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

console.log(`\nOne failover step, call → worker serving again (${rounds} rounds), beside the seed's fixed ${SEED_FIXED_WAIT_MS / 1000} s rest.`);
console.log('goal: well under the seed\'s 30 s (the step plus its readiness poll replaces the blind rest)\n');
console.log('provider                               step          median ms   max ms   median / seed 30 s   goal');
for (const [provider, step, s] of results) {
  const ratio = s.median / SEED_FIXED_WAIT_MS;
  console.log(
    `${provider.padEnd(38)} ${step.padEnd(13)} ${s.median.toFixed(0).padStart(9)} ${s.max.toFixed(0).padStart(8)}   ${ratio.toFixed(3).padStart(18)}   ${s.max < SEED_FIXED_WAIT_MS ? 'met' : 'MISSED'}`,
  );
}
console.log('\nOn real Fly, add the machine\'s own start (seconds for a restart, tens of seconds for a move: the image is pulled in the new region).');
