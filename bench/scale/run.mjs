#!/usr/bin/env node
// bench/scale — one coordinator over 5000 stand-in workers and 20 000 alerts, measured as a new
// user would run it, against HAProxy checking the same workers, in one run:
//   - CPU per health check, coordinator vs HAProxy (`option httpchk`, `check inter 15s`, one
//     thread), over the same window, from /proc/PID/stat;
//   - the coordinator's RSS after registering the workers, after one cycle and after ten;
//   - the time and CPU of a cycle over 20 000 alerts and over 100 000;
//   - the time of importing 20 000 alerts (POST /api/v1/alerts/import) on SQLite, and on
//     PostgreSQL when one answers (DATABASE_TEST_URL, default postgres://postgres@127.0.0.1:5432/test).
// Every figure is printed beside its goal. Runs the built dist (`npm run build` first).
//
//   npm run bench:scale   or   node bench/scale/run.mjs [--workers 5000] [--alerts 20000]
//     [--big-alerts 100000] [--cycles 10] [--big-cycles 3] [--health-window 30]
//     [--cpu-prof DIR] [--heap-snapshot DIR] [--no-postgres] [--node-args "--flag=v …"]
//
// BENCH_KEEP_TMP=1 keeps the temp dir (logs, configs). A benchmark, not a test: it exits 0
// whether or not the goals are met (it says MISSED), 1 only when it could not run.

import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { Children, cpuSeconds, findOnPath, freePort, haproxyVersion, rssBytes, sleep, staleBuild, tailOf, waitForLog, waitUntil } from '../lib/procs.mjs';
import { alertsNdjson, fmt, haproxyConfig, mb, median, verdict } from './lib.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const VIGIE_BIN = path.join(ROOT, 'packages', 'vigie', 'bin', 'vigie.js');
const VIGIE_ENTRY = path.join(ROOT, 'packages', 'vigie', 'dist', 'cli', 'main.js');
const HOST = '127.0.0.20';
const INTERVAL_MS = 15_000;
const TIMEOUT_MS = 15_000; // the coordinator's default HEALTH_CHECK_TIMEOUT_MS, for both
// RSS after a cycle is read this long after its end, the same for the first and the tenth: the
// pages a full collection frees go back to the system from a V8 background task, within about a
// second (a cycle runs every ALERT_CHECK_INTERVAL_MS, minutes apart, in real use).
const SETTLE_MS = 2000;
const DAY_MS = 86_400_000; // cycles only when the bench asks (run-once), never on a timer

function parseArgs(argv) {
  const o = { workers: 5000, alerts: 20_000, bigAlerts: 100_000, cycles: 10, bigCycles: 3, healthWindow: 30, cpuProf: undefined, heapSnapshot: undefined, postgres: true, nodeArgs: [] };
  for (let i = 0; i < argv.length; i++) {
    const eq = argv[i].indexOf('=');
    const [flag, inline] = eq < 0 ? [argv[i], undefined] : [argv[i].slice(0, eq), argv[i].slice(eq + 1)];
    const value = () => inline ?? argv[++i];
    const int = (min) => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < min) fail(`${flag} needs an integer ≥ ${min}`);
      return n;
    };
    switch (flag) {
      case '--workers': o.workers = int(1); break;
      case '--alerts': o.alerts = int(1); break;
      case '--big-alerts': o.bigAlerts = int(0); break;
      case '--cycles': o.cycles = int(1); break;
      case '--big-cycles': o.bigCycles = int(0); break;
      case '--health-window': o.healthWindow = int(5); break;
      case '--cpu-prof': o.cpuProf = path.resolve(value()); break;
      case '--heap-snapshot': o.heapSnapshot = path.resolve(value()); break;
      case '--no-postgres': o.postgres = false; break;
      case '--node-args': o.nodeArgs.push(...value().split(/\s+/).filter(Boolean)); break;
      case '-h': case '--help':
        process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 18).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
        process.exit(0);
        break;
      default: fail(`unknown option ${argv[i]} (see --help)`);
    }
  }
  if (o.bigAlerts > 0 && o.bigAlerts < o.alerts) fail('--big-alerts must be 0 or at least --alerts');
  return o;
}

function fail(msg) {
  process.stderr.write(`bench:scale: ${msg}\n`);
  process.exit(1);
}

const children = new Children('bench:scale');
let tmpDir;
children.onCleanup.push(() => {
  if (tmpDir && !process.env.BENCH_KEEP_TMP) rmSync(tmpDir, { recursive: true, force: true });
});
children.installExitHandlers();
const apiKey = randomBytes(24).toString('hex');
const progress = (s) => process.stderr.write(`  ${s}\n`);

/** The stand-ins: one process, `count` ports; resolves with it and its ports. */
async function startStandIns(count) {
  const logFile = path.join(tmpDir, 'stand-ins.log');
  const entry = children.start('stand-ins', process.execPath, [path.join(HERE, 'stand-ins.mjs')], {
    env: { STAND_IN_HOST: HOST, STAND_IN_COUNT: String(count) }, logFile, cwd: tmpDir, ipc: true,
  });
  const ports = await new Promise((resolve, reject) => {
    entry.child.on('message', (m) => m?.ready && resolve(m.ports));
    entry.child.once('exit', () => reject(new Error(`the stand-ins exited (${entry.exit}):\n${tailOf(logFile)}`)));
  });
  const counts = () => new Promise((resolve) => {
    const on = (m) => {
      if (!m?.counts) return;
      entry.child.off('message', on);
      resolve(m.counts);
    };
    entry.child.on('message', on);
    entry.child.send({ counts: true });
  });
  return { entry, ports, counts };
}

async function startCoordinator(name, ports, { env = {}, nodeArgs = [] } = {}) {
  const dir = path.join(tmpDir, name);
  mkdirSync(dir);
  const configFile = path.join(dir, 'vigie.config.json');
  writeFileSync(configFile, JSON.stringify({ workers: ports.map((p, i) => ({ id: `w${i + 1}`, name: `w${i + 1}`, region: 'bench', url: `http://${HOST}:${p}` })) }));
  const entry = children.start(name, process.execPath, [...nodeArgs, VIGIE_BIN, '--config', configFile, 'coordinator', '--host', '127.0.0.1', '--port', '0'], {
    env: {
      VIGIE_API_KEY: apiKey, VIGIE_DATA_DIR: dir, LOG_FORMAT: 'json',
      HEALTH_CHECK_INTERVAL_MS: String(INTERVAL_MS), HEALTH_CHECK_TIMEOUT_MS: String(TIMEOUT_MS),
      ALERT_INITIAL_DELAY_MS: String(DAY_MS), ALERT_CHECK_INTERVAL_MS: String(DAY_MS),
      ...env,
    },
    logFile: path.join(tmpDir, `${name}.log`), cwd: dir,
  });
  const t0 = performance.now();
  const line = await waitForLog(entry, 'coordinator listening', 180_000);
  return { entry, url: line.url, startS: (performance.now() - t0) / 1000, dir };
}

async function startHaproxy(bin, ports) {
  const statsPort = await freePort('127.0.0.1');
  const cfg = haproxyConfig({ host: HOST, ports, intervalMs: INTERVAL_MS, timeoutMs: TIMEOUT_MS, statsPort });
  const cfgFile = path.join(tmpDir, 'haproxy.cfg');
  writeFileSync(cfgFile, cfg);
  const entry = children.start('haproxy', bin, ['-db', '-f', cfgFile], { logFile: path.join(tmpDir, 'haproxy.log'), cwd: tmpDir });
  await waitUntil(async () => {
    const res = await request(`http://127.0.0.1:${statsPort}/stats;csv`, { headersTimeout: 2000, bodyTimeout: 2000 });
    await res.body.text();
    return res.statusCode === 200;
  }, 15_000, () => {
    if (entry.exited) throw new Error(`haproxy exited (${entry.exit}):\n${tailOf(entry.logFile)}`);
  });
  return { entry };
}

async function call(url, method, route, body, contentType = 'application/json') {
  const res = await request(`${url}${route}`, {
    method,
    headers: { 'x-api-key': apiKey, ...(body !== undefined ? { 'content-type': contentType } : {}) },
    ...(body !== undefined ? { body } : {}),
    headersTimeout: 300_000,
    bodyTimeout: 300_000,
  });
  const text = await res.body.text();
  let json;
  try { json = JSON.parse(text); } catch {}
  if (res.statusCode >= 300) throw new Error(`${method} ${route}: HTTP ${res.statusCode}: ${text.slice(0, 400)}`);
  return json;
}

/** The coordinator's own memory breakdown from its /metrics (prom-client's default metrics), in MB. */
async function memoryBreakdown(url) {
  const res = await request(`${url}/metrics`, { headers: { 'x-api-key': apiKey }, headersTimeout: 10_000, bodyTimeout: 10_000 });
  const text = await res.body.text();
  const pick = (name) => {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(text);
    return m ? Number(m[1]) / 1_048_576 : undefined;
  };
  const young = /^vigie_nodejs_heap_space_size_total_bytes\{space="new"\} ([0-9.e+]+)$/m.exec(text);
  let spaces = 0;
  for (const m of text.matchAll(/^vigie_nodejs_heap_space_size_used_bytes\{space="([a-z_]+)"\} ([0-9.e+]+)$/gm)) spaces += Number(m[2]);
  return {
    rss: pick('vigie_process_resident_memory_bytes'),
    heapTotal: pick('vigie_nodejs_heap_size_total_bytes'),
    heapUsed: pick('vigie_nodejs_heap_size_used_bytes'),
    external: pick('vigie_nodejs_external_memory_bytes'),
    spacesUsed: spaces / 1_048_576,
    young: young ? Number(young[1]) / 1_048_576 : undefined,
  };
}

/** Wall time and coordinator CPU of one call. */
async function measured(pid, fn) {
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  const result = await fn();
  return { result, wallS: (performance.now() - t0) / 1000, cpuS: cpuSeconds(pid) - cpu0 };
}

async function importAlerts(url, pid, ndjson) {
  const m = await measured(pid, () => call(url, 'POST', '/api/v1/alerts/import', ndjson, 'application/x-ndjson'));
  return { ...m, imported: m.result.imported };
}

/** Waits until the coordinator leads (run-once needs the leader); returns how long that took. */
async function waitLeader(url) {
  const t0 = performance.now();
  await waitUntil(async () => {
    const res = await request(`${url}/api/health`, { headersTimeout: 5000, bodyTimeout: 5000 });
    return (await res.body.json())?.leadership?.role === 'leader';
  }, 60_000);
  return (performance.now() - t0) / 1000;
}

/** How many times the coordinator logged that it lost the leadership. */
function leadershipLosses(entry) {
  return (readFileSync(entry.logFile, 'utf8').match(/"msg":"Leadership lost/g) ?? []).length;
}

async function runCycle(url, pid) {
  let m;
  // Leadership can be lost between the check and the call (it is counted and printed): wait for it again.
  for (let attempt = 1; ; attempt++) {
    await waitLeader(url);
    try {
      m = await measured(pid, () => call(url, 'POST', '/api/v1/alerts/run-once', '{}'));
      break;
    } catch (err) {
      if (attempt >= 5 || !String(err.message).includes('NOT_LEADER')) throw err;
    }
  }
  const s = m.result.data;
  if (s.status !== 'ok') throw new Error(`cycle ended ${s.status}: ${s.alertsChecked}/${s.alertsTotal} checked, ${s.errors} error(s)`);
  return { wallS: m.wallS, cpuS: m.cpuS, durationS: s.durationMs / 1000, alerts: s.alertsTotal, workersOk: s.workersOk };
}

/** A PostgreSQL database made for this run, or undefined (with the reason) when none answers. */
async function tempPostgres() {
  const base = process.env.DATABASE_TEST_URL || 'postgres://postgres@127.0.0.1:5432/test';
  let pg;
  try {
    pg = (await import('pg')).default;
  } catch {
    return { reason: 'the pg module is not installed' };
  }
  const name = `vigie_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
    await admin.query(`create database ${name}`);
  } catch (err) {
    return { reason: `PostgreSQL at ${new URL(base).host} did not answer (${err.message})` };
  } finally {
    await admin.end().catch(() => {});
  }
  const u = new URL(base);
  u.pathname = `/${name}`;
  const drop = async () => {
    const c = new pg.Client({ connectionString: base, connectionTimeoutMillis: 2000 });
    await c.connect();
    await c.query(`drop database if exists ${name} with (force)`);
    await c.end();
  };
  children.onCleanup.push(() => drop().catch(() => {}));
  return { url: u.toString(), drop };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const startedAt = Date.now();
  const bin = findOnPath('haproxy');
  if (!bin) fail('haproxy is not installed (not on PATH).\n  Install it:  apt-get install -y haproxy   (Debian/Ubuntu; sudo if not root)');
  if (!existsSync(VIGIE_ENTRY)) fail('Vigie is not built (packages/vigie/dist is missing). Run `npm run build` first.');
  const stale = staleBuild(ROOT);
  if (stale) process.stderr.write(`bench:scale: warning: ${stale} changed after the last build; this measures the built dist\n`);
  const bound = 120_000 + opts.workers * 20 + opts.healthWindow * 1000 + (opts.cycles + opts.bigCycles * 5) * 15_000;
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench:scale: time bound (${Math.round(bound / 1000)} s) hit; stopping\n`);
    void children.cleanup().finally(() => process.exit(1));
  }, bound);
  watchdog.unref();

  tmpDir = mkdtempSync(path.join(os.tmpdir(), 'vigie-bench-scale-'));
  for (const d of [opts.cpuProf, opts.heapSnapshot]) if (d) mkdirSync(d, { recursive: true });
  const version = await haproxyVersion(bin);

  progress(`starting ${opts.workers} stand-in workers on ${HOST}`);
  const standIns = await startStandIns(opts.workers);
  progress('starting the coordinator (registers the workers, checks them all once, then listens)');
  const nodeArgs = [
    ...opts.nodeArgs,
    ...(opts.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', opts.cpuProf, '--cpu-prof-name', 'coordinator.cpuprofile'] : []),
    ...(opts.heapSnapshot ? ['--heapsnapshot-signal=SIGUSR2'] : []),
  ];
  const coord = await startCoordinator('coordinator', standIns.ports, { nodeArgs });
  const pid = coord.entry.child.pid;
  await sleep(2000);
  const rssRegistered = rssBytes(pid);
  const memRegistered = await memoryBreakdown(coord.url).catch(() => undefined);
  const snapshot = async (label) => {
    if (!opts.heapSnapshot) return;
    const before = new Set(readdirSync(coord.dir));
    coord.entry.child.kill('SIGUSR2');
    // The snapshot is written by the main thread; wait until the file appears and stops growing.
    let file;
    await waitUntil(() => (file = readdirSync(coord.dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f))), 60_000);
    let size = -1;
    for (;;) {
      await sleep(500);
      const now = readFileSync(path.join(coord.dir, file)).length;
      if (now > 0 && now === size) break;
      size = now;
    }
    renameSync(path.join(coord.dir, file), path.join(opts.heapSnapshot, `coordinator-${label}.heapsnapshot`));
  };
  await snapshot('registered');

  progress('starting HAProxy over the same workers');
  const hap = await startHaproxy(bin, standIns.ports);
  // Let HAProxy's first checks spread over its interval before the window opens.
  await sleep(3000);
  progress(`health window: ${opts.healthWindow} s, both checking the ${opts.workers} workers every ${INTERVAL_MS / 1000} s`);
  const c0 = await standIns.counts();
  const cpu0 = { coord: cpuSeconds(pid), hap: cpuSeconds(hap.entry.child.pid) };
  await sleep(opts.healthWindow * 1000);
  const c1 = await standIns.counts();
  const health = {
    coordCpuS: cpuSeconds(pid) - cpu0.coord,
    hapCpuS: cpuSeconds(hap.entry.child.pid) - cpu0.hap,
    coordChecks: c1.coordinatorHealth - c0.coordinatorHealth,
    hapChecks: c1.haproxyHealth - c0.haproxyHealth,
    hapRss: rssBytes(hap.entry.child.pid),
  };
  const rssIdle = rssBytes(pid);
  await children.stop(hap.entry);

  progress(`importing ${opts.alerts} alerts (SQLite)`);
  const imp = await importAlerts(coord.url, pid, alertsNdjson(opts.alerts));

  progress(`${opts.cycles} cycles over ${opts.alerts} alerts`);
  const cycles = [];
  let rssAfterFirst;
  let memAfterFirst;
  for (let i = 0; i < opts.cycles; i++) {
    cycles.push(await runCycle(coord.url, pid));
    if (i === 0) {
      await sleep(SETTLE_MS);
      rssAfterFirst = rssBytes(pid);
      memAfterFirst = await memoryBreakdown(coord.url).catch(() => undefined);
    }
    progress(`  cycle ${i + 1}: ${fmt(cycles[i].wallS, 2)} s, CPU ${fmt(cycles[i].cpuS, 2)} s`);
  }
  await sleep(SETTLE_MS);
  const rssAfterAll = rssBytes(pid);
  const memAfterAll = await memoryBreakdown(coord.url).catch(() => undefined);
  await snapshot(`after-${opts.cycles}-cycles`);

  let big;
  if (opts.bigAlerts > 0 && opts.bigCycles > 0) {
    progress(`importing ${opts.bigAlerts - opts.alerts} more alerts, then ${opts.bigCycles} cycles over ${opts.bigAlerts}`);
    const more = await importAlerts(coord.url, pid, alertsNdjson(opts.bigAlerts - opts.alerts, opts.alerts));
    const runs = [];
    for (let i = 0; i < opts.bigCycles; i++) {
      runs.push(await runCycle(coord.url, pid));
      progress(`  cycle ${i + 1}: ${fmt(runs[i].wallS, 2)} s, CPU ${fmt(runs[i].cpuS, 2)} s`);
    }
    big = { importS: more.wallS, importCpuS: more.cpuS, imported: more.imported, runs, rss: rssBytes(pid) };
  }
  const standInCpu = cpuSeconds(standIns.entry.child.pid);
  await children.stop(coord.entry, 10_000);

  let pgImport;
  if (opts.postgres) {
    const db = await tempPostgres();
    if (db.url) {
      progress(`importing ${opts.alerts} alerts (PostgreSQL)`);
      // A small fleet: this coordinator is here for its store only.
      const pgCoord = await startCoordinator('coordinator-pg', standIns.ports.slice(0, 10), { env: { DATABASE_URL: db.url } });
      pgImport = await importAlerts(pgCoord.url, pgCoord.entry.child.pid, alertsNdjson(opts.alerts));
      await children.stop(pgCoord.entry, 5000);
      await db.drop().catch(() => {});
    } else {
      pgImport = { reason: db.reason };
    }
  } else {
    pgImport = { reason: '--no-postgres' };
  }

  // ------------------------------------------------------------------------------- report
  const out = (s = '') => process.stdout.write(`${s}\n`);
  const cpus = os.availableParallelism?.() ?? os.cpus().length;
  out(`bench:scale — one coordinator over ${opts.workers} stand-in workers (one process, ${HOST}), node ${process.version}, ${version}`);
  out(`  HEALTH_CHECK_INTERVAL_MS=${INTERVAL_MS} / HAProxy "option httpchk", "check inter ${INTERVAL_MS / 1000}s", nbthread 1, same workers, same ${opts.healthWindow} s window`);
  out(`  ${cpus} CPU(s) shared by the stand-ins, the coordinator, HAProxy and this process; load average at the end ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  out(`  (wall-clock figures stretch with the machine's load; the CPU figures, from /proc, much less); coordinator start-up (register + first round): ${fmt(coord.startS, 1)} s`);
  out();
  const perCheck = (cpuS, n) => (n > 0 ? (cpuS / n) * 1e6 : undefined);
  const coordUs = perCheck(health.coordCpuS, health.coordChecks);
  const hapUs = perCheck(health.hapCpuS, health.hapChecks);
  const pctCore = (cpuS) => (cpuS / opts.healthWindow) * 100;
  out('health checks                      coordinator      haproxy   ratio (coord/haproxy)  goal');
  out(`  checks in the window             ${fmt(health.coordChecks).padStart(11)} ${fmt(health.hapChecks).padStart(12)}`);
  out(`  CPU, % of one core               ${fmt(pctCore(health.coordCpuS), 2).padStart(11)} ${fmt(pctCore(health.hapCpuS), 2).padStart(12)}   ${fmt(health.coordCpuS / health.hapCpuS, 2).padStart(8)}`);
  const ratio = coordUs !== undefined && hapUs !== undefined ? coordUs / hapUs : undefined;
  out(`  CPU per check, µs                ${fmt(coordUs, 1).padStart(11)} ${fmt(hapUs, 1).padStart(12)}   ${fmt(ratio, 2).padStart(8)}               ≤ 1.00 ${verdict(ratio, 1, 'le')}`);
  out(`  RSS, MB                          ${fmt(mb(rssIdle), 0).padStart(11)} ${fmt(mb(health.hapRss), 0).padStart(12)}   ${fmt(rssIdle / health.hapRss, 1).padStart(8)}`);
  out();
  out('coordinator memory (RSS)                     MB   goal');
  out(`  after registering ${opts.workers} workers      ${fmt(mb(rssRegistered), 0).padStart(8)}   ≤ 150 ${verdict(mb(rssRegistered), 150, 'le')}`);
  out(`  after 1 cycle (${opts.alerts} alerts)         ${fmt(mb(rssAfterFirst), 0).padStart(8)}   (the base of the growth below)`);
  const growth = rssAfterAll / rssAfterFirst;
  out(`  after ${opts.cycles} cycles                       ${fmt(mb(rssAfterAll), 0).padStart(8)}   ${fmt(growth, 2)}× after 1 cycle, goal ≤ 1.10 ${verdict(growth, 1.1, 'le')}`);
  const breakdown = (m) => (m ? `V8 heap ${fmt(m.heapUsed, 0)} used of ${fmt(m.heapTotal, 0)} (young generation ${fmt(m.young, 0)}), external ${fmt(m.external, 0)}, rest (code, stacks, native: SQLite, undici, malloc) ${fmt(m.rss - m.heapTotal - m.external, 0)}` : 'n/a');
  out(`  where (from its /metrics), registered: ${breakdown(memRegistered)}`);
  out(`                        after 1 cycle: ${breakdown(memAfterFirst)}`);
  out(`                       after ${opts.cycles} cycles: ${breakdown(memAfterAll)}`);
  if (big) out(`  after ${big.runs.length} cycles over ${opts.bigAlerts} alerts      ${fmt(mb(big.rss), 0).padStart(8)}   (no goal)`);
  out();
  const walls = cycles.map((c) => c.wallS);
  const cpuC = cycles.map((c) => c.cpuS);
  out(`cycles (run-once, end to end; ${opts.cycles} over ${opts.alerts} alerts${big ? `, ${big.runs.length} over ${opts.bigAlerts}` : ''})   median    min    max  CPU s (median)  goal`);
  const m20 = median(walls);
  out(`  ${String(opts.alerts).padStart(6)} alerts / ${opts.workers} workers, s      ${fmt(m20, 2).padStart(7)} ${fmt(Math.min(...walls), 2).padStart(6)} ${fmt(Math.max(...walls), 2).padStart(6)} ${fmt(median(cpuC), 2).padStart(15)}  ≤ 1.5 ${verdict(m20, 1.5, 'le')}`);
  if (big) {
    const bw = big.runs.map((c) => c.wallS);
    const m100 = median(bw);
    const goal = 1.5 * (opts.bigAlerts / opts.alerts);
    out(`  ${String(opts.bigAlerts).padStart(6)} alerts / ${opts.workers} workers, s      ${fmt(m100, 2).padStart(7)} ${fmt(Math.min(...bw), 2).padStart(6)} ${fmt(Math.max(...bw), 2).padStart(6)} ${fmt(median(big.runs.map((c) => c.cpuS)), 2).padStart(15)}  ≤ ${fmt(goal, 1)} ${verdict(m100, goal, 'le')}; ${fmt(m100 / m20, 2)}× the ${opts.alerts}-alert cycle for ${fmt(opts.bigAlerts / opts.alerts, 1)}× the alerts`);
  }
  out();
  out(`import (POST /api/v1/alerts/import, NDJSON)     s   alerts/s  coordinator CPU s  goal`);
  out(`  ${opts.alerts} alerts, SQLite                ${fmt(imp.wallS, 2).padStart(6)} ${fmt(imp.imported / imp.wallS).padStart(9)} ${fmt(imp.cpuS, 2).padStart(18)}  ≤ 1 ${verdict(imp.wallS, 1, 'le')}`);
  if (pgImport.wallS !== undefined) out(`  ${opts.alerts} alerts, PostgreSQL            ${fmt(pgImport.wallS, 2).padStart(6)} ${fmt(pgImport.imported / pgImport.wallS).padStart(9)} ${fmt(pgImport.cpuS, 2).padStart(18)}  ≤ 2 ${verdict(pgImport.wallS, 2, 'le')}`);
  else out(`  ${opts.alerts} alerts, PostgreSQL            not measured: ${pgImport.reason}`);
  if (big) out(`  ${big.imported} alerts, SQLite (onto ${opts.alerts})    ${fmt(big.importS, 2).padStart(6)} ${fmt(big.imported / big.importS).padStart(9)} ${fmt(big.importCpuS, 2).padStart(18)}  (no goal)`);
  out();
  const losses = leadershipLosses(coord.entry);
  out(`leadership lost during the run: ${losses} time(s) (a healthy run loses it 0 times)`);
  out(`(stand-ins used ${fmt(standInCpu, 1)} CPU s in all; ${((Date.now() - startedAt) / 1000).toFixed(0)} s)`);
  if (opts.cpuProf) out(`CPU profile of the coordinator: ${opts.cpuProf}/coordinator.cpuprofile (node bench/dispatch/profile-summary.mjs FILE)`);
  if (opts.heapSnapshot) out(`heap snapshots of the coordinator: ${opts.heapSnapshot}/coordinator-*.heapsnapshot (node bench/scale/heap-summary.mjs FILE)`);
}

try {
  await main();
  await children.cleanup();
  process.exit(0);
} catch (err) {
  process.stderr.write(`bench:scale: ${err?.stack ?? err}\n`);
  if (tmpDir) process.stderr.write(`  logs were in ${tmpDir} (set BENCH_KEEP_TMP=1 to keep them)\n`);
  await children.cleanup();
  process.exit(1);
}
