// Benchmark of @vigie/client (built dist) against plain fetch, on local nodes (127.0.0.1 only).
//   npm run bench:client        (builds packages/client first)
// 1. Overhead per request on a healthy node, as a ratio to plain fetch measured in the same run:
//    sequential requests interleaved one by one with the peers (median and mean), concurrent
//    requests in paired blocks, and the client's own CPU with a fetch that answers at once.
// 2. Time to the first success after the primary is killed (SIGKILL: connection refused) and
//    after it stops answering (SIGSTOP: connects, never answers), hedging off and on.
// Bounded: fixed request counts and trials, and a watchdog that ends the run after 120 s.
import { spawn } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { createClient } from '@vigie/client';

const SERVER = fileURLToPath(new URL('../../packages/client/test/fixtures/server.mjs', import.meta.url));
const ROUNDS = 4000;
const BLOCKS = 40;
const CONCURRENCY = 16;
const CONCURRENT_BLOCKS = 12;
const CONCURRENT_PER_BLOCK = 400;
const TRIALS = 5;
const TIMEOUT_MS = 1000;
const HEDGE_AFTER_MS = 50;
const WATCHDOG_MS = 120_000;

const children = new Set();

function startNode(name) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVER, '--name', name], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.add(child);
    const exited = new Promise((r) => child.once('exit', () => (children.delete(child), r())));
    let buf = '';
    child.stdout.on('data', function onData(chunk) {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      child.stdout.off('data', onData);
      const { port } = JSON.parse(buf.slice(0, nl));
      resolve({
        url: `http://127.0.0.1:${port}`,
        kill: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        },
        freeze: () => child.kill('SIGSTOP'),
      });
    });
    child.once('error', reject);
  });
}

function killAll() {
  for (const c of children) c.kill('SIGKILL');
}

const watchdog = setTimeout(() => {
  console.error(`bench: watchdog fired after ${WATCHDOG_MS / 1000} s, stopping`);
  killAll();
  process.exit(1);
}, WATCHDOG_MS);
process.on('SIGINT', () => {
  killAll();
  process.exit(130);
});

const now = () => performance.now();
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x, d = 1) => x.toFixed(d).padStart(9);

// CPU time of this process (user + system), µs: unlike wall time, barely moved by other
// processes competing for the CPUs, so it isolates what the client itself costs.
const cpuNow = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** Runs `fn` n times in sequence; µs per request, wall and CPU. */
async function sequential(fn, n) {
  const t0 = now();
  const c0 = cpuNow();
  for (let i = 0; i < n; i++) await fn();
  return { wall: ((now() - t0) * 1000) / n, cpu: (cpuNow() - c0) / n };
}

/** Runs `fn` `total` times, `concurrency` at a time; µs per request, wall and CPU. */
async function concurrent(fn, total, concurrency) {
  let left = total;
  const t0 = now();
  const c0 = cpuNow();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await fn();
    }),
  );
  return { wall: ((now() - t0) * 1000) / total, cpu: (cpuNow() - c0) / total };
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))];
};

/** Seeded PRNG (LCG): the same shuffles in every run. */
function lcg(seed) {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/**
 * Interleaved requests: each round sends one request per subject, in an order shuffled per round,
 * and times each request alone (wall and CPU of this process). Every subject sees the same
 * moments of the machine and follows every other subject equally often, so neither drift nor
 * work one subject leaves behind (GC, finalizers) lands on one subject only. Medians keep
 * scheduler hiccups of this shared 2-core VM out; means are printed beside them.
 */
async function interleaved(subjects, rounds) {
  const names = Object.keys(subjects);
  const wall = Object.fromEntries(names.map((k) => [k, []]));
  const cpu = Object.fromEntries(names.map((k) => [k, []]));
  const random = lcg(42);
  const order = [...names];
  for (let r = 0; r < rounds; r++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (const name of order) {
      const c0 = process.cpuUsage();
      const t0 = now();
      await subjects[name]();
      wall[name].push((now() - t0) * 1000);
      const c = process.cpuUsage(c0);
      cpu[name].push(c.user + c.system);
    }
  }
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const peer = names[0];
  const rows = names.map((name) => ({
    name,
    p50: median(wall[name]),
    mean: mean(wall[name]),
    ratio: median(wall[name]) / median(wall[peer]),
    meanRatio: mean(wall[name]) / mean(wall[peer]),
    cpu: mean(cpu[name]),
    cpuRatio: mean(cpu[name]) / mean(cpu[peer]),
  }));
  rows.p50Ratio = (a, b) => median(wall[a]) / median(wall[b]);
  return rows;
}

function printInterleaved(rows) {
  for (const r of rows) {
    console.log(
      `  ${r.name.padEnd(30)}${fmt(r.p50)} µs p50  ${r.ratio.toFixed(3)}×${r.name === rows[0].name ? ' (peer)' : '       '}` +
        `   mean ${fmt(r.mean)} µs  ${r.meanRatio.toFixed(3)}×   CPU ${fmt(r.cpu)} µs/req  ${r.cpuRatio.toFixed(3)}×`,
    );
  }
}

/**
 * Paired blocks: every block runs each subject back to back (order rotating), and the ratio is
 * taken within the block. Drift and noise from other processes on the machine hit the subjects of
 * a block alike, so the median of per-block ratios is far steadier than a ratio of totals.
 */
async function pairedBlocks(subjects, blocks, run) {
  const names = Object.keys(subjects);
  const wall = Object.fromEntries(names.map((k) => [k, []]));
  const cpu = Object.fromEntries(names.map((k) => [k, []]));
  for (let b = 0; b < blocks; b++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(b + k) % names.length];
      const r = await run(subjects[name]);
      wall[name].push(r.wall);
      cpu[name].push(r.cpu);
    }
  }
  const ratioTo = (series, a, b) => series[a].map((x, i) => x / series[b][i]);
  const rows = names.map((name) => {
    const wr = ratioTo(wall, name, names[0]);
    return {
      name,
      us: median(wall[name]),
      ratio: median(wr),
      q1: quantile(wr, 0.25),
      q3: quantile(wr, 0.75),
      cpu: median(cpu[name]),
      cpuRatio: median(ratioTo(cpu, name, names[0])),
    };
  });
  return rows;
}

function printRows(rows) {
  for (const r of rows) {
    const peer = r.name === rows[0].name;
    const spread = peer ? '  (peer)        ' : `  [IQR ${r.q1.toFixed(2)}–${r.q3.toFixed(2)}]`;
    console.log(
      `  ${r.name.padEnd(30)}${fmt(r.us)} µs/req  ${r.ratio.toFixed(3)}×${spread}   CPU ${fmt(r.cpu)} µs/req  ${r.cpuRatio.toFixed(3)}×`,
    );
  }
}

async function overhead(nodes) {
  const urls = nodes.map((n) => n.url);
  const body = async (res) => {
    await res.text();
  };
  // Plain fetch peers: the primary only (for `failover`), and the three nodes in turn (for the
  // balancing strategies, which also spread over three server processes).
  let turn = 0;
  const plainPrimary = async () => body(await fetch(`${urls[0]}/ping`));
  // What the seed's apiService did for its 5 s timeout: an AbortController and a timer. In Node 20
  // creating an AbortSignal and handing it to fetch is itself costly; this peer shows that share.
  const plainTimeout = async () => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 5000);
    try {
      await body(await fetch(`${urls[0]}/ping`, { signal: controller.signal }));
    } finally {
      clearTimeout(timer);
    }
  };
  const plainRotating = async () => body(await fetch(`${urls[turn++ % urls.length]}/ping`));
  const make = (strategy) => createClient({ nodes: urls, healthCheckIntervalMs: 0, strategy });
  const clients = { failover: make('failover'), 'round-robin': make('round-robin'), 'p2c-ewma': make('p2c-ewma') };
  const via = (c) => async () => body(await c.request('/ping'));
  const setA = {
    'plain fetch, primary': plainPrimary,
    'plain fetch + timeout signal': plainTimeout,
    'client.request (failover)': via(clients.failover),
  };
  const setB = {
    'plain fetch, 3 nodes in turn': plainRotating,
    'client.request (round-robin)': via(clients['round-robin']),
    'client.request (p2c-ewma)': via(clients['p2c-ewma']),
  };
  // Warm-up: JIT, keep-alive sockets to every node.
  for (const fn of [...Object.values(setA), ...Object.values(setB)]) await sequential(fn, 500);

  console.log(`\nOverhead on healthy nodes — sequential GET /ping, body read; ${ROUNDS} interleaved rounds (one request per subject, shuffled)`);
  console.log('  (wall time per request: median and its ratio to the peer, then the mean; CPU time of this process per request, mean)');
  const seqA = await interleaved(setA, ROUNDS);
  printInterleaved(seqA);
  const vsTimeout = seqA.p50Ratio('client.request (failover)', 'plain fetch + timeout signal');
  console.log(`  ${'  client vs fetch + timeout signal'.padEnd(30)}${' '.repeat(13)}${vsTimeout.toFixed(3)}×`);
  printInterleaved(await interleaved(setB, ROUNDS));
  console.log(`Concurrent — ${CONCURRENCY} in flight; ${CONCURRENT_BLOCKS} paired blocks × ${CONCURRENT_PER_BLOCK} requests, wall time per request`);
  printRows(await pairedBlocks(setA, CONCURRENT_BLOCKS, (fn) => concurrent(fn, CONCURRENT_PER_BLOCK, CONCURRENCY)));
  printRows(await pairedBlocks(setB, CONCURRENT_BLOCKS, (fn) => concurrent(fn, CONCURRENT_PER_BLOCK, CONCURRENCY)));
  for (const c of Object.values(clients)) c.close();

  // The client's own CPU cost, without network: fetch replaced by one that answers at once.
  const instant = async () => new Response('ok');
  const cpu = createClient({ nodes: urls, healthCheckIntervalMs: 0, fetch: instant });
  const cpuSubjects = {
    'instant fetch': async () => body(await instant()),
    'client.request (failover)': async () => body(await cpu.request('/ping')),
  };
  for (const fn of Object.values(cpuSubjects)) await sequential(fn, 5000);
  console.log(`Client CPU cost without network — a fetch that answers at once; ${BLOCKS} paired blocks × 1000 requests`);
  const cpuRows = await pairedBlocks(cpuSubjects, BLOCKS, (fn) => sequential(fn, 1000));
  printRows(cpuRows);
  console.log(`  → the client adds ≈ ${(cpuRows[1].cpu - cpuRows[0].cpu).toFixed(1)} µs of CPU per request (on Node 20 much of it is the attempt's AbortController; see bench/client/README.md)`);
  cpu.close();
  const row = seqA.find((r) => r.name === 'client.request (failover)');
  return { ratio: row.ratio, meanRatio: row.meanRatio, vsTimeout, cpuRatio: row.cpuRatio, extraCpuUs: row.cpu - seqA[0].cpu };
}

async function timeToSuccess(backups, mode, hedge) {
  const times = [];
  const peers = [];
  let failures = 0;
  for (let t = 0; t < TRIALS; t++) {
    const primary = await startNode('primary');
    const client = createClient({
      nodes: [primary.url, ...backups.map((b) => b.url)],
      healthCheckIntervalMs: 0,
      timeoutMs: TIMEOUT_MS,
      ...(hedge ? { hedgeAfterMs: HEDGE_AFTER_MS } : {}),
    });
    try {
      // Warm: the client holds keep-alive connections to the primary, as in steady traffic.
      for (let i = 0; i < 20; i++) await (await client.request('/ping')).text();
      // Peer measured in the same trial: plain fetch to a healthy node (median of 9).
      const peer = [];
      for (let i = 0; i < 9; i++) {
        const p0 = now();
        await (await fetch(`${backups[0].url}/ping`)).text();
        peer.push(now() - p0);
      }
      peers.push(median(peer));
      if (mode === 'killed') await primary.kill();
      else primary.freeze();
      const t0 = now();
      try {
        await (await client.request('/ping')).text();
        times.push(now() - t0);
      } catch (e) {
        failures++;
        times.push(now() - t0);
        console.error(`  trial ${t}: ${e.code ?? e}`);
      }
    } finally {
      client.close();
      await primary.kill();
    }
  }
  return { time: median(times), max: Math.max(...times), peer: median(peers), failures };
}

async function main() {
  const nodes = await Promise.all(['n0', 'n1', 'n2'].map(startNode));
  const load = () => os.loadavg()[0].toFixed(2);
  console.log(`@vigie/client bench — node ${process.version}, ${os.cpus().length} CPUs, load average ${load()}, local nodes on 127.0.0.1`);
  console.log('(other processes on the machine add noise: sequential ratios compare medians of interleaved requests, concurrent ones are medians of paired blocks, see the IQR)');
  try {
    const { ratio, meanRatio, vsTimeout, cpuRatio, extraCpuUs } = await overhead(nodes);
    console.log(
      `  → overhead on a healthy node: ${ratio.toFixed(3)}× plain fetch, median wall time (target ≤ 1.10×: ${ratio <= 1.1 ? 'met' : 'NOT met'}); ` +
        `mean ${meanRatio.toFixed(3)}×; ${vsTimeout.toFixed(3)}× fetch with a timeout signal; CPU of the calling process ${cpuRatio.toFixed(3)}× (+${extraCpuUs.toFixed(1)} µs/req)`,
    );

    console.log(
      `\nTime to the first success after the primary fails — timeoutMs ${TIMEOUT_MS}, hedgeAfterMs ${HEDGE_AFTER_MS}; median (max) of ${TRIALS} trials`,
    );
    const backups = nodes.slice(1);
    const results = {};
    for (const mode of ['killed', 'frozen']) {
      for (const hedge of [false, true]) {
        results[`${mode}/${hedge}`] = await timeToSuccess(backups, mode, hedge);
      }
    }
    const peer = median(Object.values(results).map((r) => r.peer));
    console.log(`  ${'peer: plain fetch, healthy node'.padEnd(38)}${fmt(peer, 2)} ms`);
    for (const mode of ['killed', 'frozen']) {
      const off = results[`${mode}/false`];
      for (const hedge of [false, true]) {
        const r = results[`${mode}/${hedge}`];
        const label = `primary ${mode === 'killed' ? 'killed (SIGKILL)' : 'not answering (SIGSTOP)'}, hedging ${hedge ? 'on ' : 'off'}`;
        const extra = hedge ? `, ${(r.time / off.time).toFixed(3)}× hedging off` : mode === 'frozen' ? `, ${(r.time / TIMEOUT_MS).toFixed(3)}× timeoutMs` : '';
        console.log(
          `  ${label.padEnd(38)}${fmt(r.time, 2)} ms (max ${r.max.toFixed(2)})   ${(r.time / peer).toFixed(1)}× peer${extra}${r.failures ? `   FAILED ${r.failures}` : ''}`,
        );
      }
    }
    const failed = Object.values(results).reduce((n, r) => n + r.failures, 0);
    console.log(`  requests failed after the primary failed: ${failed} of ${TRIALS * 4}`);
    console.log(`load average at the end: ${load()}`);
  } finally {
    await Promise.all(nodes.map((n) => n.kill()));
    clearTimeout(watchdog);
  }
}

main().catch((e) => {
  console.error(e);
  killAll();
  process.exit(1);
});
