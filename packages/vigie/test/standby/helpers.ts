// Shared bits of the standby tests: the real rclone binary (skipped with the reason when it is
// missing, an error under VIGIE_REQUIRE_SERVICES=1), free loopback ports, small HTTP servers as
// primary and standby, and polling.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';

export { freePort } from '../helpers/private-services.js';

let probed: string | undefined | null = null;

/** `rclone` if it runs; undefined (tests skip) or a thrown Error (CI) if not. */
export function rcloneBin(): string | undefined {
  if (probed !== null) return probed;
  const r = spawnSync('rclone', ['version'], { encoding: 'utf8' });
  if (r.status === 0) return (probed = 'rclone');
  const why = r.error ? (r.error as NodeJS.ErrnoException).code : `exit ${r.status}`;
  if (process.env.VIGIE_REQUIRE_SERVICES === '1') {
    throw new Error(`VIGIE_REQUIRE_SERVICES=1 but the rclone binary does not run (${why}). Install it: apt-get install -y rclone.`);
  }
  console.warn(`[vigie tests] SKIPPING standby tests that need rclone (${why}). Install it with: apt-get install -y rclone; set VIGIE_REQUIRE_SERVICES=1 to make this an error.`);
  return (probed = undefined);
}

/** An HTTP server on 127.0.0.1 whose answer status `status()` decides per request. */
export async function statusServer(status: () => number, port = 0): Promise<{ url: string; hits: () => number; close(): Promise<void> }> {
  let hits = 0;
  const srv = http.createServer((_q, r) => {
    hits++;
    r.writeHead(status()).end('x');
  });
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
  const { port: p } = srv.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${p}/health`,
    hits: () => hits,
    close: () => new Promise<void>((r) => (srv.closeAllConnections(), srv.close(() => r()))),
  };
}

/** Polls `fn` until it returns a truthy value (or throws after `timeoutMs`). */
export async function until<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`still waiting for ${what} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid recorded by the local activator, if any. */
export function recordedPid(pidFile: string): number | undefined {
  try {
    return (JSON.parse(readFileSync(pidFile, 'utf8')) as { pid: number }).pid;
  } catch {
    return undefined;
  }
}

/** GET `url`: its status, or 0 when nothing answers. */
export async function statusOf(url: string): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}
