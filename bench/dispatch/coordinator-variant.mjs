#!/usr/bin/env node
// A Vigie coordinator from the built dist with parts of its per-request path swapped out, for
// `run.mjs --variants`: each variant shows what one part costs. Nothing here changes Vigie; it
// patches the running process only. Same env and flags as `vigie coordinator` otherwise:
//
//   ABLATE=client,reqlog,metrics VIGIE_API_KEY=k VIGIE_DATA_DIR=d LB_STRATEGY=round-robin \
//     node coordinator-variant.mjs CONFIG_FILE
//
//   signal   no AbortSignal.timeout (+ AbortSignal.any) per attempt: the timeout is undici's
//            headersTimeout/bodyTimeout on the request.
//   read     the answer read with res.body.text() (size cap: the dispatcher's maxResponseSize)
//            instead of `for await` over the body stream.
//   pool     one undici Pool per worker origin and a path string, instead of
//            request(new URL(path, base), { dispatcher: agent }).
//   client   signal + read + pool. (WorkerClient.execute is replaced by an equivalent with the
//            same result and failure shapes; without signal/read/pool it is Vigie's own logic.)
//   reqlog   no pino child logger per request (fastify's request.log is the app logger).
//   metrics  prom-client Counter.inc / Histogram.observe are no-ops.

import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (p) => import(pathToFileURL(path.join(ROOT, 'packages', 'vigie', 'dist', p)).href);
const ablate = new Set((process.env.ABLATE ?? '').split(',').map((s) => s.trim()).filter(Boolean));
for (const a of ablate) if (!['client', 'signal', 'read', 'pool', 'reqlog', 'metrics'].includes(a)) throw new Error(`unknown ABLATE part ${a}`);

const { loadConfig } = await dist('config/load.js');
const { createLogger } = await dist('observability/logger.js');
const { startCoordinator } = await dist('coordinator/start.js');
const { WorkerClient } = await dist('coordinator/worker-client.js');

if (ablate.has('metrics')) {
  // The copy of prom-client that Vigie's dist resolves.
  const { createRequire } = await import('node:module');
  const req = createRequire(path.join(ROOT, 'packages', 'vigie', 'dist', 'index.js'));
  const prom = await import(pathToFileURL(req.resolve('prom-client')).href);
  const lib = prom.default ?? prom;
  lib.Counter.prototype.inc = function () {};
  lib.Histogram.prototype.observe = function () {};
}

// `client` is the three parts below together; each can also be swapped alone.
if (ablate.has('client')) for (const part of ['signal', 'read', 'pool']) ablate.add(part);
if (ablate.has('signal') || ablate.has('read') || ablate.has('pool')) {
  const { makeExecute } = await import('./lib/variant-client.mjs');
  WorkerClient.prototype.execute = makeExecute(ablate);
}

const configFile = process.argv[2];
const config = loadConfig({ configFile, flags: { host: '127.0.0.1', port: '0' } });
const logger = createLogger({ level: config.logLevel, format: 'json', base: { role: 'coordinator', ablate: [...ablate].join(',') || 'none' } });
if (ablate.has('reqlog')) logger.child = () => logger;
const coordinator = await startCoordinator(config, logger);
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => void coordinator.close().finally(() => process.exit(0)));
