import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { VigieConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/observability/logger.js';
import { openStore, type Store } from '../../src/store/index.js';
import type { CommandContext } from '../../src/worker/commands/types.js';

/** A request as the local server saw it. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Handler = (req: SeenRequest, res: ServerResponse) => void;

/** A real HTTP server on a loopback address and a free port, recording what it receives. */
export interface LocalServer {
  url: string;
  host: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

/** Starts a server on `host` (127.0.0.1 by default), port 0. */
export async function startServer(handler: Handler, host = '127.0.0.1'): Promise<LocalServer> {
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(seen);
      handler(seen, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://${host}:${port}`,
    host: `${host}:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        // Hanging requests (the "never answers" server) would keep close() waiting forever.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Sends `value` as a JSON answer. */
export function json(res: ServerResponse, value: unknown, status = 200, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(value));
}

/** A handler context over a real embedded store in a temp folder, with logs captured as text. */
export interface TestCtx {
  ctx: CommandContext;
  store: Store;
  controller: AbortController;
  logs: () => string;
  cleanup(): Promise<void>;
}

export async function makeCtx(opts: { deadlineMs?: number; scrapingCredential?: string } = {}): Promise<TestCtx> {
  const dir = mkdtempSync(join(tmpdir(), 'vigie-alerts-'));
  const store = await openStore({ dataDir: dir });
  let text = '';
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  const logger = createLogger({ level: 'debug', format: 'json', destination });
  const controller = new AbortController();
  const config = { scrapingCredential: opts.scrapingCredential ?? 'scraping' } as VigieConfig;
  const ctx: CommandContext = {
    signal: controller.signal,
    deadline: Date.now() + (opts.deadlineMs ?? 600_000),
    logger,
    store,
    config,
    worker: { id: 'worker-test', name: 'Worker test', region: 'local', version: '0.0.0' },
  };
  return {
    ctx,
    store,
    controller,
    logs: () => text,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
