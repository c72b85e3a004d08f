#!/usr/bin/env node
// CPU per call of the coordinator's worker client alone: Vigie's WorkerClient (built dist)
// against stand-ins with one part swapped (lib/variant-client.mjs), all calling the same real
// worker with the echo command, 32 calls in flight. Only this process's CPU is counted, so the
// worker's cost and most of the machine's noise stay out; variants take turns, many rounds,
// and the report gives the median and the lower quartile.
//
//   node bench/dispatch/client-micro.mjs [rounds=12] [seconds per turn=1]

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, openSync, closeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { makeExecute } from './lib/variant-client.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { WorkerClient } = await import(pathToFileURL(path.join(ROOT, 'packages', 'vigie', 'dist', 'coordinator', 'worker-client.js')).href);
const rounds = Number(process.argv[2] ?? 12);
const seconds = Number(process.argv[3] ?? 1);
const key = 'bench-client-micro-key-0123456789';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'vigie-client-micro-'));
const log = path.join(tmp, 'worker.log');
const fd = openSync(log, 'a');
const worker = spawn(process.execPath, [path.join(ROOT, 'packages', 'vigie', 'bin', 'vigie.js'), 'worker', '--id', 'm1', '--host', '127.0.0.2', '--port', '0'], {
  env: { ...process.env, VIGIE_API_KEY: key, VIGIE_DATA_DIR: tmp, LOG_FORMAT: 'json', LOG_LEVEL: 'info' },
  stdio: ['ignore', fd, fd],
});
closeSync(fd);
const stop = () => { try { worker.kill('SIGKILL'); } catch {} rmSync(tmp, { recursive: true, force: true }); };
process.on('SIGINT', () => { stop(); process.exit(130); });

try {
  const url = await new Promise((resolve, reject) => {
    const deadline = Date.now() + 15_000;
    const poll = () => {
      const text = readFileSync(log, 'utf8');
      const line = text.split('\n').find((l) => l.includes('"worker listening"'));
      if (line) return resolve(JSON.parse(line).url);
      if (worker.exitCode !== null || Date.now() > deadline) return reject(new Error(`worker did not start:\n${text}`));
      setTimeout(poll, 100);
    };
    poll();
  });

  const command = { type: 'custom', payload: { name: 'echo', data: { bench: 'dispatch', n: 42 } } };
  const variants = [['vigie WorkerClient', new WorkerClient({ apiKey: key })]];
  for (const parts of ['', 'signal', 'read', 'pool', 'signal,read,pool']) {
    const c = new WorkerClient({ apiKey: key });
    c.execute = makeExecute(new Set(parts.split(',').filter(Boolean))).bind(c);
    variants.push([parts ? `stand-in without ${parts}` : 'stand-in, nothing swapped', c]);
  }
  const samples = new Map(variants.map(([n]) => [n, []]));
  const turn = async (client, ms) => {
    let n = 0;
    const end = performance.now() + ms;
    const cpu0 = process.cpuUsage();
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (performance.now() < end) {
        const r = await client.execute(url, command, 30_000);
        if (!r.ok) throw new Error(`call failed: ${r.message}`);
        n++;
      }
    }));
    const cpu = process.cpuUsage(cpu0);
    return { us: (cpu.user + cpu.system) / n, rate: n / (ms / 1000) };
  };
  for (const [, c] of variants) await turn(c, 1000); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < variants.length; i++) {
      const [name, c] = variants[(i + r) % variants.length];
      samples.get(name).push(await turn(c, seconds * 1000));
    }
  }
  console.log(`client CPU per call (µs, this process only), ${rounds} rounds × ${seconds} s, 32 in flight:`);
  for (const [name, xs] of samples) {
    const us = xs.map((x) => x.us).sort((a, b) => a - b);
    const rate = xs.map((x) => x.rate).sort((a, b) => a - b);
    console.log(`  ${name.padEnd(38)} median ${us[us.length >> 1].toFixed(1).padStart(6)}  p25 ${us[Math.floor(us.length / 4)].toFixed(1).padStart(6)}   calls/s median ${rate[rate.length >> 1].toFixed(0)}`);
  }
} finally {
  stop();
}

