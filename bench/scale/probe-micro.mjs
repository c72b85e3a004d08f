#!/usr/bin/env node
// CPU per health probe of the coordinator's client alone, three ways, over the same stand-in
// workers (stand-ins.mjs, another process) and the same pacing (probes spread over about 1 s, as
// the health checker spreads them): Vigie's WorkerClient.health (the lean probe, health-probe.ts);
// undici Client.request + body.text() (the general client's path, which health used before); and
// undici Client.dispatch with a small handler. Only this process's CPU is counted; the ways take
// turns over several rounds and the median is printed.
//
//   node bench/scale/probe-micro.mjs [workers=1000] [rounds=6]
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client } from 'undici';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { WorkerClient } = await import(pathToFileURL(path.join(ROOT, 'packages', 'vigie', 'dist', 'coordinator', 'worker-client.js')).href);
const N = Number(process.argv[2] ?? 1000);
const ROUNDS = Number(process.argv[3] ?? 6);
const HEALTH = '/api/v1/worker/health';

const standIns = fork(path.join(ROOT, 'bench', 'scale', 'stand-ins.mjs'), [], { env: { ...process.env, STAND_IN_HOST: '127.0.0.21', STAND_IN_COUNT: String(N) }, stdio: 'ignore' });
const stop = () => standIns.kill('SIGKILL');
process.on('SIGINT', () => { stop(); process.exit(130); });
try {
  const ports = await new Promise((resolve, reject) => {
    standIns.on('message', (m) => m.ready && resolve(m.ports));
    standIns.on('exit', () => reject(new Error('the stand-ins exited')));
  });
  const urls = ports.map((p) => `http://127.0.0.21:${p}`);
  const vigie = new WorkerClient({ apiKey: undefined });
  const clients = urls.map((u) => new Client(u, { keepAliveTimeout: 30_000, pipelining: 1 }));
  const ways = {
    'vigie WorkerClient.health (probe)': (i) => vigie.health(urls[i], 2000).then((r) => r.ok),
    'undici request + body.text()': async (i) => {
      const res = await clients[i].request({ method: 'GET', path: HEALTH, headersTimeout: 2000, bodyTimeout: 2000 });
      const text = await res.body.text();
      return res.statusCode === 200 && JSON.parse(text).success !== false;
    },
    'undici dispatch, small handler': (i) => new Promise((resolve) => {
      let status = 0;
      let body = '';
      clients[i].dispatch({ method: 'GET', path: HEALTH, headersTimeout: 2000, bodyTimeout: 2000 }, {
        onConnect() {}, onError() { resolve(false); },
        onHeaders(s) { status = s; return true; },
        onData(c) { body += c; return true; },
        onComplete() { resolve(status === 200 && JSON.parse(body).success !== false); },
      });
    }),
    'pacing alone (no probe)': async () => true,
  };
  /** N probes, two every millisecond; returns µs of this process's CPU per probe. */
  const round = async (fn) => {
    const cpu0 = process.cpuUsage();
    let done = 0;
    let failed = 0;
    await new Promise((resolve) => {
      let i = 0;
      const t = setInterval(() => {
        for (let k = 0; k < 2 && i < N; k++, i++) fn(i).then((ok) => { if (!ok) failed++; if (++done === N) resolve(); });
        if (i >= N) clearInterval(t);
      }, 1);
    });
    if (failed) throw new Error(`${failed} probes failed`);
    const c = process.cpuUsage(cpu0);
    return (c.user + c.system) / N;
  };
  for (const fn of Object.values(ways)) await round(fn); // connections open, code warm
  const samples = Object.fromEntries(Object.keys(ways).map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) for (const [k, fn] of Object.entries(ways)) samples[k].push(await round(fn));
  const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
  const base = median(samples['undici request + body.text()']);
  console.log(`probe-micro: ${N} stand-in workers, ${ROUNDS} rounds, µs of client CPU per probe (median)`);
  for (const [k, a] of Object.entries(samples)) console.log(`  ${k.padEnd(36)} ${median(a).toFixed(1).padStart(7)}   ${(median(a) / base).toFixed(2)}× the undici request path`);
  console.log('  goal: the probe below the undici paths; the goal figure is bench:scale\'s CPU per check vs HAProxy');
  await vigie.close();
  await Promise.all(clients.map((c) => c.close()));
} finally {
  stop();
}
