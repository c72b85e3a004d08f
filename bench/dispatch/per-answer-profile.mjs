#!/usr/bin/env node
// Where the coordinator's and the node floor's time and memory go, per answer: CPU time (V8's
// sampling profiler) and bytes allocated (V8's sampling heap profiler, the objects that the
// collectors freed included), each by package and by function, divided by the answers sent in
// the same window. Each target runs in a process of its own with --inspect on loopback; this
// process attaches over the DevTools protocol, sends the echo command (32 keep-alive loops) and
// reads the profiles. Comparing the two lists shows what Vigie adds to the floor of any Node
// proxy; run.mjs's --cpu-prof profiles whole runs instead, idle and warm-up included.
//
//   npm run build && node bench/dispatch/per-answer-profile.mjs [--seconds 5] [--top 25] [--interval 4096] [--save DIR]
//
// --save DIR keeps each target's profiles (`<target>.cpuprofile`, `<target>.heapprofile`) for
// Chrome DevTools or a script that walks their call trees (who calls a hot function).
//
// Profiling slows the target (read µs and bytes per answer and their split, not throughput);
// CPU samples are wall-clock (a sample taken while the process waits for a CPU counts), so the
// line "CPU from /proc" says what the process really used in the CPU window.

import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool, request, WebSocket } from 'undici';
import { Children, cpuSecondsPrecise, findOnPath, freePort, waitForLog } from '../lib/procs.mjs';
import { echoLoad } from './lib/echo-load.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const VIGIE_BIN = path.join(ROOT, 'packages', 'vigie', 'bin', 'vigie.js');
const CONCURRENCY = 32;

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, top: { type: 'string', default: '25' }, interval: { type: 'string', default: '4096' }, save: { type: 'string' } } });
const seconds = Number(args.seconds);
const top = Number(args.top);
const interval = Number(args.interval);

const children = new Children('per-answer-profile');
const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'vigie-per-answer-profile-'));
children.onCleanup.push(() => rmSync(tmpDir, { recursive: true, force: true }));
children.installExitHandlers();
const apiKey = randomBytes(24).toString('hex');
// With strace on the PATH, the system calls per answer too (they show connections opened or closed, writes split).
const straceBin = findOnPath('strace');

/** System calls made by `pid` while it answers `seconds` of load: [name, count] by count. */
async function syscalls(pid, url) {
  const logFile = path.join(tmpDir, `strace-${pid}.txt`);
  const strace = children.start('strace', straceBin, ['-c', '-f', '-p', String(pid), '-o', logFile], { logFile: path.join(tmpDir, 'strace.log'), cwd: tmpDir });
  await new Promise((r) => setTimeout(r, 500)); // attached
  const answers = await load(url, seconds);
  await children.stop(strace);
  const calls = [];
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$/.exec(line);
    if (m && m[2] !== 'total') calls.push([m[2], Number(m[1])]);
  }
  return { answers, calls: calls.sort((a, b) => b[1] - a[1]) };
}

function mkdirIn(name) {
  const dir = path.join(tmpDir, name);
  mkdirSync(dir);
  return dir;
}

/** The echo load on `url` for `s` seconds; the right answers. */
async function load(url, s) {
  const pool = new Pool(url, { connections: CONCURRENCY, pipelining: 1 });
  try {
    return await echoLoad(pool, apiKey, s * 1000, CONCURRENCY);
  } finally {
    await pool.close();
  }
}

const out = (line) => process.stdout.write(`${line}\n`);

/** The heap profile's tree as (call frame, bytes allocated there) pairs. */
function heapTree(profile) {
  const sites = [];
  const walk = (node) => {
    if (node.selfSize > 0) sites.push([node.callFrame, node.selfSize]);
    for (const c of node.children) walk(c);
  };
  walk(profile.head);
  return sites;
}

/** The CPU profile as (call frame, µs of self time) pairs; idle time left out. */
function cpuTree(profile) {
  const self = new Map();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  return profile.nodes.filter((n) => self.has(n.id) && n.callFrame.functionName !== '(idle)').map((n) => [n.callFrame, self.get(n.id)]);
}

/** Sums (call frame, amount) pairs by package and by function, per answer. */
function report(sites, answers, { unit, scale, title }) {
  const bySite = new Map();
  const byPackage = new Map();
  let total = 0;
  for (const [f, amount] of sites) {
    const site = `${f.functionName || '(anonymous)'} ${shortUrl(f.url)}:${f.lineNumber + 1}`;
    bySite.set(site, (bySite.get(site) ?? 0) + amount);
    const pkg = packageOf(f);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + amount);
    total += amount;
  }
  const perAnswer = (v) => ((v * scale) / answers).toFixed(2).padStart(7);
  out(`  ${title}: ${perAnswer(total)} ${unit} per answer; by package:`);
  for (const [pkg, v] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 14)) out(`   ${perAnswer(v)}  ${pkg}`);
  out(`  top ${top} functions (${unit} per answer):`);
  for (const [site, v] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, top)) out(`   ${perAnswer(v)}  ${site}`);
}

function shortUrl(url) {
  return (url ?? '').replace(`file://${ROOT}/`, '').replace(/^.*node_modules\//, '');
}

function packageOf({ url, functionName }) {
  if (!url) return functionName.startsWith('(') ? functionName : '(native / V8)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[1] ?? url.slice(5)}`;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.includes('/packages/vigie/dist/')) return `vigie ${url.split('/packages/vigie/dist/')[1].split('/')[0]}`;
  return shortUrl(url);
}

/** A DevTools protocol session over the inspector's WebSocket (loopback only). */
class DevTools {
  static async attach(port) {
    const res = await request(`http://127.0.0.1:${port}/json/list`);
    const [{ webSocketDebuggerUrl }] = await res.body.json();
    const ws = new WebSocket(webSocketDebuggerUrl);
    await new Promise((resolve, reject) => {
      ws.addEventListener('open', resolve, { once: true });
      ws.addEventListener('error', reject, { once: true });
    });
    return new DevTools(ws);
  }

  constructor(ws) {
    this.ws = ws;
    this.next = 1;
    this.pending = new Map();
    ws.addEventListener('message', (e) => {
      const msg = JSON.parse(e.data);
      const p = msg.id !== undefined && this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${msg.error.message} (${msg.error.code})`));
      else p.resolve(msg.result);
    });
  }

  send(method, params = {}) {
    const id = this.next++;
    this.ws.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  close() {
    this.ws.close();
  }
}

async function main() {
  try {
    const workers = [];
    for (const [i, host] of ['127.0.0.2', '127.0.0.3', '127.0.0.4'].entries()) {
      const dataDir = path.join(tmpDir, `w${i + 1}`);
      mkdirSync(dataDir);
      const entry = children.start(`worker w${i + 1}`, process.execPath, [VIGIE_BIN, 'worker', '--id', `w${i + 1}`, '--host', host, '--port', '0'], {
        env: { VIGIE_API_KEY: apiKey, VIGIE_DATA_DIR: dataDir, LOG_FORMAT: 'json' }, logFile: path.join(tmpDir, `w${i + 1}.log`), cwd: tmpDir,
      });
      workers.push({ id: `w${i + 1}`, entry });
    }
    for (const w of workers) w.url = (await waitForLog(w.entry, 'worker listening')).url;
    const configFile = path.join(tmpDir, 'vigie.config.json');
    writeFileSync(configFile, JSON.stringify({ workers: workers.map((w) => ({ id: w.id, url: w.url })) }));

    const targets = [
      { name: 'vigie round-robin', args: [VIGIE_BIN, '--config', configFile, 'coordinator', '--host', '127.0.0.1', '--port', '0'], ready: 'coordinator listening', env: { VIGIE_DATA_DIR: mkdirIn('coordinator'), LOG_FORMAT: 'json', LB_STRATEGY: 'round-robin' } },
      { name: 'node floor', args: [path.join(HERE, 'node-floor.mjs')], ready: 'listening', env: { FLOOR_WORKERS: workers.map((w) => w.url).join(',') } },
    ];
    for (const t of targets) {
      const inspectPort = await freePort('127.0.0.1');
      const entry = children.start(t.name, process.execPath, [`--inspect=127.0.0.1:${inspectPort}`, ...t.args], { env: { VIGIE_API_KEY: apiKey, ...t.env }, logFile: path.join(tmpDir, `${t.name}.log`), cwd: tmpDir });
      const { url } = await waitForLog(entry, t.ready);
      const profiler = await DevTools.attach(inspectPort);
      await load(url, 3); // warm-up: JIT and connection pools settle before sampling
      await profiler.send('Profiler.enable');
      await profiler.send('Profiler.setSamplingInterval', { interval: 100 });
      await profiler.send('Profiler.start');
      const cpu0 = cpuSecondsPrecise(entry.child.pid);
      const cpuAnswers = await load(url, seconds);
      const cpuUsed = cpuSecondsPrecise(entry.child.pid) - cpu0;
      const { profile: cpuProfile } = await profiler.send('Profiler.stop');
      await profiler.send('HeapProfiler.enable');
      await profiler.send('HeapProfiler.startSampling', { samplingInterval: interval, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
      const heapAnswers = await load(url, seconds);
      const { profile: heapProfile } = await profiler.send('HeapProfiler.stopSampling');
      profiler.close();
      if (args.save) {
        mkdirSync(args.save, { recursive: true });
        const base = path.join(args.save, t.name.replace(/\W+/g, '-'));
        writeFileSync(`${base}.cpuprofile`, JSON.stringify(cpuProfile));
        writeFileSync(`${base}.heapprofile`, JSON.stringify(heapProfile));
      }
      const sys = straceBin ? await syscalls(entry.child.pid, url) : undefined;
      await children.stop(entry);
      out(`\n${t.name}: CPU from /proc ${((cpuUsed / cpuAnswers) * 1e6).toFixed(1)} µs per answer (${cpuAnswers} answers in ${seconds} s, profiled)`);
      report(cpuTree(cpuProfile), cpuAnswers, { unit: 'µs', scale: 1, title: 'CPU time sampled' });
      report(heapTree(heapProfile), heapAnswers, { unit: 'KB', scale: 1 / 1024, title: `allocated (sampled every ${interval} B)` });
      if (sys) out(`  system calls per answer (strace -c, ${sys.answers} answers): ${sys.calls.map(([name, n]) => `${name} ${(n / sys.answers).toFixed(2)}`).join(', ')}`);
    }
  } finally {
    await children.cleanup();
  }
}

await main();
