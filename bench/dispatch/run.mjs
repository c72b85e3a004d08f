#!/usr/bin/env node
// bench/dispatch — requests/s of the coordinator's `POST /api/v1/worker/main/execute` (echo)
// over 3 local workers, against HAProxy (roundrobin, retries 3, option redispatch) in front of
// the same workers, in the same run; then the failed requests of each when one worker is
// SIGKILLed under load. Plain Node ESM, no dependency beyond the workspace's own (undici),
// runs against the built dist (packages/vigie/dist: `npm run build` first).
// `npm run bench:dispatch`, or
//
//   node bench/dispatch/run.mjs [--rounds 15] [--duration 0.75] [--warmup 0.25] [--initial-warmup 2]
//                               [--concurrency 32]
//                               [--kill-duration 4] [--kill-at 1.5]
//                               [--strategies round-robin,p2c-ewma] [--haproxy-threads 1]
//                               [--cpu-prof DIR]   (coordinators write .cpuprofile files to DIR;
//                                                   read them with profile-summary.mjs)
//                               [--no-node-floor]  (leaves out node-floor.mjs, the bare Node forwarder whose CPU
//                                                  per answer is the reference of the CPU goal)
//                               [--node-args "--flag=v …"]  (node flags for the coordinators)
//                               [--variants none,client,reqlog,metrics,client+reqlog+metrics]
//                                                  (adds round-robin coordinators with parts of the hot path
//                                                   swapped out, see coordinator-variant.mjs)
//
// BENCH_JSON=FILE writes the raw per-round figures; BENCH_KEEP_TMP=1 keeps the temp dir (logs,
// haproxy.cfg). Beside it: client-micro.mjs and server-micro.mjs (CPU per request of the
// coordinator's outbound and inbound sides, layer by layer), hot-path-micro.mjs (µs per call of
// single pieces).
//
// It is a benchmark, not a test: it exits 0 whether or not the targets are met (and says
// MISSED), and 1 only when it could not run (haproxy missing, not built, a process that did
// not start, the time bound hit).

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool, request } from 'undici';
import { Children, cpuSecondsPrecise, findOnPath, freePort, haproxyVersion as readHaproxyVersion, sleep, staleBuild as staleSince, tailOf, waitForLog, waitUntil } from '../lib/procs.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const VIGIE_BIN = path.join(ROOT, 'packages', 'vigie', 'bin', 'vigie.js');
// Issue 16's goals: requests/s at least this share of HAProxy's, and CPU per answer at most this
// multiple of the bare Node forwarder's (node-floor.mjs), both measured in the same run.
const THROUGHPUT_GOAL = 0.6;
const CPU_GOAL = 1.25;
const VIGIE_ENTRY = path.join(ROOT, 'packages', 'vigie', 'dist', 'cli', 'main.js');
const TIME_BOUND_MS = 88_000;
const WORKER_HOSTS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
const KILLED_WORKER = 1; // index in WORKER_HOSTS: w2 on 127.0.0.3
const EXEC_PATH = '/api/v1/worker/main/execute';
const COMMAND = { type: 'custom', payload: { name: 'echo', data: { bench: 'dispatch', n: 42 } } };
const BODY = JSON.stringify(COMMAND);
// The coordinators check health every second, as HAProxy does here (`check inter 1s`): with the
// default 60 s, a coordinator that saw a worker die without traffic (its periodic check ran
// while the worker was down) would not see it back before the next kill phase.
const COORDINATOR_ENV = { LOG_FORMAT: 'json', HEALTH_CHECK_INTERVAL_MS: '1000' };

// ---------------------------------------------------------------------------------- options

function parseArgs(argv) {
  const o = {
    rounds: 15, duration: 0.75, warmup: 0.25, initialWarmup: 2, concurrency: 32, killDuration: 4, killAt: 1.5,
    strategies: ['round-robin', 'p2c-ewma'], haproxyThreads: 1, cpuProf: undefined, nodeFloor: true, variants: [], nodeArgs: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const eq = argv[i].indexOf('=');
    const [flag, inline] = eq < 0 ? [argv[i], undefined] : [argv[i].slice(0, eq), argv[i].slice(eq + 1)];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--rounds': o.rounds = int(value(), flag, 1); break;
      case '--duration': o.duration = num(value(), flag); break;
      case '--warmup': o.warmup = num(value(), flag, 0); break;
      case '--initial-warmup': o.initialWarmup = num(value(), flag, 0); break;
      case '--concurrency': o.concurrency = int(value(), flag, 1); break;
      case '--kill-duration': o.killDuration = num(value(), flag); break;
      case '--kill-at': o.killAt = num(value(), flag); break;
      case '--strategies': o.strategies = value().split(',').map((s) => s.trim()).filter(Boolean); break;
      case '--haproxy-threads': o.haproxyThreads = int(value(), flag, 1); break;
      case '--cpu-prof': o.cpuProf = path.resolve(value()); break;
      case '--node-args': o.nodeArgs.push(...value().split(/\s+/).filter(Boolean)); break;
      case '--node-floor': o.nodeFloor = true; break;
      case '--no-node-floor': o.nodeFloor = false; break;
      case '--variants': o.variants = value().split(',').map((v) => v.trim()).filter(Boolean); break;
      case '-h': case '--help':
        process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 28).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
        process.exit(0);
        break;
      default:
        fail(`unknown option ${argv[i]} (see --help)`);
    }
  }
  const known = ['random', 'round-robin', 'least-used', 'health-based', 'p2c-ewma'];
  for (const s of o.strategies) if (!known.includes(s)) fail(`unknown strategy ${s}; one of ${known.join(', ')}`);
  if (o.strategies.length === 0) fail('--strategies needs at least one strategy');
  if (o.killAt >= o.killDuration) fail('--kill-at must be before the end of --kill-duration');
  return o;
}

function num(v, flag, min = 0.1) {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) fail(`${flag} needs a number ≥ ${min}`);
  return n;
}
function int(v, flag, min) {
  const n = num(v, flag, min);
  if (!Number.isInteger(n)) fail(`${flag} needs an integer`);
  return n;
}
function fail(msg) {
  process.stderr.write(`bench:dispatch: ${msg}\n`);
  process.exit(1);
}

// --------------------------------------------------------------------------- process control

/** Every child this run started; killed at the end, on error, on Ctrl-C and on the time bound. */
const children = new Children('bench:dispatch');
let tmpDir;
children.onCleanup.push(() => {
  if (tmpDir && !process.env.BENCH_KEEP_TMP) rmSync(tmpDir, { recursive: true, force: true });
});
children.installExitHandlers();
const cleanup = () => children.cleanup();
// cwd: the temp dir, so that no ./vigie.config.json of the caller's is picked up.
const startChild = (name, cmd, args, { env = {}, logFile }) => children.start(name, cmd, args, { env, logFile, cwd: tmpDir ?? ROOT });

// ------------------------------------------------------------------------------- the fleet

const apiKey = randomBytes(24).toString('hex');
const workers = []; // { id, host, port, url, entry, dataDir, restarts }
const coordinators = []; // { strategy, url, entry }
let haproxy; // { url, statsUrl, entry }

async function startWorker(w) {
  const logFile = path.join(tmpDir, `${w.id}.${w.restarts}.log`);
  w.entry = startChild(`worker ${w.id}`, process.execPath, [VIGIE_BIN, 'worker', '--id', w.id, '--host', w.host, '--port', String(w.port ?? 0)], {
    env: { VIGIE_API_KEY: apiKey, VIGIE_DATA_DIR: w.dataDir, LOG_FORMAT: 'json', SHUTDOWN_GRACE_MS: '500' },
    logFile,
  });
  const line = await waitForLog(w.entry, 'worker listening');
  w.url = line.url;
  w.port = Number(new URL(line.url).port);
}

/** Node flags that write a V8 CPU profile `NAME.cpuprofile` into --cpu-prof's folder; none without it. */
function profileArgs(opts, name) {
  return opts.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', opts.cpuProf, '--cpu-prof-name', `${name}.cpuprofile`] : [];
}

async function startCoordinator(strategy, configFile, opts) {
  const dataDir = path.join(tmpDir, `coordinator-${strategy}`);
  mkdirSync(dataDir);
  const nodeArgs = [...opts.nodeArgs, ...profileArgs(opts, `coordinator-${strategy}`)];
  const entry = startChild(`coordinator ${strategy}`, process.execPath, [...nodeArgs, VIGIE_BIN, '--config', configFile, 'coordinator', '--host', '127.0.0.1', '--port', '0'], {
    env: { ...COORDINATOR_ENV, VIGIE_API_KEY: apiKey, VIGIE_DATA_DIR: dataDir, LB_STRATEGY: strategy },
    logFile: path.join(tmpDir, `coordinator-${strategy}.log`),
  });
  const line = await waitForLog(entry, 'coordinator listening');
  return { strategy, url: line.url, entry };
}

async function startHaproxy(bin, opts) {
  const port = await freePort('127.0.0.1');
  const statsPort = await freePort('127.0.0.1');
  const cfg = [
    'global',
    // Errors and redispatched requests only (dontlog-normal), to haproxy.log in the temp dir (BENCH_KEEP_TMP=1 keeps it).
    '    log stderr format raw local0',
    `    nbthread ${opts.haproxyThreads}`,
    '    maxconn 4096',
    'defaults',
    '    mode http',
    '    log global',
    '    option httplog',
    '    option dontlog-normal',
    '    timeout connect 2s',
    '    timeout client 30s',
    '    timeout server 30s',
    '    retries 3',
    '    option redispatch',
    'frontend bench',
    `    bind 127.0.0.1:${port}`,
    '    default_backend workers',
    'backend workers',
    '    balance roundrobin',
    '    option httpchk GET /api/health',
    // Same request as the coordinator sends: the worker's command endpoint, same body and key.
    '    http-request set-path /api/v1/worker/execute',
    ...workers.map((w) => `    server ${w.id} ${w.host}:${w.port} check inter 1s fall 1 rise 1`),
    'frontend stats',
    `    bind 127.0.0.1:${statsPort}`,
    '    stats enable',
    '    stats uri /stats',
    '',
  ].join('\n');
  const cfgFile = path.join(tmpDir, 'haproxy.cfg');
  writeFileSync(cfgFile, cfg);
  const entry = startChild('haproxy', bin, ['-db', '-f', cfgFile], { logFile: path.join(tmpDir, 'haproxy.log') });
  haproxy = { url: `http://127.0.0.1:${port}`, statsUrl: `http://127.0.0.1:${statsPort}/stats;csv`, entry, cfgFile };
  await waitUntil(async () => (await haproxyUp()) === workers.length, 10_000, () => {
    if (entry.exited) throw new Error(`haproxy exited (${entry.exit}):\n${tailOf(entry.logFile)}\n--- config ---\n${cfg}`);
  }).catch((err) => {
    throw new Error(`haproxy did not see the ${workers.length} workers UP: ${err.message}`);
  });
}

/** Number of HAProxy backend servers UP, from its stats CSV. */
async function haproxyUp() {
  const res = await request(haproxy.statsUrl, { headersTimeout: 2000, bodyTimeout: 2000 });
  const text = await res.body.text();
  const [header, ...rows] = text.replace(/^# /, '').trim().split('\n');
  const cols = header.split(',');
  const iPx = cols.indexOf('pxname');
  const iSv = cols.indexOf('svname');
  const iStatus = cols.indexOf('status');
  return rows.map((r) => r.split(',')).filter((f) => f[iPx] === 'workers' && !['FRONTEND', 'BACKEND'].includes(f[iSv]) && f[iStatus].startsWith('UP')).length;
}

/** HAProxy's own error counters for one backend server (they explain what the client saw). */
async function haproxyCounters(server) {
  const res = await request(haproxy.statsUrl, { headersTimeout: 2000, bodyTimeout: 2000 });
  const [header, ...rows] = (await res.body.text()).replace(/^# /, '').trim().split('\n');
  const cols = header.split(',');
  const row = rows.map((r) => r.split(',')).find((f) => f[cols.indexOf('pxname')] === 'workers' && f[cols.indexOf('svname')] === server);
  if (!row) return undefined;
  const get = (c) => Number(row[cols.indexOf(c)] || 0);
  return { eresp: get('eresp'), srvAbort: get('srv_abrt'), econ: get('econ'), redispatched: get('wredis'), retried: get('wretr'), http5xx: get('hrsp_5xx') };
}

/** Number of workers the coordinator considers available. */
async function vigieAvailable(c) {
  // Reads need the key too (every route but health does).
  const res = await request(`${c.url}/api/v1/worker/main/stats`, { headers: { 'x-api-key': apiKey }, headersTimeout: 2000, bodyTimeout: 2000 });
  return (await res.body.json()).availableWorkers;
}

// --------------------------------------------------------------------------- load generator

/**
 * `concurrency` loops, each sending the echo command and waiting for its answer, for
 * warmup + duration seconds. Only answers that arrive after the warm-up count. The generator
 * does the same work for every target (same pool settings, same body, same checks).
 */
async function runLoad(target, { concurrency, warmupMs, durationMs, at = [] }) {
  const pool = target.pool;
  const t0 = performance.now();
  const measureFrom = t0 + warmupMs;
  const end = measureFrom + durationMs;
  const stats = { ok: 0, failed: 0, reasons: new Map(), latencies: [], buckets: [] };
  const cpu0 = { self: process.cpuUsage(), procs: cpuSnapshot(target) };

  const timers = at.map(({ afterMs, run }) => setTimeout(run, afterMs));
  const loop = async () => {
    while (performance.now() < end) {
      const started = performance.now();
      let ok = false;
      let reason;
      try {
        const res = await pool.request({ path: EXEC_PATH, method: 'POST', headers: target.headers, body: BODY });
        const text = await res.body.text();
        let body;
        try { body = JSON.parse(text); } catch {}
        ok = res.statusCode === 200 && body?.success === true && body?.data?.n === 42;
        if (!ok) reason = `HTTP ${res.statusCode}${body?.error ? ` ${body.error}` : ''}`;
      } catch (err) {
        reason = err?.code ?? err?.name ?? 'error';
      }
      const done = performance.now();
      if (done < measureFrom) continue;
      const b = Math.floor((done - measureFrom) / 500);
      stats.buckets[b] = (stats.buckets[b] ?? 0) + (ok ? 1 : 0);
      if (ok) {
        stats.ok++;
        stats.latencies.push(done - started);
      } else {
        stats.failed++;
        stats.reasons.set(reason, (stats.reasons.get(reason) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  for (const t of timers) clearTimeout(t);
  // Answers still arriving after `end` (the last round of each loop) are counted above; the
  // rate uses the time the measured answers actually took.
  const elapsedS = (performance.now() - measureFrom) / 1000;
  const cpu = cpuDelta(cpu0, target);
  stats.latencies.sort((a, b) => a - b);
  return {
    rps: stats.ok / elapsedS,
    ok: stats.ok,
    failed: stats.failed,
    reasons: stats.reasons,
    p50: pct(stats.latencies, 0.5),
    p99: pct(stats.latencies, 0.99),
    cpu,
    elapsedS,
    // Answers per second in each half second of the measured window.
    timeline: Array.from(stats.buckets, (n) => (n ?? 0) * 2),
  };
}

function pct(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function cpuSnapshot(target) {
  return {
    proxy: cpuSecondsPrecise(target.entry.child.pid),
    workers: workers.map((w) => cpuSecondsPrecise(w.entry.child.pid)),
  };
}

function cpuDelta(cpu0, target) {
  const self = process.cpuUsage(cpu0.self);
  const now = cpuSnapshot(target);
  const sum = (a) => a.reduce((s, x) => (x === undefined || s === undefined ? undefined : s + x), 0);
  return {
    loadgen: (self.user + self.system) / 1e6,
    proxy: now.proxy !== undefined && cpu0.procs.proxy !== undefined ? now.proxy - cpu0.procs.proxy : undefined,
    // A worker restarted during the run has a new pid: its delta is not comparable, skip it.
    workers: cpu0.procs.workers.length === now.workers.length ? sum(now.workers.map((x, i) => (x === undefined || cpu0.procs.workers[i] === undefined ? undefined : x - cpu0.procs.workers[i]))) : undefined,
  };
}

function makeTarget(name, baseUrl, entry, concurrency, extra = {}) {
  return {
    name,
    entry,
    pool: new Pool(baseUrl, { connections: concurrency, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 15_000, bodyTimeout: 15_000 }),
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    ...extra,
  };
}

async function sanityCheck(target) {
  const res = await target.pool.request({ path: EXEC_PATH, method: 'POST', headers: target.headers, body: BODY });
  const text = await res.body.text();
  let body;
  try { body = JSON.parse(text); } catch {}
  if (res.statusCode !== 200 || body?.success !== true || body?.data?.n !== 42) {
    throw new Error(`${target.name}: the echo command did not come back (HTTP ${res.statusCode}): ${text.slice(0, 300)}`);
  }
}

// ---------------------------------------------------------------------------------- report

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
/** The first and third quartiles of `xs`, as "q1–q3". */
const spread = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return `${q(0.25).toFixed(2)}–${q(0.75).toFixed(2)}`;
};
const fmt = (n, d = 0) => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(d));
const pad = (s, n) => String(s).padEnd(n);
const padL = (s, n) => String(s).padStart(n);
let W = 20; // width of the target column
const reasonsText = (m) => (m.size === 0 ? '' : [...m.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${v}× ${k}`).join(', '));

// ------------------------------------------------------------------------------------ main

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const startedAt = Date.now();

  const haproxyBin = findOnPath('haproxy');
  if (!haproxyBin) {
    process.stderr.write('bench:dispatch: haproxy is not installed (not on PATH).\n  Install it:  apt-get install -y haproxy   (Debian/Ubuntu; sudo if not root)\n');
    process.exit(1);
  }
  if (!existsSync(VIGIE_ENTRY)) {
    process.stderr.write('bench:dispatch: Vigie is not built (packages/vigie/dist is missing). Run `npm run build` first.\n');
    process.exit(1);
  }
  const stale = staleSince(ROOT);
  if (stale) process.stderr.write(`bench:dispatch: warning: ${stale} changed after the last build; this measures the built dist (npm run build to refresh)\n`);

  const nTargets = 1 + opts.strategies.length + (opts.nodeFloor ? 1 : 0) + opts.variants.length;
  const nKill = 1 + opts.strategies.length;
  const planned = Math.ceil(nTargets * (opts.initialWarmup + opts.rounds * (opts.warmup + opts.duration)) + nKill * (opts.killDuration + 1) + 5);
  // The default plan stays under the 90 s bound; a longer one asked for on the command line gets its time.
  const bound = Math.max(TIME_BOUND_MS, (planned + 20) * 1000);
  if (planned * 1000 > TIME_BOUND_MS) process.stderr.write(`bench:dispatch: note: this plan takes about ${planned} s (over the default ${TIME_BOUND_MS / 1000} s bound)\n`);
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench:dispatch: time bound (${bound / 1000} s) hit; stopping\n`);
    void cleanup().finally(() => process.exit(1));
  }, bound);
  watchdog.unref();

  tmpDir = mkdtempSync(path.join(os.tmpdir(), 'vigie-bench-dispatch-'));
  if (opts.cpuProf) mkdirSync(opts.cpuProf, { recursive: true });

  const haproxyVersion = await readHaproxyVersion(haproxyBin);

  // Workers first: each coordinator checks them all before it listens.
  for (const [i, host] of WORKER_HOSTS.entries()) {
    const dataDir = path.join(tmpDir, `w${i + 1}`);
    mkdirSync(dataDir);
    workers.push({ id: `w${i + 1}`, host, port: undefined, url: undefined, entry: undefined, dataDir, restarts: 0 });
  }
  await Promise.all(workers.map(startWorker));
  const configFile = path.join(tmpDir, 'vigie.config.json');
  writeFileSync(configFile, JSON.stringify({ workers: workers.map((w) => ({ id: w.id, name: w.id, region: `local-${w.id}`, url: w.url })) }, null, 2));
  for (const s of opts.strategies) coordinators.push(await startCoordinator(s, configFile, opts));
  await startHaproxy(haproxyBin, opts);

  const targets = [
    makeTarget('haproxy', haproxy.url, haproxy.entry, opts.concurrency, { kind: 'haproxy' }),
    ...coordinators.map((c) => makeTarget(`vigie ${c.strategy}`, c.url, c.entry, opts.concurrency, { kind: 'vigie', coordinator: c })),
  ];
  if (opts.nodeFloor) {
    const entry = startChild('node floor', process.execPath, [...profileArgs(opts, 'node-floor'), path.join(path.dirname(fileURLToPath(import.meta.url)), 'node-floor.mjs')], {
      env: { VIGIE_API_KEY: apiKey, FLOOR_WORKERS: workers.map((w) => w.url).join(',') },
      logFile: path.join(tmpDir, 'node-floor.log'),
    });
    const line = await waitForLog(entry, 'listening');
    targets.push(makeTarget('node floor (ref.)', line.url, entry, opts.concurrency, { kind: 'floor' }));
  }
  for (const v of opts.variants) {
    const ablate = v === 'none' ? '' : v.replaceAll('+', ',');
    const dataDir = path.join(tmpDir, `variant-${v}`);
    mkdirSync(dataDir);
    const entry = startChild(`variant ${v}`, process.execPath, [path.join(path.dirname(fileURLToPath(import.meta.url)), 'coordinator-variant.mjs'), configFile], {
      env: { ...COORDINATOR_ENV, VIGIE_API_KEY: apiKey, VIGIE_DATA_DIR: dataDir, LB_STRATEGY: 'round-robin', ABLATE: ablate },
      logFile: path.join(tmpDir, `variant-${v}.log`),
    });
    const line = await waitForLog(entry, 'coordinator listening');
    targets.push(makeTarget(v === 'none' ? 'rr via variant.mjs' : `rr without ${v}`, line.url, entry, opts.concurrency, { kind: 'variant' }));
  }
  for (const t of targets) await sanityCheck(t);
  W = Math.max(20, ...targets.map((t) => t.name.length + 1));

  const cpus = os.availableParallelism?.() ?? os.cpus().length;
  const out = (s = '') => process.stdout.write(`${s}\n`);
  out(`bench:dispatch — POST ${EXEC_PATH} (custom echo) over ${workers.length} local workers (${workers.map((w) => w.host).join(', ')})`);
  out(`  node ${process.version}, ${haproxyVersion} (nbthread ${opts.haproxyThreads}, roundrobin, retries 3, option redispatch, check inter 1s fall 1 rise 1)`);
  out(`  coordinators: ${opts.strategies.map((x) => `LB_STRATEGY=${x}`).join(', ')}; HEALTH_CHECK_INTERVAL_MS=1000 (as HAProxy's inter 1s), other settings default`);
  out(`  load: ${opts.concurrency} concurrent keep-alive loops (undici, in this process), ${opts.initialWarmup} s warm-up per target, then ${opts.rounds} rounds`);
  out(`        of ${opts.warmup} s warm-up + ${opts.duration} s measured per target, order rotated each round; medians reported`);
  out(`  note: ${cpus} CPU(s) shared by the load generator (this process), the proxy under test, the ${workers.length} workers and whatever`);
  out('        else runs on the machine: figures are CPU-bound and noisy; read the ratios, and the CPU columns');
  out('        (CPU-seconds per 1000 answers, from /proc), which depend little on the noise.');
  out();

  // ---- warm-up: JIT of the workers, the coordinators and this generator; not measured
  for (const t of targets) await runLoad(t, { concurrency: opts.concurrency, warmupMs: opts.initialWarmup * 1000, durationMs: 0 });

  // ---- phase 1: throughput
  const results = new Map(targets.map((t) => [t.name, []]));
  for (let r = 0; r < opts.rounds; r++) {
    const order = targets.map((_, i) => targets[(i + r) % targets.length]);
    for (const t of order) {
      const res = await runLoad(t, { concurrency: opts.concurrency, warmupMs: opts.warmup * 1000, durationMs: opts.duration * 1000 });
      results.get(t.name).push(res);
      process.stderr.write(`  round ${r + 1}/${opts.rounds} ${pad(t.name, W)} ${padL(fmt(res.rps), 6)} req/s  failed ${res.failed}\n`);
    }
  }

  // ---- phase 2: one worker killed under load
  const killed = workers[KILLED_WORKER];
  const killResults = new Map();
  // HAProxy in the middle: the coordinator that saw the kill recovers (health re-check backoff)
  // while HAProxy's phase runs.
  const vigieTargets = targets.filter((t) => t.kind === 'vigie');
  const killOrder = [...vigieTargets.slice(0, 1), targets[0], ...vigieTargets.slice(1)];
  for (const t of killOrder) {
    if (killed.entry.exited) {
      killed.restarts++;
      await startWorker(killed);
    }
    const ready = t.kind === 'haproxy' ? async () => (await haproxyUp()) === workers.length : async () => (await vigieAvailable(t.coordinator)) === workers.length;
    let note = '';
    await waitUntil(ready, 6_000).catch(() => {
      note = ' INVALID: the killed worker was not seen back before the phase';
    });
    const res = await runLoad(t, {
      concurrency: opts.concurrency,
      warmupMs: 0,
      durationMs: opts.killDuration * 1000,
      at: [{ afterMs: opts.killAt * 1000, run: () => killed.entry.child.kill('SIGKILL') }],
    });
    await new Promise((r) => (killed.entry.exited ? r() : killed.entry.child.once('exit', r)));
    killResults.set(t.name, { ...res, note, ...(t.kind === 'haproxy' ? { counters: await haproxyCounters(killed.id).catch(() => undefined) } : {}) });
    process.stderr.write(`  kill ${pad(t.name, W)} ${res.ok} ok, ${res.failed} failed${note}\n`);
  }

  // ---- report
  out(`throughput (${opts.rounds} × ${opts.duration} s per target, median):`);
  out(`  ${pad('target', W)} ${padL('req/s', 6)}  ${pad('rounds: min–max', 16)} ${padL('p50 ms', 6)} ${padL('p99 ms', 6)} ${padL('failed', 6)} │ cpu s/1000: ${padL('proxy', 6)} ${padL('workers', 7)} ${padL('loadgen', 7)} ${padL('total', 6)}`);
  const med = new Map();
  for (const t of targets) {
    const rs = results.get(t.name);
    const per1k = (sel) => {
      const vals = rs.map((x) => { const c = sel(x.cpu); return c === undefined ? undefined : (c / (x.ok + x.failed || 1)) * 1000; });
      return vals.some((v) => v === undefined) ? undefined : median(vals);
    };
    const m = {
      rps: median(rs.map((x) => x.rps)),
      proxy: per1k((c) => c.proxy),
      workers: per1k((c) => c.workers),
      loadgen: per1k((c) => c.loadgen),
      total: per1k((c) => (c.proxy === undefined || c.workers === undefined ? undefined : c.proxy + c.workers + c.loadgen)),
    };
    med.set(t.name, m);
    out(`  ${pad(t.name, W)} ${padL(fmt(m.rps), 6)}  ${pad(`${fmt(Math.min(...rs.map((x) => x.rps)))}–${fmt(Math.max(...rs.map((x) => x.rps)))}`, 16)} ${padL(fmt(median(rs.map((x) => x.p50)), 1), 6)} ${padL(fmt(median(rs.map((x) => x.p99)), 1), 6)} ${padL(rs.reduce((s, x) => s + x.failed, 0), 6)} │             ${padL(fmt(m.proxy, 3), 6)} ${padL(fmt(m.workers, 3), 7)} ${padL(fmt(m.loadgen, 3), 7)} ${padL(fmt(m.total, 3), 6)}`);
  }
  out();
  out(`worker ${killed.id} (${killed.host}) SIGKILLed ${opts.killAt} s into ${opts.killDuration} s of load (restarted on the same port between targets):`);
  for (const t of killOrder) {
    const k = killResults.get(t.name);
    out(`  ${pad(t.name, W)} ${padL(k.ok, 6)} ok ${padL(k.failed, 5)} failed${k.failed ? `  (${reasonsText(k.reasons)})` : ''}${k.note}`);
  }
  const hc = killResults.get('haproxy').counters;
  if (hc) {
    out(`  haproxy's counters for ${killed.id}, whole run: ${hc.srvAbort} server aborts (requests in flight on the killed worker: not retried,`);
    out(`    retry-on defaults to conn-failure; the client connection is closed), ${hc.redispatched} redispatched after a refused connect, ${hc.http5xx} 5xx`);
  }
  out('  answers/s per half second (kill at the |):');
  for (const t of killOrder) {
    const k = killResults.get(t.name);
    const cut = Math.round(opts.killAt * 2);
    out(`  ${pad(t.name, W)} ${k.timeline.slice(0, cut).map((n) => padL(n, 5)).join('')}  |${k.timeline.slice(cut, opts.killDuration * 2).map((n) => padL(n, 5)).join('')}`);
  }
  out();

  const hp = med.get('haproxy');
  const hpRounds = results.get('haproxy');
  const hpFailed = killResults.get('haproxy').failed;
  // Verdicts on paired ratios: each round measures every target within seconds of the others,
  // so the ratio of a round cancels the drift of the machine's speed (other sessions' load moves
  // it by ±50 % within tens of seconds), which the ratio of medians over the run does not.
  for (const t of targets.filter((x) => x.kind !== 'haproxy')) {
    const m = med.get(t.name);
    const paired = results.get(t.name).map((x, i) => x.rps / hpRounds[i].rps);
    const ratio = median(paired);
    const cpuRatio = hp.total !== undefined && m.total !== undefined ? hp.total / m.total : undefined;
    const label = t.kind === 'vigie' ? `[LB_STRATEGY=${t.coordinator.strategy}]` : '[reference, not Vigie as shipped]';
    const who = t.kind === 'vigie' ? 'vigie' : t.name;
    out(`throughput ratio ${who}/haproxy = ${ratio.toFixed(2)} (goal ≥ ${THROUGHPUT_GOAL.toFixed(2)}) ${t.kind === 'vigie' ? (ratio >= THROUGHPUT_GOAL ? 'OK' : 'MISSED') : ''}   ${label}`);
    out(`    median of ${paired.length} paired rounds, quartiles ${spread(paired)}; ratio of medians ${(m.rps / hp.rps).toFixed(2)}; CPU per answer, haproxy path/this path = ${fmt(cpuRatio, 2)}`);
  }
  // Issue 16: the coordinator's own CPU per answer against the bare Node forwarder's, same run.
  const floor = med.get('node floor (ref.)');
  for (const c of coordinators) {
    const m = med.get(`vigie ${c.strategy}`);
    if (!floor || floor.proxy === undefined || m?.proxy === undefined) continue;
    const perRound = results.get(`vigie ${c.strategy}`).map((x, i) => {
      const f = results.get('node floor (ref.)')[i];
      return x.cpu.proxy / (x.ok + x.failed || 1) / (f.cpu.proxy / (f.ok + f.failed || 1));
    });
    const r = median(perRound);
    out(`CPU per answer, vigie/node floor = ${r.toFixed(2)} (goal ≤ ${CPU_GOAL.toFixed(2)}) ${r <= CPU_GOAL ? 'OK' : 'MISSED'}   [LB_STRATEGY=${c.strategy}]`);
    out(`    median of ${perRound.length} paired rounds, quartiles ${spread(perRound)}; medians ${fmt(m.proxy * 1000, 0)}/${fmt(floor.proxy * 1000, 0)} µs = ${(m.proxy / floor.proxy).toFixed(2)}`);
  }
  for (const c of coordinators) {
    const k = killResults.get(`vigie ${c.strategy}`);
    const verdict = k.note || killResults.get('haproxy').note ? 'INVALID (see above)' : k.failed === 0 ? 'OK' : 'MISSED';
    out(`failed requests when a worker dies: vigie ${k.failed}, haproxy ${hpFailed} (target: vigie 0) ${verdict}   [LB_STRATEGY=${c.strategy}]`);
  }
  out(`(${((Date.now() - startedAt) / 1000).toFixed(0)} s)`);
  if (process.env.BENCH_JSON) {
    // Raw figures for later analysis: per round, answers/s and CPU-seconds per 1000 answers.
    const raw = Object.fromEntries(targets.map((t) => [t.name, results.get(t.name).map((x) => ({
      rps: x.rps, ok: x.ok, failed: x.failed, p50: x.p50, p99: x.p99,
      cpuPer1k: Object.fromEntries(Object.entries(x.cpu).map(([k, v]) => [k, v === undefined ? null : (v / (x.ok + x.failed || 1)) * 1000])),
    }))]));
    writeFileSync(process.env.BENCH_JSON, JSON.stringify({ opts, throughput: raw, kill: Object.fromEntries([...killResults].map(([k, v]) => [k, { ok: v.ok, failed: v.failed, reasons: Object.fromEntries(v.reasons), timeline: v.timeline }])) }, null, 2));
  }

  for (const t of targets) await t.pool.close().catch(() => {});
}

try {
  await main();
  await cleanup();
  process.exit(0);
} catch (err) {
  process.stderr.write(`bench:dispatch: ${err?.stack ?? err}\n`);
  if (tmpDir) process.stderr.write(`  logs were in ${tmpDir} (set BENCH_KEEP_TMP=1 to keep them)\n`);
  await cleanup();
  process.exit(1);
}
