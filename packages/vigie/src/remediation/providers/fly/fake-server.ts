import { randomBytes, timingSafeEqual } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { FakeFlyRefusal, FakeMachines } from './fake-machines.js';
import { LEASE_NONCE_HEADER, MAX_WAIT_SECONDS, REQUEST_ID_HEADER, type CreateMachineRequest, type MachineConfig } from './shapes.js';

const MAX_CALLS_KEPT = 10_000;

/** A fault injected into the next `count` API answers (optionally only calls whose `METHOD /path` contains `match`). */
export type FakeFault =
  | { kind: 'status'; status: number; count?: number; retryAfterS?: number; match?: string }
  | { kind: 'slow'; delayMs: number; count?: number; match?: string };

/** One API call the fake answered (tests assert on leases and retries with it). */
export interface FakeCall {
  method: string;
  /** Path under /v1, query included. */
  path: string;
  status: number;
  nonce?: string;
  requestId: string;
}

export interface FakeFlyServerOptions {
  /** The bearer token the fake accepts (FLY_API_TOKEN of the client under test). */
  readonly token: string;
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  readonly port?: number;
  /** Time each transitional machine state lasts, ms. Default 30. */
  readonly transitionMs?: number;
}

/**
 * A local fake of the Fly Machines API, on 127.0.0.1 only, speaking the OpenAPI file's shapes
 * for machines (list, get, create, start, stop, restart, wait, destroy) and leases, with the
 * real API's rules: bearer token, lease nonce on mutating calls (409 otherwise), no destroy of
 * a started machine without `force=true`, `insufficient_capacity` per region. Faults (429 with
 * Retry-After, 5xx, slow answers) are injected with `inject()` or `POST /__fake/faults`.
 */
export class FakeFlyServer {
  readonly machines: FakeMachines;
  private readonly faults: Array<Required<Pick<FakeFault, 'count'>> & FakeFault> = [];
  private readonly log: FakeCall[] = [];
  private readonly app: FastifyInstance;
  private readonly closing = new AbortController();
  private address = '';

  private constructor(private readonly opts: FakeFlyServerOptions) {
    this.machines = new FakeMachines({ transitionMs: opts.transitionMs });
    // A fake stops at once: in-flight waits and keep-alive sockets are cut, not awaited.
    this.app = Fastify({ logger: false, forceCloseConnections: true });
    this.routes();
  }

  /** Starts a fake on 127.0.0.1. */
  static async start(opts: FakeFlyServerOptions): Promise<FakeFlyServer> {
    if (!opts.token) throw new Error('the fake Fly API needs a token to accept');
    const server = new FakeFlyServer(opts);
    server.address = await server.app.listen({ host: '127.0.0.1', port: opts.port ?? 0 });
    return server;
  }

  /** Base URL for FLY_API_URL: `http://127.0.0.1:<port>/v1`. */
  get url(): string {
    return `${this.address}/v1`;
  }

  /** Adds faults to the queue; each answers (or delays) the next `count` matching calls. */
  inject(fault: FakeFault): void {
    this.faults.push({ ...fault, count: fault.count ?? 1 });
  }

  /** Drops every fault still queued. */
  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Calls answered so far (the last 10 000), oldest first. */
  calls(): FakeCall[] {
    return [...this.log];
  }

  /** Stops the server, pending transitions and waits. */
  async close(): Promise<void> {
    this.closing.abort();
    this.machines.close();
    await this.app.close();
  }

  private routes(): void {
    const app = this.app;
    app.addHook('onRequest', async (req, reply) => {
      if (!this.authorized(req)) {
        return reply.code(401).header(REQUEST_ID_HEADER, requestId()).send({ error: 'unauthorized: send Authorization: Bearer <FLY_API_TOKEN>' });
      }
      reply.header(REQUEST_ID_HEADER, requestId());
      if (!req.url.startsWith('/v1/')) return;
      const fault = this.takeFault(`${req.method} ${req.url.slice(3)}`);
      if (fault?.kind === 'slow') await delay(fault.delayMs, undefined, { signal: this.closing.signal }).catch(() => undefined);
      if (fault?.kind === 'status') {
        if (fault.retryAfterS !== undefined) reply.header('retry-after', String(fault.retryAfterS));
        return reply.code(fault.status).send({ error: fault.status === 429 ? 'rate limit exceeded' : `injected failure ${fault.status}`, status: 'unknown' });
      }
    });
    app.addHook('onResponse', async (req, reply) => {
      if (!req.url.startsWith('/v1/')) return;
      const nonce = header(req, LEASE_NONCE_HEADER);
      // Bounded: a demo left running for days keeps the last calls only.
      if (this.log.length >= MAX_CALLS_KEPT) this.log.splice(0, this.log.length - MAX_CALLS_KEPT + 1);
      this.log.push({ method: req.method, path: req.url.slice(3), status: reply.statusCode, ...(nonce ? { nonce } : {}), requestId: String(reply.getHeader(REQUEST_ID_HEADER)) });
    });
    app.setErrorHandler((err, _req, reply) => {
      if (err instanceof FakeFlyRefusal) return reply.code(err.status).send(err.body);
      const status = (err as { statusCode?: number }).statusCode ?? 500;
      return reply.code(status).send({ error: err instanceof Error ? err.message : String(err) });
    });

    type P = { app: string; id: string };
    const m = this.machines;
    const nonce = (req: FastifyRequest) => header(req, LEASE_NONCE_HEADER);
    app.get<{ Params: P; Querystring: { include_deleted?: string; region?: string } }>('/v1/apps/:app/machines', async (req) =>
      m.list(req.params.app, req.query.include_deleted === 'true', req.query.region),
    );
    app.post<{ Params: P; Body: CreateMachineRequest }>('/v1/apps/:app/machines', async (req) => m.create(req.params.app, req.body));
    app.get<{ Params: P }>('/v1/apps/:app/machines/:id', async (req) => m.get(req.params.app, req.params.id));
    app.delete<{ Params: P; Querystring: { force?: string } }>('/v1/apps/:app/machines/:id', async (req) => {
      m.destroy(req.params.app, req.params.id, nonce(req), req.query.force === 'true');
      return { ok: true };
    });
    app.post<{ Params: P }>('/v1/apps/:app/machines/:id/start', async (req) => m.start(req.params.app, req.params.id, nonce(req)));
    app.post<{ Params: P }>('/v1/apps/:app/machines/:id/stop', async (req) => {
      m.stop(req.params.app, req.params.id, nonce(req));
      return { ok: true };
    });
    app.post<{ Params: P }>('/v1/apps/:app/machines/:id/restart', async (req) => {
      m.restart(req.params.app, req.params.id, nonce(req));
      return { ok: true };
    });
    app.get<{ Params: P; Querystring: { state?: string; timeout?: string } }>('/v1/apps/:app/machines/:id/wait', async (req, reply) => {
      const state = req.query.state ?? 'started';
      if (state !== 'started' && state !== 'stopped' && state !== 'destroyed') {
        throw new FakeFlyRefusal(400, { error: `invalid state "${state}": expected started, stopped or destroyed` });
      }
      const timeoutS = req.query.timeout === undefined ? MAX_WAIT_SECONDS : Number(req.query.timeout);
      if (!Number.isInteger(timeoutS) || timeoutS < 1 || timeoutS > MAX_WAIT_SECONDS) {
        throw new FakeFlyRefusal(400, { error: `invalid timeout "${req.query.timeout}": 1 to ${MAX_WAIT_SECONDS} seconds` });
      }
      const ok = await m.waitFor(req.params.app, req.params.id, state, timeoutS * 1000, this.closing.signal);
      return ok ? { ok: true } : reply.code(408).send({ error: `deadline_exceeded: machine did not reach ${state} in ${timeoutS}s` });
    });
    app.post<{ Params: P; Body: { ttl?: number; description?: string } }>('/v1/apps/:app/machines/:id/lease', async (req) => {
      const lease = m.acquireLease(req.params.app, req.params.id, nonce(req), Number(req.body?.ttl), String(req.body?.description ?? ''), 'vigie@fake.fly');
      return { status: 'success', data: lease };
    });
    app.get<{ Params: P }>('/v1/apps/:app/machines/:id/lease', async (req, reply) => {
      const lease = m.leaseOf(req.params.app, req.params.id);
      return lease ? { status: 'success', data: lease } : reply.code(404).send({ error: 'no active lease' });
    });
    app.delete<{ Params: P }>('/v1/apps/:app/machines/:id/lease', async (req) => {
      m.releaseLease(req.params.app, req.params.id, nonce(req));
      return { status: 'success' };
    });

    // Control API of the demo (`vigie fly-fake`): same bearer token.
    app.post<{ Body: { app: string; region: string; state?: 'started' | 'stopped'; name?: string; config?: MachineConfig } }>('/__fake/machines', async (req) => {
      const b = req.body ?? ({} as never);
      if (typeof b.app !== 'string' || typeof b.region !== 'string') throw new FakeFlyRefusal(400, { error: 'expected { app, region, state?, name?, config? }' });
      return m.addMachine(b.app, b);
    });
    app.post<{ Body: FakeFault }>('/__fake/faults', async (req) => {
      const f = req.body;
      const valid = f && ((f.kind === 'status' && Number.isInteger(f.status)) || (f.kind === 'slow' && Number.isFinite(f.delayMs)));
      if (!valid) throw new FakeFlyRefusal(400, { error: 'expected { kind: "status", status, count?, retryAfterS?, match? } or { kind: "slow", delayMs, count?, match? }' });
      this.inject(f);
      return { queued: this.faults.length };
    });
    app.delete('/__fake/faults', async () => {
      this.clearFaults();
      return { queued: 0 };
    });
    app.put<{ Body: { regions?: string[] } }>('/__fake/capacity', async (req) => {
      const regions = req.body?.regions;
      if (!Array.isArray(regions)) throw new FakeFlyRefusal(400, { error: 'expected { regions: [region…] } without capacity' });
      m.setNoCapacity(regions.map(String));
      return { noCapacity: regions };
    });
    app.get('/__fake/calls', async () => this.calls());
  }

  private authorized(req: FastifyRequest): boolean {
    const got = Buffer.from(header(req, 'authorization') ?? '');
    const want = Buffer.from(`Bearer ${this.opts.token}`);
    return got.length === want.length && timingSafeEqual(got, want);
  }

  private takeFault(call: string): FakeFault | undefined {
    const i = this.faults.findIndex((f) => !f.match || call.includes(f.match));
    if (i < 0) return undefined;
    const fault = this.faults[i]!;
    if (--fault.count <= 0) this.faults.splice(i, 1);
    return fault;
  }
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function requestId(): string {
  return randomBytes(13).toString('hex').toUpperCase();
}
