#!/usr/bin/env node
// Stand-in workers for bench/scale: ONE process listening on N ports of one loopback address,
// answering the worker protocol at once (no pacing, no source), so that what the bench measures
// is the coordinator's own cost. Started by run.mjs with an IPC channel:
//
//   STAND_IN_HOST=127.0.0.20 STAND_IN_COUNT=5000 node stand-ins.mjs
//     → sends { ready: true, ports: [...] }; answers { counts: true } with the requests seen.
//
// GET /api/v1/worker/health   → 200 {"success":true,"data":{"status":"healthy"}}
//   (HAProxy's checks carry ?via=haproxy, so that the two checkers are counted apart)
// POST /api/v1/worker/execute → check-alerts: 200 {"success":true,"data":{"matches":[],"alertsChecked":n,"itemsChecked":0}}
//                               anything else: 200 {"success":true,"data":null}

import http from 'node:http';
import { classifyRequest, checkAlertsAnswer } from './lib.mjs';

const host = process.env.STAND_IN_HOST ?? '127.0.0.20';
const count = Number(process.env.STAND_IN_COUNT ?? '5000');
const HEALTH = JSON.stringify({ success: true, data: { status: 'healthy' } });
const counts = { coordinatorHealth: 0, haproxyHealth: 0, execute: 0, alertsChecked: 0, other: 0 };

function handle(req, res) {
  const kind = classifyRequest(req.method, req.url);
  if (kind === 'coordinatorHealth' || kind === 'haproxyHealth') {
    counts[kind]++;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(HEALTH) });
    res.end(HEALTH);
    return;
  }
  if (kind !== 'execute') {
    counts.other++;
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"success":false,"error":"NOT_FOUND","httpStatus":404}');
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    counts.execute++;
    const { body, alertsChecked } = checkAlertsAnswer(Buffer.concat(chunks).toString('utf8'));
    counts.alertsChecked += alertsChecked;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}

const servers = [];
const ports = [];
for (let i = 0; i < count; i++) {
  const srv = http.createServer({ keepAlive: true, keepAliveTimeout: 60_000 }, handle);
  // HAProxy opens a connection per check; the coordinator keeps one per worker for minutes.
  srv.keepAliveTimeout = 60_000;
  srv.headersTimeout = 65_000;
  await new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, host, 4096, resolve);
  });
  servers.push(srv);
  ports.push(srv.address().port);
}

process.on('message', (m) => {
  if (m?.counts) process.send({ counts: { ...counts } });
});
// The parent is the bench: when it goes, so do we.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
process.send({ ready: true, ports });
