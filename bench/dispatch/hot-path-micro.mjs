#!/usr/bin/env node
// Micro-costs of the pieces on the coordinator's per-request path, in µs per call on one core,
// measured on Vigie's own built modules where they are exported (no network). They tell which
// pieces of `POST /api/v1/worker/main/execute` are worth trimming; run.mjs --node-floor gives
// the end-to-end gap they have to explain.     node bench/dispatch/hot-path-micro.mjs

import { Writable } from 'node:stream';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (p) => import(pathToFileURL(path.join(ROOT, 'packages', 'vigie', 'dist', p)).href);
const { createKeyCheck } = await dist('http/auth.js');
const { createLogger } = await dist('observability/logger.js');
const { createCoordinatorMetrics } = await dist('observability/metrics.js');
const { selectWorkers } = await dist('coordinator/policy/availability.js');
const { nextCandidate } = await dist('coordinator/policy/retry-plan.js');
const { RetryBudget } = await dist('coordinator/policy/retry-budget.js');
const { createBalancer } = await dist('coordinator/balancer/index.js');
const { scrub } = await dist('observability/secrets.js');

function bench(name, fn, n = 200_000) {
  for (let i = 0; i < Math.min(20_000, n / 10); i++) fn(i); // warm-up
  globalThis.gc?.();
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) fn(i);
  const t = process.cpuUsage(t0);
  const us = (t.user + t.system) / n;
  console.log(`  ${us.toFixed(2).padStart(7)} µs  ${name}`);
  return us;
}

const key = 'k'.repeat(48);
const command = { type: 'custom', payload: { name: 'echo', data: { bench: 'dispatch', n: 42 } } };
const commandText = JSON.stringify(command);
const answerText = JSON.stringify({ success: true, data: command.payload.data });

console.log('per call, CPU time (user+system) on this machine:');
const check = createKeyCheck([key]);
bench('createKeyCheck: constant-time XOR over the provided key (every authenticated request)', () => check(key));
bench('AbortSignal.timeout(30000) (worker-client, one per attempt; its timer lives 30 s)', () => AbortSignal.timeout(30_000), 100_000);
bench("new URL('/api/v1/worker/execute', base) (worker-client, per attempt)", () => new URL('/api/v1/worker/execute', 'http://127.0.0.2:41234'));

const sink = new Writable({ write(_c, _e, cb) { cb(); } });
const logger = createLogger({ level: 'info', format: 'json', base: { role: 'coordinator' }, destination: sink });
bench('pino child({ reqId }) with Vigie\'s redact paths (fastify makes one per request)', (i) => logger.child({ reqId: `req-${i}` }));
bench('one info log line through Vigie\'s logger (redact + scrub hook), for scale', (i) => logger.info({ type: 'custom', ms: i & 7 }, 'command ok'), 100_000);
bench('scrub() of a 200-char log line (the streamWrite hook)', () => scrub('{"level":30,"time":"2026-11-22T18:41:58.940Z","role":"worker","worker":"w1","region":"local","reqId":"req-1","type":"custom","ms":2,"msg":"command ok"}'));

const metrics = createCoordinatorMetrics();
bench('prom-client: dispatches.inc({outcome}) + dispatchDuration.observe() (onDispatch)', (i) => {
  metrics.dispatches.inc({ outcome: 'ok' });
  metrics.dispatchDuration.observe((i & 15) / 1000);
});

const commandSchema = z.object({ type: z.string().min(1), payload: z.unknown().optional() }).strict();
bench('zod commandSchema.safeParse (routes.ts)', () => commandSchema.safeParse(command));
bench('JSON.stringify(command) (worker-client body)', () => JSON.stringify(command));
bench('JSON.parse(worker answer)', () => JSON.parse(answerText));
bench('JSON.parse(client body) (fastify parser does this + secure-json-parse scan)', () => JSON.parse(commandText));

const fleet = ['w1', 'w2', 'w3'].map((id) => ({ id, healthy: true, bannedUntil: null }));
const balancer = createBalancer('round-robin');
const p2c = createBalancer('p2c-ewma');
const budget = new RetryBudget();
bench('selectWorkers + nextCandidate + round-robin pick + budget.recordRequest', () => {
  const now = Date.now();
  budget.recordRequest(now);
  const sel = selectWorkers(fleet, now).workerIds;
  return nextCandidate(sel, new Set(), balancer, now);
});
bench('same with p2c-ewma (+ begin/record)', () => {
  const now = Date.now();
  const sel = selectWorkers(fleet, now).workerIds;
  const id = nextCandidate(sel, new Set(), p2c, now);
  p2c.begin(id, now);
  p2c.record(id, 'success', 3, now);
});
