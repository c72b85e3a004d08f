import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FlyMachinesApi } from '../../src/remediation/providers/fly/api.js';
import { FakeFlyServer } from '../../src/remediation/providers/fly/fake-server.js';
import { FlyProvider } from '../../src/remediation/providers/fly/provider.js';
import type { ProviderTarget, StepContext } from '../../src/remediation/providers/types.js';
import { captureLogger } from '../helpers/capture-logger.js';

// The `fly` provider's steps against the fake Machines API (the real client, real HTTP on loopback).
const TOKEN = 'fo1_provider-secret-token-abcdef0123';
const TEMPLATE = 'http://{machineId}.vm.{app}.internal:8081';

let fake: FakeFlyServer;
let log: ReturnType<typeof captureLogger>;
let app: string;
let n = 0;

function provider(): FlyProvider {
  const api = new FlyMachinesApi({ baseUrl: fake.url, token: TOKEN, logger: log.logger, backoff: { baseMs: 5, maxMs: 20 }, callTimeoutMs: 2000 });
  return new FlyProvider({ api, urlTemplate: TEMPLATE, startTimeoutS: 5, stopTimeoutS: 5 });
}

function ctx(): StepContext {
  return { signal: new AbortController().signal, logger: log.logger };
}

function targetOf(machineId: string | undefined, extra: Partial<ProviderTarget> = {}): ProviderTarget {
  return { workerId: 'worker-1', url: 'http://old:8081', region: 'cdg', name: 'Worker 1', flyApp: app, machineId, ...extra };
}

beforeAll(async () => {
  fake = await FakeFlyServer.start({ token: TOKEN, transitionMs: 15 });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  log = captureLogger();
  app = `workers-${++n}`;
});

/** The calls made on one machine, as `METHOD /suffix [nonce?]`. */
function callsOn(id: string): string[] {
  return fake
    .calls()
    .filter((c) => c.path.includes(`/machines/${id}`))
    .map((c) => `${c.method} ${c.path.split(`/machines/${id}`)[1]!.split('?')[0] || '/'} ${c.status}${c.nonce ? ' nonce' : ''}`);
}

describe('fly provider against the fake Machines API', () => {
  it('restart: lease, restart with the nonce, wait started, release; same machine and url', async () => {
    const m = fake.machines.addMachine(app, { region: 'cdg' });
    const result = await provider().restart(targetOf(m.id), ctx());
    expect(result).toMatchObject({ url: `http://${m.id}.vm.${app}.internal:8081`, region: 'cdg', machineId: m.id, app, changed: true });
    expect(fake.machines.get(app, m.id)).toMatchObject({ state: 'started' });
    expect(fake.machines.get(app, m.id).instance_id).not.toBe(m.instance_id);
    expect(callsOn(m.id)).toEqual(['GET / 200', 'POST /lease 200', 'POST /restart 200 nonce', 'GET /wait 200', 'DELETE /lease 200 nonce']);
    expect(fake.machines.leaseOf(app, m.id)).toBeUndefined();
    expect(log.text()).not.toContain(TOKEN);
  });

  it('region move: a clone in the next region with capacity, started before the old one is destroyed', async () => {
    const m = fake.machines.addMachine(app, { region: 'cdg', config: { image: 'registry.fly.io/vigie:7', env: { ROLE: 'worker' } } });
    fake.machines.setNoCapacity(['iad']);
    try {
      const result = await provider().moveRegion(targetOf(m.id), ['cdg', 'iad', 'lhr'], ctx());
      expect(await fake.machines.waitFor(app, m.id, 'destroyed', 2000)).toBe(true);
      const live = fake.machines.list(app);
      expect(live).toHaveLength(1);
      const clone = live[0]!;
      expect(clone).toMatchObject({ region: 'lhr', state: 'started', config: { image: 'registry.fly.io/vigie:7', env: { ROLE: 'worker' } } });
      expect(clone.id).not.toBe(m.id);
      expect(result).toMatchObject({ url: `http://${clone.id}.vm.${app}.internal:8081`, region: 'lhr', machineId: clone.id, app, changed: true });
      expect(result.detail).toMatch(/no capacity in iad/);
      // Order: the clone was created (and waited for) before the old machine was stopped.
      const order = fake.calls().map((c) => `${c.method} ${c.path.split('?')[0]}`);
      const created = order.lastIndexOf(`POST /apps/${app}/machines`);
      expect(created).toBeGreaterThan(-1);
      expect(order.indexOf(`POST /apps/${app}/machines/${m.id}/stop`)).toBeGreaterThan(created);
      expect(callsOn(m.id).filter((c) => /stop|DELETE \/ /.test(c))).toEqual(['POST /stop 200 nonce', 'DELETE / 200 nonce']);
      expect(log.lines().some((l) => l.msg === 'no Fly capacity in iad; trying the next region' && typeof l.flyRequestId === 'string')).toBe(true);
    } finally {
      fake.machines.setNoCapacity([]);
    }
  });

  it('region move with no capacity anywhere: PROVIDER_EXHAUSTED, the old machine untouched and its lease released', async () => {
    const m = fake.machines.addMachine(app, { region: 'cdg' });
    fake.machines.setNoCapacity(['iad', 'lhr']);
    try {
      await expect(provider().moveRegion(targetOf(m.id), ['iad', 'lhr'], ctx())).rejects.toMatchObject({ code: 'PROVIDER_EXHAUSTED' });
      expect(fake.machines.list(app).map((x) => [x.id, x.state])).toEqual([[m.id, 'started']]);
      expect(fake.machines.leaseOf(app, m.id)).toBeUndefined();
    } finally {
      fake.machines.setNoCapacity([]);
    }
  });

  it('region move whose clone never starts: the clone is destroyed, the old machine kept', async () => {
    const m = fake.machines.addMachine(app, { region: 'cdg' });
    fake.inject({ kind: 'status', status: 500, count: 10, match: '/wait' });
    try {
      await expect(provider().moveRegion(targetOf(m.id), ['iad'], ctx())).rejects.toMatchObject({ code: 'FLY_UNAVAILABLE' });
    } finally {
      fake.clearFaults();
    }
    const all = fake.machines.list(app, true);
    expect(all.find((x) => x.id === m.id)?.state).toBe('started');
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.machines.list(app).map((x) => x.id)).toEqual([m.id]);
  });

  it('region move reports the clone and the retiring machine (checkpoint); a refused checkpoint undoes the clone', async () => {
    const m = fake.machines.addMachine(app, { region: 'cdg' });
    const seen: unknown[] = [];
    const result = await provider().moveRegion(targetOf(m.id), ['iad'], { ...ctx(), checkpoint: async (p) => void seen.push(p) });
    expect(seen).toEqual([
      { phase: 'created', app, machineId: result.machineId, region: 'iad' },
      { phase: 'retiring', app, machineId: m.id, region: 'cdg' },
    ]);

    // A newer leader fenced this one: the step stops, its clone is destroyed, the old machine stays.
    const m2 = fake.machines.addMachine(`${app}-2`, { region: 'cdg' });
    const fenced = Object.assign(new Error('fenced by a newer leader'), { code: 'FENCED' });
    await expect(
      provider().moveRegion(targetOf(m2.id, { flyApp: `${app}-2` }), ['iad'], { ...ctx(), checkpoint: async () => Promise.reject(fenced) }),
    ).rejects.toBe(fenced);
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.machines.list(`${app}-2`).map((x) => [x.id, x.state])).toEqual([[m2.id, 'started']]);
    expect(fake.machines.leaseOf(`${app}-2`, m2.id)).toBeUndefined();
  });

  it('app switch: starts a stopped machine of the fallback app, stops the old one; url from the new app', async () => {
    const m = fake.machines.addMachine(app, { region: 'cdg' });
    const fallback = `${app}-b`;
    const standby = fake.machines.addMachine(fallback, { region: 'ams', state: 'stopped' });
    const result = await provider().switchApp(targetOf(m.id), fallback, ctx());
    expect(result).toMatchObject({ url: `http://${standby.id}.vm.${fallback}.internal:8081`, app: fallback, machineId: standby.id, region: 'ams', changed: true });
    expect(fake.machines.get(fallback, standby.id).state).toBe('started');
    await new Promise((r) => setTimeout(r, 60));
    expect(fake.machines.get(app, m.id).state).toBe('stopped');
  });

  it('app switch with no stopped machine there: one is created from the worker machine\'s config', async () => {
    const m = fake.machines.addMachine(app, { region: 'cdg', config: { image: 'registry.fly.io/vigie:9', env: { A: '1' } } });
    const fallback = `${app}-c`;
    fake.machines.addApp(fallback);
    const result = await provider().switchApp(targetOf(undefined), fallback, ctx());
    const [created] = fake.machines.list(fallback);
    expect(created).toMatchObject({ region: 'cdg', state: 'started', config: { image: 'registry.fly.io/vigie:9', env: { A: '1' } } });
    expect(result).toMatchObject({ app: fallback, machineId: created!.id, url: `http://${created!.id}.vm.${fallback}.internal:8081` });
    expect(fake.machines.get(app, m.id).state).not.toBe('started');
  });

  it('429 then success, and 5xx retried, inside a step', async () => {
    const m = fake.machines.addMachine(app, { region: 'cdg' });
    fake.inject({ kind: 'status', status: 429, retryAfterS: 0, count: 1, match: `${m.id}/restart` });
    fake.inject({ kind: 'status', status: 502, count: 2, match: `${m.id}/wait` });
    await expect(provider().restart(targetOf(m.id), ctx())).resolves.toMatchObject({ machineId: m.id });
    expect(callsOn(m.id)).toEqual([
      'GET / 200',
      'POST /lease 200',
      'POST /restart 429 nonce',
      'POST /restart 200 nonce',
      'GET /wait 502',
      'GET /wait 502',
      'GET /wait 200',
      'DELETE /lease 200 nonce',
    ]);
  });

  it('a lease held by another process: FLY_LEASE_HELD, and the machine is not touched', async () => {
    const m = fake.machines.addMachine(app, { region: 'cdg' });
    fake.machines.holdLease(app, m.id, 'deployer@example.com');
    const err = (await provider()
      .restart(targetOf(m.id), ctx())
      .catch((e: unknown) => e)) as { code: string; message: string };
    expect(err).toMatchObject({ code: 'FLY_LEASE_HELD' });
    expect(err.message).toMatch(/deployer@example.com/);
    expect(callsOn(m.id)).toEqual(['GET / 200', 'POST /lease 409']);
  });

  it('finds the single machine of an app by listing; 0 or 2 machines, or no app, are clear errors', async () => {
    const m = fake.machines.addMachine(app, { region: 'cdg' });
    await expect(provider().restart(targetOf(undefined), ctx())).resolves.toMatchObject({ machineId: m.id });
    fake.machines.addMachine(app, { region: 'iad' });
    await expect(provider().restart(targetOf(undefined), ctx())).rejects.toMatchObject({ code: 'FLY_MACHINE_AMBIGUOUS', httpStatus: 409 });
    fake.machines.addApp(`${app}-empty`);
    await expect(provider().restart(targetOf(undefined, { flyApp: `${app}-empty` }), ctx())).rejects.toMatchObject({ code: 'FLY_NOT_FOUND' });
    await expect(provider().restart(targetOf(undefined, { flyApp: undefined }), ctx())).rejects.toMatchObject({ code: 'PROVIDER_TARGET_INVALID' });
  });

  it('fills the url template: an IPv6 private address goes in as is, between the template\'s brackets', async () => {
    const m = fake.machines.addMachine(app, { region: 'cdg' });
    const api = new FlyMachinesApi({ baseUrl: fake.url, token: TOKEN, logger: log.logger });
    const result = await new FlyProvider({ api, urlTemplate: 'http://[{privateIp}]:8081/{region}' }).restart(targetOf(m.id), ctx());
    expect(result.url).toBe(`http://[${m.private_ip}]:8081/cdg`);
    expect(URL.canParse(result.url)).toBe(true);
  });

  it('rejects a url template with an unknown placeholder', () => {
    const api = new FlyMachinesApi({ baseUrl: fake.url, token: TOKEN, logger: log.logger });
    expect(() => new FlyProvider({ api, urlTemplate: 'http://{machine}.internal' })).toThrow(/unknown placeholder.*\{machine\}/);
    expect(() => new FlyProvider({ api, urlTemplate: 'ftp://{machineId}' })).toThrow(/http\(s\) URL/);
  });
});
