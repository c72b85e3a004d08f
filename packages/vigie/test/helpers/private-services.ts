import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import pg from 'pg';

/** True when a `redis-server` binary is on PATH (tests that start their own Redis need it). */
export const HAS_REDIS_SERVER = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
if (!HAS_REDIS_SERVER) {
  if (process.env.VIGIE_REQUIRE_SERVICES === '1') {
    throw new Error('redis-server is not on PATH but VIGIE_REQUIRE_SERVICES=1: install it (apt-get install redis-server).');
  }
  console.warn('[vigie tests] SKIPPING tests that start their own Redis: no redis-server binary on PATH (apt-get install redis-server).');
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A redis-server of the test's own on 127.0.0.1:`port` (stoppable without disturbing the shared one). */
export class PrivateRedis {
  private child: ChildProcess | undefined;
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts it and waits until it accepts connections. */
  async start(): Promise<void> {
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const end = Date.now() + 10_000;
    while (Date.now() < end) {
      const up = await new Promise<boolean>((resolve) => {
        const s = net.connect({ host: '127.0.0.1', port: this.port }, () => (s.destroy(), resolve(true)));
        s.on('error', () => resolve(false));
      });
      if (up) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`private redis-server on port ${this.port} did not start`);
  }

  /** Stops it (SIGKILL: as abrupt as a crash). */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}

/** A fresh PostgreSQL database on the server of `url`, dropped by the returned cleanup. */
export async function tempPgDatabase(url: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `vigie_e2e_${Math.random().toString(16).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(url);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
