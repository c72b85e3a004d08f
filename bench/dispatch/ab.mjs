#!/usr/bin/env node
// A/B of the coordinator's CPU per answer: this checkout's build against another build of Vigie
// (`--base DIR`), with the node floor beside them, over the same local workers, in many short
// interleaved rounds, compared round by round (paired). On a 2-CPU machine whose speed drifts,
// this sees differences of 3–5 % that run.mjs's figures cannot; it is the instrument that
// measured the direct route (bench/dispatch/README.md).
//
//   npm run build
//   node bench/dispatch/ab.mjs --base /tmp/vigie-base [--rounds 40] [--seconds 0.3] [--workers 1] [--pin]
//
// DIR is another build of the repository, e.g. the commit before a change:
//   git worktree add /tmp/vigie-base HEAD~1 && ln -s "$PWD/node_modules" /tmp/vigie-base/node_modules \
//     && (cd /tmp/vigie-base && npx tsc -b packages/client packages/vigie)
// --pin (needs taskset) puts the three targets on CPU 0 and the load generator and workers on
// CPU 1: steadier, but not the bench's setting. CPU is read from /proc/PID/task/TID/schedstat.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { Pool } from 'undici';
import { Children, cpuSecondsPrecise, findOnPath, waitForLog } from '../lib/procs.mjs';
import { echoLoad } from './lib/echo-load.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const CONCURRENCY = 32;

const { values: args } = parseArgs({
  options: {
    base: { type: 'string' },
    rounds: { type: 'string', default: '40' },
    seconds: { type: 'string', default: '0.3' },
    workers: { type: 'string', default: '1' },
    pin: { type: 'boolean', default: false },
  },
});
const binOf = (root) => path.join(root, 'packages', 'vigie', 'bin', 'vigie.js');
if (!args.base || !existsSync(path.join(args.base, 'packages', 'vigie', 'dist', 'cli', 'main.js'))) {
  process.stderr.write('ab: --base DIR must be a built checkout of Vigie (DIR/packages/vigie/dist/cli/main.js); see the header of this file\n');
  process.exit(1);
}
const rounds = Number(args.rounds);
const seconds = Number(args.seconds);
const nWorkers = Math.min(3, Math.max(1, Number(args.workers)));
const taskset = args.pin ? findOnPath('taskset') : undefined;
if (args.pin && !taskset) process.stderr.write('ab: taskset not found; running unpinned\n');

const children = new Children('ab');
const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'vigie-ab-'));
children.onCleanup.push(() => rmSync(tmpDir, { recursive: true, force: true }));
children.installExitHandlers();
const apiKey = randomBytes(24).toString('hex');

/** Pins `pid` (all its threads) to `cpu` when --pin. */
function pin(pid, cpu) {
  if (taskset) spawnSync(taskset, ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
}

async function start(name, args, env, ready) {
  const entry = children.start(name, process.execPath, args, { env: { VIGIE_API_KEY: apiKey, LOG_FORMAT: 'json', ...env }, logFile: path.join(tmpDir, `${name}.log`), cwd: tmpDir });
  const line = await waitForLog(entry, ready);
  return { name, entry, url: line.url };
}


const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[(s.length >> 1) - 1] + s[s.length >> 1]) / 2;
};

async function main() {
  pin(process.pid, 1);
  const workers = [];
  for (let i = 0; i < nWorkers; i++) {
    const dataDir = path.join(tmpDir, `w${i + 1}`);
    mkdirSync(dataDir);
    workers.push(await start(`w${i + 1}`, [binOf(ROOT), 'worker', '--id', `w${i + 1}`, '--host', `127.0.0.${i + 2}`, '--port', '0'], { VIGIE_DATA_DIR: dataDir }, 'worker listening'));
  }
  for (const w of workers) pin(w.entry.child.pid, 1);
  const configFile = path.join(tmpDir, 'vigie.config.json');
  writeFileSync(configFile, JSON.stringify({ workers: workers.map((w) => ({ id: w.name, url: w.url })) }));
  const coordinator = (name, root) => {
    const dataDir = path.join(tmpDir, name);
    mkdirSync(dataDir);
    return start(name, [binOf(root), '--config', configFile, 'coordinator', '--host', '127.0.0.1', '--port', '0'], { VIGIE_DATA_DIR: dataDir, LB_STRATEGY: 'round-robin' }, 'coordinator listening');
  };
  const targets = [
    await coordinator('base', path.resolve(args.base)),
    await coordinator('this', ROOT),
    await start('floor', [path.join(HERE, 'node-floor.mjs')], { FLOOR_WORKERS: workers.map((w) => w.url).join(',') }, 'listening'),
  ];
  for (const t of targets) {
    pin(t.entry.child.pid, 0);
    t.pool = new Pool(t.url, { connections: CONCURRENCY, pipelining: 1 });
    t.usPerAnswer = [];
    await echoLoad(t.pool, apiKey, 2000, CONCURRENCY); // warm-up
  }
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < targets.length; i++) {
      const t = targets[(i + r) % targets.length];
      await echoLoad(t.pool, apiKey, 100, CONCURRENCY);
      const cpu0 = cpuSecondsPrecise(t.entry.child.pid);
      const answers = await echoLoad(t.pool, apiKey, seconds * 1000, CONCURRENCY);
      t.usPerAnswer.push(((cpuSecondsPrecise(t.entry.child.pid) - cpu0) / answers) * 1e6);
    }
  }
  const out = (s) => process.stdout.write(`${s}\n`);
  out(`ab: ${rounds} rounds of ${seconds} s per target, ${nWorkers} worker(s), ${taskset ? 'pinned' : 'unpinned'}; µs of CPU per answer`);
  const [base] = targets;
  for (const t of targets) {
    const paired = t.usPerAnswer.map((x, i) => x / base.usPerAnswer[i]);
    out(`  ${t.name.padEnd(6)} median ${median(t.usPerAnswer).toFixed(1).padStart(6)} µs   ${t === base ? '' : `/base: paired median ${median(paired).toFixed(3)}, ratio of medians ${(median(t.usPerAnswer) / median(base.usPerAnswer)).toFixed(3)}`}`);
  }
  for (const t of targets) await t.pool.close();
}

try {
  await main();
} finally {
  await children.cleanup();
}
