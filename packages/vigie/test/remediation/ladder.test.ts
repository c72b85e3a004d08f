import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Fleet } from '../../src/coordinator/fleet.js';
import { registerFailoverRoutes } from '../../src/coordinator/failover-routes.js';
import { isBanned } from '../../src/coordinator/policy/bans.js';
import { EventBus, type BusEvent } from '../../src/events/bus.js';
import { createHttpApp } from '../../src/http/app.js';
import { FailoverLadder, type LadderRuntimeSettings } from '../../src/remediation/ladder.js';
import type { MachineProvider, ProviderTarget, StepContext, StepResult } from '../../src/remediation/providers/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { tempDir } from '../helpers/vigie-process.js';

/**
 * The ladder's runtime over a real store (SQLite), a real Fleet and event bus, with a scripted
 * provider and source: a URL in `blocked` answers every canary 403, as a blocked address does.
 * The fake `sendTo` reports to the ladder exactly as the dispatcher does (onAttempt / onSuccess).
 */
const WORKERS = [
  { id: 'w1', name: 'W1', region: 'cdg', url: 'http://127.0.0.2:8081' },
  { id: 'w2', name: 'W2', region: 'iad', url: 'http://127.0.0.3:8081' },
];

class ScriptedProvider implements MachineProvider {
  readonly kind = 'local' as const;
  calls: string[] = [];
  next = 10;
  /** Resolves the step when set (to hold a step in progress). */
  gate: Promise<void> | undefined;
  async restart(t: ProviderTarget, ctx: StepContext): Promise<StepResult> {
    this.calls.push(`restart ${t.workerId}`);
    ctx.signal.throwIfAborted();
    // Held while `gate` is pending; an abort (demotion) ends the wait, as a real provider's next call would.
    await Promise.race([this.gate, new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error)))]);
    ctx.signal.throwIfAborted();
    return { url: t.url, region: t.region, changed: true, detail: 'restarted' };
  }
  async moveRegion(t: ProviderTarget, regions: readonly string[], ctx: StepContext): Promise<StepResult> {
    this.calls.push(`region ${t.workerId} ${regions.join(',')}`);
    await ctx.checkpoint?.({ phase: 'created', machineId: `m${this.next}`, region: regions[0] });
    return { url: `http://127.0.0.${this.next++}:8081`, region: regions[0], changed: true, detail: 'moved' };
  }
  async switchApp(t: ProviderTarget, app: string): Promise<StepResult> {
    this.calls.push(`app ${t.workerId} ${app}`);
    return { url: `http://127.0.1.${this.next++}:8081`, app, changed: true, detail: 'switched' };
  }
  async close(): Promise<void> {}
}

let dir: ReturnType<typeof tempDir>;
let store: Store;
let fleet: Fleet;
let events: EventBus;
let seen: BusEvent[];
let provider: ScriptedProvider;
let ladder: FailoverLadder;
let settings: LadderRuntimeSettings;
let blocked: Set<string>;
let canaries: string[];
const { logger } = captureLogger();

function makeLadder(): FailoverLadder {
  const l: FailoverLadder = new FailoverLadder({
    fleet, store, provider, events, logger, isBanned,
    sendTo: async (id) => {
      const url = fleet.get(id)!.url;
      canaries.push(id);
      if (blocked.has(url)) {
        l.onAttempt({ workerId: id, status: 403 }, { banCandidate: true });
        return { result: { ok: false, status: 403 } };
      }
      l.onSuccess(id);
      return { result: { ok: true, status: 200 } };
    },
    health: async () => ({ ok: true }),
    settings: () => settings,
    notifyTargets: () => ({ telegram: false }),
  });
  return l;
}

async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Three 403s as batches would bring them (the first one bans, as the dispatcher does). */
async function block(id: string, n = 3): Promise<void> {
  blocked.add(fleet.get(id)!.url);
  await fleet.ban(id, { until: Date.now() + 1_800_000, banCount: 1, reason: 'HTTP 403', status: 403 });
  for (let i = 0; i < n; i++) ladder.onAttempt({ workerId: id, status: 403 }, { banCandidate: true });
}

beforeEach(async () => {
  dir = tempDir('vigie-ladder-');
  store = await openStore({ dataDir: dir.path });
  events = new EventBus();
  seen = [];
  events.on('*', (e) => seen.push(e));
  fleet = await Fleet.load(store, WORKERS, logger, events);
  provider = new ScriptedProvider();
  blocked = new Set();
  canaries = [];
  settings = {
    enabled: true, threshold: 3, regions: ['cdg', 'iad', 'lhr'], apps: ['app-b'], cooldownMs: 0, maxPerHour: 6,
    probeIntervalMs: 100, readyWaitMs: 2000, requestTimeoutMs: 1000,
  };
  // An alert for canaries to search with.
  await store.alerts.create({ name: 'probe', source: 'market', query: 'x', notify: [{ channel: 'log' }] });
  ladder = makeLadder();
});
afterEach(async () => {
  await ladder.stop();
  await store.close();
  dir.cleanup();
});

describe('FailoverLadder', () => {
  it('ENABLE_FAILOVER=false: a blocked worker is only banned (no canary, no step, no streak)', async () => {
    settings = { ...settings, enabled: false };
    await ladder.start({ name: 'leader', token: 1 });
    await block('w1', 10);
    await new Promise((r) => setTimeout(r, 1500));
    expect(provider.calls).toEqual([]);
    expect(canaries).toEqual([]);
    expect(seen.filter((e) => e.type.startsWith('failover.'))).toEqual([]);
    expect(await store.failovers.listRecent()).toEqual([]);
    expect(fleet.get('w1')!.banReason).toBe('HTTP 403');
  });

  it('climbs restart (same address, still blocked) → region (new address): healed, unbanned by the failover, recorded, notified', async () => {
    await ladder.start({ name: 'leader', token: 1 });
    await block('w1');
    await until('two steps recorded', async () => (await store.failovers.listRecent()).length === 2);
    await ladder.idle();
    expect(provider.calls).toEqual(['restart w1', 'region w1 iad,lhr']);
    const [region, restart] = await store.failovers.listRecent();
    expect(restart).toMatchObject({ step: 'restart', fromValue: WORKERS[0]!.url, toValue: WORKERS[0]!.url, ok: false });
    expect(region).toMatchObject({ step: 'region', fromValue: WORKERS[0]!.url, toValue: 'http://127.0.0.10:8081', ok: true, error: null });
    const w = fleet.get('w1')!;
    expect({ url: w.url, region: w.region, banReason: w.banReason, banned: isBanned(w.bannedUntil, Date.now()) }).toEqual({ url: 'http://127.0.0.10:8081', region: 'iad', banReason: null, banned: false });
    expect(seen.filter((e) => e.type === 'worker.unbanned').map((e) => e.data)).toEqual([{ workerId: 'w1', reason: 'failover' }]);
    expect(seen.filter((e) => e.type === 'failover.step').map((e) => (e.data as { step: string; ok: boolean }).ok)).toEqual([false, true]);
    // Both steps were queued for the log channel (no Telegram configured).
    const due = await store.outbox.due(Date.now() + 1000, 50);
    expect(due.map((e) => [e.channel, (e.payload as { step: string }).step])).toEqual([['log', 'restart'], ['log', 'region']]);
    expect(await store.failovers.inProgress()).toEqual([]);
    // Healed: the ladder starts over.
    expect((await ladder.status()).find((s) => s.workerId === 'w1')).toMatchObject({ streak: 0, next: 'restart', inProgress: null });
  });

  it('a canary that passes ends a 403 ban early (the block cleared by itself), with no step', async () => {
    await ladder.start({ name: 'leader', token: 1 });
    await fleet.ban('w2', { until: Date.now() + 1_800_000, banCount: 1, reason: 'HTTP 403', status: 403 });
    await until('unbanned by its canary', () => fleet.get('w2')!.banReason === null);
    expect(seen.filter((e) => e.type === 'worker.unbanned').map((e) => e.data)).toEqual([{ workerId: 'w2', reason: 'canary' }]);
    expect(provider.calls).toEqual([]);
  });

  it('a success resets the streak: 403, 403, success, 403, 403 takes no step', async () => {
    await ladder.start({ name: 'leader', token: 1 });
    for (const ok of [false, false, true, false, false]) {
      if (ok) ladder.onSuccess('w2');
      else ladder.onAttempt({ workerId: 'w2', status: 403 }, { banCandidate: true });
    }
    await ladder.idle();
    expect(provider.calls).toEqual([]);
    expect((await ladder.status()).find((s) => s.workerId === 'w2')!.streak).toBe(2);
  });

  it('exhausted: every rung tried, the worker stays banned and the operator is told once', async () => {
    settings = { ...settings, regions: ['cdg'], apps: [] };
    await ladder.start({ name: 'leader', token: 1 });
    await block('w1');
    await until('exhausted', () => seen.some((e) => e.type === 'failover.exhausted'), 10_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(seen.filter((e) => e.type === 'failover.exhausted')).toHaveLength(1);
    expect(provider.calls).toEqual(['restart w1']);
    expect(fleet.get('w1')!.banReason).toBe('HTTP 403');
    const due = await store.outbox.due(Date.now() + 1000, 50);
    expect(due.some((e) => (e.payload as { kind: string }).kind === 'exhausted')).toBe(true);
  });

  it('a stale leader takes no step: its fenced write is refused before the provider is called', async () => {
    await store.fencing.check({ name: 'leader', token: 7 });
    await ladder.start({ name: 'leader', token: 3 });
    await block('w1');
    await new Promise((r) => setTimeout(r, 300));
    await ladder.idle();
    expect(provider.calls).toEqual([]);
    expect(await store.failovers.inProgress()).toEqual([]);
  });

  it('a new leader records a step its predecessor left unfinished as failed, with what its checkpoint left', async () => {
    await store.fencing.check({ name: 'leader', token: 1 });
    expect(await store.failovers.begin({ workerId: 'w1', step: 'region', fromValue: WORKERS[0]!.url, reason: 'test', fencingToken: 1, flyApp: 'a', machineId: 'old1', progress: { phase: 'created', machineId: 'new1', app: 'a', region: 'iad' }, startedAt: 1000 })).toBe(true);
    // Never two steps on one worker: a second begin is refused.
    expect(await store.failovers.begin({ workerId: 'w1', step: 'restart', fromValue: null, reason: 'x', fencingToken: 1, flyApp: null, machineId: null, progress: null, startedAt: 2000 })).toBe(false);
    await ladder.start({ name: 'leader', token: 2 });
    const [rec] = await store.failovers.listRecent();
    expect(rec).toMatchObject({ workerId: 'w1', step: 'region', ok: false });
    expect(rec!.error).toMatch(/interrupted.*fencing 1.*new1/);
    expect(await store.failovers.inProgress()).toEqual([]);
  });

  it('an operator trigger: unknown worker, not leader, a step in progress, nothing left', async () => {
    await expect(ladder.trigger('nope')).rejects.toMatchObject({ code: 'WORKER_NOT_FOUND' });
    await expect(ladder.trigger('w1')).rejects.toMatchObject({ code: 'NOT_LEADER' });
    await ladder.start({ name: 'leader', token: 1 });
    let open!: () => void;
    provider.gate = new Promise((r) => (open = r));
    expect((await ladder.trigger('w1', 'restart')).step).toEqual({ kind: 'restart' });
    await until('step recorded as under way', async () => (await store.failovers.inProgress()).length === 1);
    await expect(ladder.trigger('w1')).rejects.toMatchObject({ code: 'FAILOVER_IN_PROGRESS' });
    expect((await ladder.status()).find((s) => s.workerId === 'w1')!.inProgress).toMatchObject({ step: 'restart' });
    open();
    await ladder.idle();
    settings = { ...settings, apps: [] };
    await expect(ladder.trigger('w1', 'app')).rejects.toMatchObject({ code: 'FAILOVER_NO_STEP' });
    // The operator's restart held the worker out of work, then its canary let it back.
    expect(fleet.get('w1')!.banReason).toBeNull();
  });

  it('demotion aborts a step in progress; it is recorded as interrupted', async () => {
    await ladder.start({ name: 'leader', token: 1 });
    provider.gate = new Promise(() => {});
    await ladder.trigger('w1', 'restart');
    await until('step under way', async () => (await store.failovers.inProgress()).length === 1);
    // The gate never opens: stop() aborts the step, which is recorded (this leader's fence still holds).
    await ladder.stop();
    const [rec] = await store.failovers.listRecent();
    expect(rec).toMatchObject({ workerId: 'w1', step: 'restart', ok: false, toValue: null });
    expect(rec!.error).toMatch(/^interrupted/);
    expect(await store.failovers.inProgress()).toEqual([]);
    expect(ladder.active).toBe(false);
  });
});

describe('failover routes', () => {
  it('answer history, status and trigger with the documented shapes and errors (x-api-key required)', async () => {
    const app = createHttpApp({ logger, bodyLimit: 65_536, apiKeys: ['k'.repeat(32)], metrics: new Registry(), timeouts: { headersMs: 10_000, requestMs: 30_000 } });
    registerFailoverRoutes(app, { ladder });
    await ladder.start({ name: 'leader', token: 1 });
    const key = { 'x-api-key': 'k'.repeat(32) };
    expect((await app.inject({ method: 'GET', url: '/api/v1/failover/history' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/api/v1/failover/history', headers: key })).json()).toEqual({ failovers: [] });
    const bad = await app.inject({ method: 'POST', url: '/api/v1/failover/trigger', headers: key, payload: { workerId: 'w1', step: 'teleport' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ success: false, error: 'INVALID_INPUT' });
    expect((await app.inject({ method: 'POST', url: '/api/v1/failover/trigger', headers: key, payload: { workerId: 'zz' } })).statusCode).toBe(404);
    const ok = await app.inject({ method: 'POST', url: '/api/v1/failover/trigger', headers: key, payload: { workerId: 'w2', step: 'region' } });
    expect(ok.statusCode).toBe(202);
    expect(ok.json()).toMatchObject({ success: true, step: 'region', regions: ['cdg', 'lhr'] });
    const again = await app.inject({ method: 'POST', url: '/api/v1/failover/trigger', headers: key, payload: { workerId: 'w2' } });
    expect([202, 409]).toContain(again.statusCode);
    await ladder.idle();
    const history = (await app.inject({ method: 'GET', url: '/api/v1/failover/history', headers: key })).json() as { failovers: Array<Record<string, unknown>> };
    expect(Object.keys(history.failovers[0]!).sort()).toEqual(['at', 'error', 'fromValue', 'ok', 'reason', 'step', 'toValue', 'workerId']);
    const status = (await app.inject({ method: 'GET', url: '/api/v1/failover/status', headers: key })).json() as { active: boolean; workers: unknown[] };
    expect(status.active).toBe(true);
    expect(status.workers).toHaveLength(2);
    await app.close();
  });
});
