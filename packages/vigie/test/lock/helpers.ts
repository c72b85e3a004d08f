// Test doubles for the lock tests: a capturing logger, an in-memory lock "server" (run through the
// conformance suite too, so that it behaves like the real ones), a backend wrapper that can be made
// to fail or hang, and a TCP proxy in front of Redis that can be cut or made silent.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { conservativeExpiry, newToken, systemClock, type AcquireOptions, type Clock, type LockBackend, type LockGrant, type LockInfo } from '../../src/lock/types.js';
import { VigieError } from '../../src/errors.js';

export { captureLogger } from '../helpers/capture-logger.js';

/** A clock that moves only when told. */
export class FakeClock implements Clock {
  constructor(public t = 1_000_000) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** The shared state of an in-memory lock server; several `MemoryLock`s on one server are several processes. */
export class MemoryLockServer {
  readonly locks = new Map<string, { token: string; expiresAt: number }>();
  readonly counters = new Map<string, number>();
  constructor(readonly clock: Clock = systemClock) {}
  live(key: string): { token: string; expiresAt: number } | undefined {
    const l = this.locks.get(key);
    if (l && l.expiresAt <= this.clock.now()) {
      this.locks.delete(key);
      return undefined;
    }
    return l;
  }
}

/** The lock semantics of the Redis scripts, in memory. */
export class MemoryLock implements LockBackend {
  readonly kind = 'redis' as const;
  constructor(readonly server: MemoryLockServer) {}
  async acquire(key: string, ttlMs: number, opts: AcquireOptions = {}): Promise<LockGrant | null> {
    const now = this.server.clock.now();
    if (this.server.live(key)) return null;
    const token = newToken();
    this.server.locks.set(key, { token, expiresAt: now + ttlMs });
    let fencing = (this.server.counters.get(key) ?? 0) + 1;
    if (fencing <= (opts.fencingFloor ?? 0)) fencing = (opts.fencingFloor ?? 0) + 1;
    this.server.counters.set(key, fencing);
    return { key, token, fencing, expiresAt: conservativeExpiry(now, ttlMs) };
  }
  async extend(grant: LockGrant, ttlMs: number): Promise<LockGrant | null> {
    const now = this.server.clock.now();
    const l = this.server.live(grant.key);
    if (!l || l.token !== grant.token) return null;
    l.expiresAt = now + ttlMs;
    return { ...grant, expiresAt: conservativeExpiry(now, ttlMs) };
  }
  async release(grant: LockGrant): Promise<boolean> {
    const l = this.server.live(grant.key);
    if (!l || l.token !== grant.token) return false;
    this.server.locks.delete(grant.key);
    return true;
  }
  async inspect(key: string): Promise<LockInfo> {
    const l = this.server.live(key);
    return {
      holder: l?.token ?? null,
      ttlMs: l ? l.expiresAt - this.server.clock.now() : null,
      fencing: this.server.counters.get(key) ?? null,
    };
  }
  async close(): Promise<void> {}
}

/**
 * Wraps a backend, counting calls. `mode`: `error` fails every call; `hang` holds calls until
 * `heal()` and then fails them; `hold` holds them until `heal()` and then lets them through.
 */
export class SwitchableBackend implements LockBackend {
  mode: 'ok' | 'error' | 'hang' | 'hold' = 'ok';
  calls: string[] = [];
  /** Every grant the inner backend handed out (acquire and extend), in order. */
  grants: LockGrant[] = [];
  private hung: Array<() => void> = [];
  constructor(private readonly inner: LockBackend) {}
  get kind() {
    return this.inner.kind;
  }
  heal(): void {
    this.mode = 'ok';
    for (const wake of this.hung.splice(0)) wake();
  }
  private async gate(op: string): Promise<void> {
    this.calls.push(op);
    if (this.mode === 'error') throw new VigieError('LOCK_BACKEND_UNAVAILABLE', 'simulated outage', 503);
    if (this.mode === 'hang' || this.mode === 'hold') {
      const fail = this.mode === 'hang';
      await new Promise<void>((resolve) => this.hung.push(resolve));
      if (fail) throw new VigieError('LOCK_BACKEND_UNAVAILABLE', 'simulated hang ended', 503);
    }
  }
  async acquire(key: string, ttlMs: number, opts?: AcquireOptions) {
    await this.gate('acquire');
    return this.record(await this.inner.acquire(key, ttlMs, opts));
  }
  async extend(grant: LockGrant, ttlMs: number) {
    await this.gate('extend');
    return this.record(await this.inner.extend(grant, ttlMs));
  }
  async release(grant: LockGrant) {
    await this.gate('release');
    return this.inner.release(grant);
  }
  async inspect(key: string) {
    await this.gate('inspect');
    return this.inner.inspect(key);
  }
  private record(g: LockGrant | null): LockGrant | null {
    if (g) this.grants.push(g);
    return g;
  }
  close() {
    this.heal();
    return this.inner.close();
  }
}

/**
 * A TCP proxy on 127.0.0.1 in front of a server. `stop()` is the server going away (connections
 * cut, new ones reset at once), `resume()` its return; `silence()` is a server that accepts and
 * never answers.
 */
export class TcpProxy {
  private readonly sockets = new Set<net.Socket>();
  private mode: 'pass' | 'silent' | 'refuse' = 'pass';
  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(targetUrl: string): Promise<TcpProxy> {
    const u = new URL(targetUrl);
    const target = { host: u.hostname, port: Number(u.port || 6379) };
    let proxy: TcpProxy | undefined;
    const server = net.createServer((client) => proxy!.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    proxy = new TcpProxy(server, (server.address() as net.AddressInfo).port, target);
    return proxy;
  }

  /** `url` with host and port replaced by the proxy's. */
  urlFor(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  private accept(client: net.Socket): void {
    client.on('error', () => undefined);
    if (this.mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    if (this.mode === 'silent') return;
    const upstream = net.connect(this.target);
    this.sockets.add(upstream);
    upstream.on('close', () => {
      this.sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.on('data', (d) => {
      if (this.mode === 'pass') upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (this.mode === 'pass') client.write(d);
    });
  }

  /** Stops answering: bytes are swallowed both ways, connections stay open. */
  silence(): void {
    this.mode = 'silent';
  }

  /** The server "stops": every connection is cut and new ones are reset. */
  async stop(): Promise<void> {
    this.mode = 'refuse';
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  /** The server is back. */
  resume(): void {
    this.mode = 'pass';
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
  }
}

/** A unique key prefix per test file, so that parallel files never share keys. */
export function uniquePrefix(label: string): string {
  return `vigie-test-${label}-${randomBytes(4).toString('hex')}`;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `cond` (after `step`, if given) every 10 ms until true or `ms` have passed; returns whether it became true. */
export async function until(cond: () => boolean, ms: number, step?: () => Promise<void>): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    await step?.();
    if (cond()) return true;
    await sleep(step ? 50 : 10);
  }
  return cond();
}
