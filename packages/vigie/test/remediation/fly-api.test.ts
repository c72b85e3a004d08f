import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FlyMachinesApi } from '../../src/remediation/providers/fly/api.js';
import { FlyApiError } from '../../src/remediation/providers/fly/errors.js';
import { FakeFlyServer } from '../../src/remediation/providers/fly/fake-server.js';
import { captureLogger } from '../helpers/capture-logger.js';

// The real client against the fake Machines API on loopback: shapes, leases, retries, errors.
const TOKEN = 'fo1_test-token-0123456789abcdef';
const APP = 'vigie-workers';

let fake: FakeFlyServer;
let log: ReturnType<typeof captureLogger>;

function client(overrides: Partial<ConstructorParameters<typeof FlyMachinesApi>[0]> = {}): FlyMachinesApi {
  return new FlyMachinesApi({ baseUrl: fake.url, token: TOKEN, logger: log.logger, backoff: { baseMs: 5, maxMs: 20 }, callTimeoutMs: 2000, ...overrides });
}

/** A loopback port nobody listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function rejection(p: Promise<unknown>): Promise<FlyApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FlyApiError);
  return err as FlyApiError;
}

beforeAll(async () => {
  fake = await FakeFlyServer.start({ token: TOKEN, transitionMs: 20 });
});
afterAll(async () => {
  await fake.close();
});
afterEach(() => {
  // No line logged by a test, and no error it saw, ever holds the token.
  expect(log.text()).not.toContain(TOKEN);
});

describe('FlyMachinesApi against the fake Machines API', () => {
  beforeAll(() => {
    log = captureLogger();
  });

  it('creates, lists, stops, starts, restarts, waits and destroys a machine', async () => {
    log = captureLogger();
    const api = client();
    const created = await api.createMachine(APP, { region: 'cdg', config: { image: 'registry.fly.io/vigie:1' } }).catch((e: unknown) => e);
    expect((created as FlyApiError).code).toBe('FLY_NOT_FOUND'); // unknown app
    fake.machines.addApp(APP);
    const m = await api.createMachine(APP, { region: 'cdg', name: 'w1', config: { image: 'registry.fly.io/vigie:1', env: { REGION: 'cdg' } } });
    expect(m).toMatchObject({ name: 'w1', region: 'cdg', config: { image: 'registry.fly.io/vigie:1', env: { REGION: 'cdg' } } });
    await api.waitForState(APP, m.id, 'started', 5);
    expect((await api.getMachine(APP, m.id)).state).toBe('started');
    expect((await api.listMachines(APP)).map((x) => x.id)).toContain(m.id);
    expect(await api.listMachines(APP, { region: 'iad' })).toEqual([]);

    const refused = await rejection(api.destroyMachine(APP, m.id));
    expect(refused.code).toBe('FLY_API_ERROR');
    expect(refused.details.status).toBe(412);
    expect(refused.message).toMatch(/not currently stopped/);

    await api.stopMachine(APP, m.id);
    await api.waitForState(APP, m.id, 'stopped', 5);
    expect(await api.startMachine(APP, m.id)).toEqual({ previousState: 'stopped' });
    await api.waitForState(APP, m.id, 'started', 5);
    const before = (await api.getMachine(APP, m.id)).instance_id;
    await api.restartMachine(APP, m.id);
    await api.waitForState(APP, m.id, 'started', 5);
    expect((await api.getMachine(APP, m.id)).instance_id).not.toBe(before);
    await api.destroyMachine(APP, m.id, { force: true });
    await api.waitForState(APP, m.id, 'destroyed', 5);
    expect((await api.listMachines(APP)).map((x) => x.id)).not.toContain(m.id);
  });

  it('a wait that does not reach the state is FLY_TIMEOUT', async () => {
    log = captureLogger();
    const m = fake.machines.addMachine(APP, { region: 'cdg', state: 'started' });
    const err = await rejection(client().waitForState(APP, m.id, 'stopped', 1));
    expect(err.code).toBe('FLY_TIMEOUT');
    expect(err.httpStatus).toBe(504);
  });

  it('leases: taken, nonce required on mutating calls, held by another → FLY_LEASE_HELD, released', async () => {
    log = captureLogger();
    const api = client();
    const m = fake.machines.addMachine(APP, { region: 'cdg', state: 'started' });
    const lease = await api.acquireLease(APP, m.id, 30, 'vigie failover');
    expect(lease.nonce).toMatch(/\w+/);
    // Without the nonce, a mutating call is refused while the lease is held.
    expect((await rejection(api.restartMachine(APP, m.id))).code).toBe('FLY_LEASE_HELD');
    await api.restartMachine(APP, m.id, { nonce: lease.nonce });
    // A second holder is refused with a clear error.
    const held = await rejection(api.acquireLease(APP, m.id, 30, 'another'));
    expect(held.code).toBe('FLY_LEASE_HELD');
    expect(held.httpStatus).toBe(409);
    expect(held.message).toMatch(/lease currently held/);
    expect(held.details.requestId).toMatch(/^[0-9A-F]{26}$/);
    await api.releaseLease(APP, m.id, lease.nonce);
    expect(fake.machines.leaseOf(APP, m.id)).toBeUndefined();

    // withLease releases even when the work fails.
    await expect(api.withLease(APP, m.id, 30, 'x', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(fake.machines.leaseOf(APP, m.id)).toBeUndefined();
    const sent = fake.calls().filter((c) => c.path.startsWith(`/apps/${APP}/machines/${m.id}/restart`));
    expect(sent.map((c) => [c.status, c.nonce])).toEqual([
      [409, undefined],
      [200, lease.nonce],
    ]);
  });

  it('429 with Retry-After, then success: the wait honours Retry-After', async () => {
    log = captureLogger();
    const m = fake.machines.addMachine(APP, { region: 'cdg' });
    fake.inject({ kind: 'status', status: 429, retryAfterS: 1, count: 1, match: m.id });
    const t0 = Date.now();
    expect((await client().getMachine(APP, m.id)).id).toBe(m.id);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    const retried = log.lines().find((l) => l.msg === 'Fly API call will be retried');
    expect(retried).toMatchObject({ status: 429, retryInMs: 1000 });
    expect(retried?.flyRequestId).toMatch(/^[0-9A-F]{26}$/);
  });

  it('5xx are retried with backoff; through every attempt → FLY_UNAVAILABLE with the request id, logged', async () => {
    log = captureLogger();
    const m = fake.machines.addMachine(APP, { region: 'cdg' });
    fake.inject({ kind: 'status', status: 503, count: 2, match: m.id });
    expect((await client().getMachine(APP, m.id)).id).toBe(m.id);

    fake.inject({ kind: 'status', status: 500, count: 3, match: m.id });
    const err = await rejection(client({ maxAttempts: 3 }).getMachine(APP, m.id));
    expect(err.code).toBe('FLY_UNAVAILABLE');
    expect(err.details).toMatchObject({ status: 500, call: `GET /apps/${APP}/machines/${m.id}` });
    expect(err.message).toContain(err.details.requestId!);
    const failed = log.lines().find((l) => l.msg === 'Fly API call failed');
    expect(failed).toMatchObject({ flyRequestId: err.details.requestId, attempts: 3, code: 'FLY_UNAVAILABLE' });
  });

  it('a Retry-After longer than the cap fails at once instead of sleeping', async () => {
    log = captureLogger();
    const m = fake.machines.addMachine(APP, { region: 'cdg' });
    fake.inject({ kind: 'status', status: 429, retryAfterS: 120, count: 1, match: m.id });
    const t0 = Date.now();
    const err = await rejection(client({ maxRetryAfterMs: 5000 }).getMachine(APP, m.id));
    expect(err.code).toBe('FLY_RATE_LIMITED');
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('insufficient_capacity is FLY_CAPACITY at once (no retry: it is about the region)', async () => {
    log = captureLogger();
    fake.machines.setNoCapacity(['nrt']);
    try {
      const err = await rejection(client().createMachine(APP, { region: 'nrt', config: { image: 'x' } }));
      expect(err.code).toBe('FLY_CAPACITY');
      expect(fake.calls().filter((c) => c.method === 'POST' && c.path === `/apps/${APP}/machines` && c.status === 412)).toHaveLength(1);
    } finally {
      fake.machines.setNoCapacity([]);
    }
  });

  it('a slow answer is cut at the call timeout (FLY_TIMEOUT); an abort stops the call', async () => {
    log = captureLogger();
    const m = fake.machines.addMachine(APP, { region: 'cdg' });
    fake.inject({ kind: 'slow', delayMs: 1500, count: 1, match: m.id });
    const err = await rejection(client({ callTimeoutMs: 200 }).getMachine(APP, m.id));
    expect(err.code).toBe('FLY_TIMEOUT');

    fake.inject({ kind: 'slow', delayMs: 1500, count: 1, match: m.id });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('shutdown')), 50);
    await expect(client().getMachine(APP, m.id, { signal: ac.signal })).rejects.toThrow('shutdown');
  });

  it('a wrong token is FLY_UNAUTHORIZED, a missing one FLY_NOT_CONFIGURED; neither token is in the error', async () => {
    log = captureLogger();
    const wrong = 'fo1_wrong-token-9876543210';
    const err = await rejection(client({ token: wrong }).listMachines(APP));
    expect(err.code).toBe('FLY_UNAUTHORIZED');
    expect(`${err.message} ${err.stack} ${JSON.stringify(err)}`).not.toContain(wrong);
    expect(log.text()).not.toContain(wrong);
    expect(() => client({ token: '' })).toThrow(expect.objectContaining({ code: 'FLY_NOT_CONFIGURED' }));
  });

  it('an unreachable API is FLY_UNAVAILABLE and names no token', async () => {
    log = captureLogger();
    const port = await closedPort();
    const err = await rejection(client({ baseUrl: `http://127.0.0.1:${port}/v1`, maxAttempts: 3 }).listMachines(APP));
    expect(err.code).toBe('FLY_UNAVAILABLE');
    expect(err.message).toMatch(/ECONNREFUSED/);
    // A read is tried again; a change is not (it may have reached Fly).
    expect(log.lines().filter((l) => l.msg === 'Fly API call will be retried')).toHaveLength(2);
    log = captureLogger();
    await rejection(client({ baseUrl: `http://127.0.0.1:${port}/v1`, maxAttempts: 3 }).restartMachine(APP, 'abc'));
    expect(log.lines().filter((l) => l.msg === 'Fly API call will be retried')).toHaveLength(0);
  });
});
