#!/usr/bin/env node
// CPU per request of the coordinator's inbound side, layer by layer: each variant is a server
// in a process of its own answering `POST /api/v1/worker/main/execute` with the echo data AT
// ONCE (no worker), so that only the HTTP server, the framework, Vigie's app/route and
// (last two) Vigie's Dispatcher are counted. This process sends the load (32 in flight) and
// reads each server's CPU from /proc; variants take turns, many rounds.
//
//   node bench/dispatch/server-micro.mjs [rounds=10] [seconds per turn=1]
//
// Variants:
//   node:http          JSON.parse the body, JSON.stringify the answer
//   fastify            fastify() with no logger, one route returning the answer object
//   fastify+pino       + Vigie's pino logger as loggerInstance (a child logger per request)
//   vigie app, no key  Vigie's createHttpApp (no API key: its onRequest hook returns at once) + a
//                      plain route returning the answer object
//   vigie app          the same with an API key (the constant-time key check per request)
//   vigie app+route    Vigie's createHttpApp (key hook, error handler) + registerCoordinatorRoutes,
//                      with a dispatcher stub that answers at once; prom-client metrics as in start.ts
//   vigie +dispatcher  the same with Vigie's real Dispatcher/Fleet/balancer (round-robin) and a
//                      WorkerClient stub that answers at once

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, openSync, closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (p) => import(pathToFileURL(path.join(ROOT, 'packages', 'vigie', 'dist', p)).href);
const KEY = 'bench-server-micro-key-0123456789';
const VARIANTS = process.env.VARIANTS ? process.env.VARIANTS.split(';') : ['node:http', 'fastify', 'fastify+pino', 'vigie app, no key', 'vigie app', 'vigie app+route', 'vigie +dispatcher'];

if (process.argv[2] === '--serve') await serve(process.argv[3]);
else await drive(Number(process.argv[2] ?? 10), Number(process.argv[3] ?? 1));

async function serve(variant) {
  const sink = { write() { return true; } };
  const answer = (cmd) => ({ success: true, data: cmd?.payload?.data, workerId: 'w1', attempts: 1 });
  let listen;
  if (variant === 'node:http') {
    const http = await import('node:http');
    const server = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const payload = JSON.stringify(answer(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) }).end(payload);
      });
    });
    listen = () => new Promise((r) => server.listen(0, '127.0.0.1', () => r(server.address().port)));
  } else {
    const { default: Fastify } = await import(pathToFileURL(requireFrom('fastify')).href);
    const { createLogger } = await dist('observability/logger.js');
    const logger = createLogger({ level: 'info', format: 'json', base: { role: 'coordinator' }, destination: sink });
    let app;
    if (variant === 'fastify') {
      app = Fastify({ logger: false });
      app.post('/api/v1/worker/main/execute', async (request) => answer(request.body));
    } else if (variant === 'fastify+pino') {
      const { LogController } = await import(pathToFileURL(requireFrom('fastify')).href);
      app = Fastify({ loggerInstance: logger, logController: new LogController({ disableRequestLogging: true }) });
      app.post('/api/v1/worker/main/execute', async (request) => answer(request.body));
    } else if (variant === 'vigie app' || variant === 'vigie app, no key') {
      const { createHttpApp } = await dist('http/app.js');
      const { createCoordinatorMetrics } = await dist('observability/metrics.js');
      app = createHttpApp({ logger, bodyLimit: 1_048_576, apiKeys: variant === 'vigie app' ? [KEY] : [], metrics: createCoordinatorMetrics().registry, timeouts: { headersMs: 30_000, requestMs: 60_000 } });
      app.post('/api/v1/worker/main/execute', async (request) => answer(request.body));
    } else {
      const { createHttpApp } = await dist('http/app.js');
      const { registerCoordinatorRoutes } = await dist('coordinator/routes.js');
      const { createCoordinatorMetrics } = await dist('observability/metrics.js');
      const metrics = createCoordinatorMetrics();
      app = createHttpApp({ logger, bodyLimit: 1_048_576, apiKeys: [KEY], metrics: metrics.registry, timeouts: { headersMs: 30_000, requestMs: 60_000 } });
      let dispatcher;
      if (variant === 'vigie app+route') {
        dispatcher = { dispatch: async (cmd) => ({ ok: true, workerId: 'w1', data: cmd.payload?.data, attempts: [{ workerId: 'w1', ok: true, status: 200, latencyMs: 1 }] }) };
      } else {
        const { openStore } = await dist('store/index.js');
        const { Fleet } = await dist('coordinator/fleet.js');
        const { Dispatcher } = await dist('coordinator/dispatcher.js');
        const { createBalancer } = await dist('coordinator/balancer/index.js');
        const dir = mkdtempSync(path.join(os.tmpdir(), 'vigie-server-micro-'));
        process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
        const store = await openStore({ dataDir: dir, logger });
        const fleet = await Fleet.load(store, ['w1', 'w2', 'w3'].map((id, i) => ({ id, name: id, region: 'local', url: `http://127.0.0.${i + 2}:9` })), logger);
        const client = { execute: async (_url, cmd) => ({ ok: true, status: 200, data: cmd.payload?.data, latencyMs: 1 }) };
        dispatcher = new Dispatcher({
          fleet, balancer: createBalancer('round-robin'), client, logger,
          // Both shapes of the options: the knobs inline, and `settings()` (read per command).
          maxAttempts: 3, requestTimeoutMs: 30_000, banBaseMs: 1_800_000, banMaxMs: 28_800_000,
          settings: () => ({ maxAttempts: 3, requestTimeoutMs: 30_000, banBaseMs: 1_800_000, banMaxMs: 28_800_000 }),
          onAttempt: (a) => metrics.attempts.inc({ worker: a.workerId, reason: a.error ?? 'unknown' }),
        });
        setInterval(() => void fleet.flush(), 1000).unref();
      }
      registerCoordinatorRoutes(app, {
        fleet: { stats: () => ({}), list: () => [] }, dispatcher, store: {}, cycles: {}, version: 'bench', startedAt: Date.now(),
        onDispatch: (_ok, code, seconds) => {
          metrics.dispatches.inc({ outcome: code });
          metrics.dispatchDuration.observe(seconds);
        },
      });
    }
    listen = async () => {
      await app.listen({ host: '127.0.0.1', port: 0 });
      return app.server.address().port;
    };
  }
  const port = await listen();
  process.stdout.write(`${JSON.stringify({ msg: 'listening', url: `http://127.0.0.1:${port}` })}\n`);
  process.on('SIGTERM', () => process.exit(0));
}

/** `name` as Vigie's dist resolves it (the same fastify copy). */
function requireFrom(name) {
  return createRequire(path.join(ROOT, 'packages', 'vigie', 'dist', 'index.js')).resolve(name);
}

async function drive(rounds, seconds) {
  const { Pool } = await import('undici');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'vigie-server-micro-'));
  const servers = [];
  // SIGTERM: the servers exit through process.exit, which removes their own temp dirs.
  const stopAll = () => { for (const s of servers) try { s.child.kill('SIGTERM'); } catch {} rmSync(tmp, { recursive: true, force: true }); };
  process.on('SIGINT', () => { stopAll(); process.exit(130); });
  try {
    for (const v of VARIANTS) {
      const log = path.join(tmp, `${servers.length}.log`);
      const fd = openSync(log, 'a');
      const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve', v], { stdio: ['ignore', fd, fd] });
      closeSync(fd);
      const url = await new Promise((resolve, reject) => {
        const deadline = Date.now() + 15_000;
        const poll = () => {
          const text = readFileSync(log, 'utf8');
          const line = text.split('\n').find((l) => l.includes('"listening"'));
          if (line) return resolve(JSON.parse(line).url);
          if (child.exitCode !== null || Date.now() > deadline) return reject(new Error(`${v} did not start:\n${text}`));
          setTimeout(poll, 50);
        };
        poll();
      });
      servers.push({ name: v, child, pool: new Pool(url, { connections: 32, pipelining: 1 }), samples: [] });
    }
    const body = JSON.stringify({ type: 'custom', payload: { name: 'echo', data: { bench: 'dispatch', n: 42 } } });
    const headers = { 'content-type': 'application/json', 'x-api-key': KEY };
    const cpu = (pid) => {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
      return (Number(x[11]) + Number(x[12])) * 10_000; // µs (CLK_TCK 100)
    };
    const turn = async (s, ms) => {
      let n = 0;
      const end = performance.now() + ms;
      const c0 = cpu(s.child.pid);
      await Promise.all(Array.from({ length: 32 }, async () => {
        while (performance.now() < end) {
          const res = await s.pool.request({ path: '/api/v1/worker/main/execute', method: 'POST', headers, body });
          const text = await res.body.text();
          if (res.statusCode !== 200) throw new Error(`${s.name}: HTTP ${res.statusCode} ${text}`);
          n++;
        }
      }));
      return { us: (cpu(s.child.pid) - c0) / n, rate: n / (ms / 1000) };
    };
    for (const s of servers) await turn(s, 1500);
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < servers.length; i++) {
        const s = servers[(i + r) % servers.length];
        s.samples.push(await turn(s, seconds * 1000));
      }
    }
    console.log(`server CPU per request (µs, server process only, /proc at 10 ms resolution), ${rounds} rounds × ${seconds} s, 32 in flight:`);
    for (const s of servers) {
      const us = s.samples.map((x) => x.us).sort((a, b) => a - b);
      const rate = s.samples.map((x) => x.rate).sort((a, b) => a - b);
      console.log(`  ${s.name.padEnd(20)} median ${us[us.length >> 1].toFixed(1).padStart(6)}  p25 ${us[Math.floor(us.length / 4)].toFixed(1).padStart(6)}   req/s median ${rate[rate.length >> 1].toFixed(0)}`);
    }
  } finally {
    stopAll();
  }
}
