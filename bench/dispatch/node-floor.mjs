#!/usr/bin/env node
// The floor of a Node coordinator, for `run.mjs --node-floor`: the same contract as
// `POST /api/v1/worker/main/execute` with none of Vigie's machinery. node:http in, undici
// pools out (one per worker, keep-alive), round robin, the body parsed and re-serialised
// both ways (as the coordinator does), a retry on another worker after a network error or a
// 5xx. No framework, validation, metrics, timers, logging or key hashing. What Vigie costs
// above this is Vigie's; what this costs above HAProxy is Node's.
//
//   VIGIE_API_KEY=k FLOOR_WORKERS=http://127.0.0.2:1234,... node node-floor.mjs   → logs {"msg":"listening","url":...}

import http from 'node:http';
import { Pool } from 'undici';

const key = process.env.VIGIE_API_KEY ?? '';
const workers = (process.env.FLOOR_WORKERS ?? '').split(',').filter(Boolean).map((url) => ({
  url,
  pool: new Pool(url, { connections: 128, pipelining: 1, keepAliveTimeout: 30_000 }),
}));
const headers = { 'content-type': 'application/json', 'x-api-key': key };
let next = 0;

async function send(command) {
  let last;
  for (let attempt = 0; attempt < Math.min(3, workers.length); attempt++) {
    const w = workers[next++ % workers.length];
    try {
      const res = await w.pool.request({ path: '/api/v1/worker/execute', method: 'POST', headers, body: JSON.stringify(command) });
      const body = JSON.parse(await res.body.text());
      if (res.statusCode < 500) return { status: res.statusCode, body };
      last = { status: res.statusCode, body };
    } catch (err) {
      last = { status: 502, body: { success: false, error: 'ALL_WORKERS_FAILED', message: String(err?.message ?? err) } };
    }
  }
  return last;
}

const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/api/v1/worker/main/execute' || req.headers['x-api-key'] !== key) {
    res.writeHead(req.headers['x-api-key'] !== key ? 401 : 404).end();
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    let out;
    try {
      out = await send(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    } catch {
      out = { status: 400, body: { success: false, error: 'INVALID_COMMAND' } };
    }
    const payload = JSON.stringify(out.body);
    res.writeHead(out.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) }).end(payload);
  });
});
server.keepAliveTimeout = 72_000;
server.listen(0, process.env.HOST ?? '127.0.0.1', () => {
  const { address, port } = server.address();
  process.stdout.write(`${JSON.stringify({ msg: 'listening', url: `http://${address}:${port}` })}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
