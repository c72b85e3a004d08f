// One conformance suite for every store backend: each backend's test file calls
// storeConformanceSuite with a factory that opens ITS database (calling it again must open the
// same database, so reopen and persistence are tested the same way everywhere).
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRepos, isStoreError, type Store } from '../../src/store/index.js';
import { FAILOVER_HISTORY_LIMIT } from '../../src/store/repos/failovers.js';

const TABLES_CHILD_FIRST = [
  'notification_outbox',
  'matches',
  'seen_items',
  'alert_runs',
  'alerts',
  'worker_status',
  'workers',
  'credentials',
  'failover_history',
  'fencing',
] as const;

/** Empties every table so each test starts from nothing, whatever ran before. */
async function wipe(store: Store): Promise<void> {
  for (const t of TABLES_CHILD_FIRST) await store.db.deleteFrom(t).execute();
}

async function count(store: Store, table: (typeof TABLES_CHILD_FIRST)[number]): Promise<number> {
  const row = await store.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function expectStoreError(p: Promise<unknown>, code: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected StoreError ${code}`).toBeDefined();
  expect(isStoreError(err), `expected a StoreError, got ${String(err)}`).toBe(true);
  expect((err as { code: string }).code).toBe(code);
}

const worker = (id: string) => ({ id, name: `Worker ${id}`, region: 'cdg', url: `http://127.0.0.2:${id.length}`, origin: 'config' as const });

/** Registers the repository conformance tests for a backend. */
export function storeConformanceSuite(name: string, open: () => Promise<Store>): void {
  describe(`store conformance: ${name}`, () => {
    let store: Store;
    const others: Store[] = [];
    /** A second, independent connection to the same database (for races). */
    const another = async () => {
      const s = await open();
      others.push(s);
      return s;
    };

    beforeEach(async () => {
      store = await open();
      await wipe(store);
    });
    afterEach(async () => {
      for (const s of others.splice(0)) await s.close();
      await store.close();
    });

    describe('lifecycle', () => {
      it('reports its kind and answers ping', async () => {
        expect(store.kind).toBe(name);
        await expect(store.ping()).resolves.toBeUndefined();
      });

      it('persists across close and reopen', async () => {
        const a = await store.alerts.create({ name: 'lamp', source: 'http', query: 'lamp', priceMax: 40 });
        await store.credentials.set('cookies', 's3cr3t', 'cli', 1000);
        await store.close();
        store = await open();
        expect(await store.alerts.get(a.id)).toEqual(a);
        expect((await store.credentials.get('cookies'))?.value).toBe('s3cr3t');
      });

      it('applies migrations once, however often it is reopened', async () => {
        await store.close();
        store = await open();
        await another();
        const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(store.db);
        expect(rows.map((r) => r.name)).toEqual(['001_initial', '002_alert_baseline', '003_fencing', '004_worker_overrides', '005_run_owner', '006_failover_steps']);
      });

      it('fails ping with STORE_UNAVAILABLE once closed, and closes twice without error', async () => {
        await store.close();
        await expect(store.close()).resolves.toBeUndefined();
        await expectStoreError(store.ping(), 'STORE_UNAVAILABLE');
        store = await open(); // for afterEach
      });

      it('returns times as JS numbers, even beyond 32 bits', async () => {
        const t = 4_102_444_800_123; // year 2100, in ms
        const w = await store.workers.upsert(worker('w1'), t);
        expect(w.createdAt).toBe(t);
        const run = await store.alertRuns.start({ trigger: 'manual', startedAt: t, fencingToken: 2 ** 40 });
        const got = await store.alertRuns.get(run.id);
        expect(got?.startedAt).toBe(t);
        expect(got?.fencingToken).toBe(2 ** 40);
        const status = await store.workers.recordOutcome('w1', 'success', t);
        expect(status).toMatchObject({ requestCount: 1, successCount: 1, updatedAt: t });
        expect(typeof status.requestCount).toBe('number');
      });

      it('rolls back every repository together in a transaction', async () => {
        await expect(
          store.db.transaction().execute(async (tx) => {
            const r = createRepos(tx);
            await r.workers.upsert(worker('w1'));
            await r.credentials.set('c', 'v', 'cli');
            await r.failovers.record({ workerId: 'w1', step: 'restart', reason: '403', ok: true });
            throw new Error('boom');
          }),
        ).rejects.toThrow('boom');
        expect(await store.workers.list()).toEqual([]);
        expect(await store.credentials.list()).toEqual([]);
        expect(await store.failovers.listRecent()).toEqual([]);
      });
    });

    describe('workers', () => {
      it('upserts, gets and lists the registry', async () => {
        const w1 = await store.workers.upsert(worker('w1'), 1000);
        await store.workers.upsert({ ...worker('w0'), origin: 'runtime' }, 1000);
        expect(w1).toEqual({ ...worker('w1'), configBase: null, flyApp: null, machineId: null, createdAt: 1000, updatedAt: 1000 });
        const moved = await store.workers.upsert({ ...worker('w1'), region: 'iad', url: 'http://127.0.0.3:1' }, 2000);
        expect(moved).toMatchObject({ region: 'iad', url: 'http://127.0.0.3:1', createdAt: 1000, updatedAt: 2000 });
        expect(await store.workers.get('w1')).toEqual(moved);
        expect(await store.workers.get('nope')).toBeUndefined();
        expect((await store.workers.list()).map((w) => [w.id, w.origin])).toEqual([
          ['w0', 'runtime'],
          ['w1', 'config'],
        ]);
      });

      it('keeps a worker\'s Fly app and machine', async () => {
        await store.workers.upsert({ ...worker('w1'), flyApp: 'vigie-workers', machineId: '3d8d9014b32058' }, 1000);
        expect(await store.workers.get('w1')).toMatchObject({ flyApp: 'vigie-workers', machineId: '3d8d9014b32058' });
        await store.workers.upsert({ ...worker('w1'), flyApp: 'vigie-backup', machineId: 'e2865013' }, 2000);
        expect(await store.workers.get('w1')).toMatchObject({ flyApp: 'vigie-backup', machineId: 'e2865013' });
      });

      it('records one failover step under way per worker, with its checkpoints, until it ends', async () => {
        await store.workers.upsert(worker('w1'), 1000);
        const step = { workerId: 'w1', step: 'region' as const, fromValue: 'http://a', reason: 'test', fencingToken: 4, flyApp: 'app', machineId: 'm1', progress: null, startedAt: 1000 };
        expect(await store.failovers.begin(step)).toBe(true);
        expect(await store.failovers.begin({ ...step, step: 'restart', startedAt: 2000 })).toBe(false);
        expect(await store.failovers.checkpoint('w1', { phase: 'created', machineId: 'm2' })).toBe(true);
        expect(await store.failovers.checkpoint('nope', { phase: 'created', machineId: 'm2' })).toBe(false);
        expect(await store.failovers.inProgress()).toEqual([{ ...step, progress: { phase: 'created', machineId: 'm2' } }]);
        await store.failovers.end('w1');
        expect(await store.failovers.inProgress()).toEqual([]);
        expect(await store.failovers.begin({ ...step, startedAt: 3000 })).toBe(true);
      });

      it('keeps the config entry a run-time change overrode, and forgets it when told', async () => {
        const base = { url: 'http://127.0.0.2:1', region: 'cdg', name: 'W1' };
        await store.workers.upsert({ ...worker('w1'), url: 'http://127.0.0.9:1', configBase: base }, 1000);
        expect((await store.workers.get('w1'))?.configBase).toEqual(base);
        await store.workers.upsert({ ...worker('w1'), configBase: null }, 2000);
        expect((await store.workers.get('w1'))?.configBase).toBeNull();
      });

      it('removes a worker with its status', async () => {
        await store.workers.upsert(worker('w1'));
        await store.workers.recordOutcome('w1', 'success');
        expect(await store.workers.remove('w1')).toBe(true);
        expect(await store.workers.remove('w1')).toBe(false);
        expect(await store.workers.getStatus('w1')).toBeUndefined();
        expect(await store.workers.listStatus()).toEqual([]);
      });

      it('creates a status healthy with zero counters, and patches only what is given', async () => {
        await store.workers.upsert(worker('w1'));
        const s0 = await store.workers.saveStatus({ workerId: 'w1', lastCheckAt: 500 }, 500);
        expect(s0).toEqual({
          workerId: 'w1',
          isHealthy: true,
          lastCheckAt: 500,
          lastError: null,
          bannedUntil: null,
          banCount: 0,
          banReason: null,
          requestCount: 0,
          successCount: 0,
          errorCount: 0,
          updatedAt: 500,
        });
        const s1 = await store.workers.saveStatus({ workerId: 'w1', isHealthy: false, lastError: 'timeout' }, 600);
        expect(s1).toMatchObject({ isHealthy: false, lastError: 'timeout', lastCheckAt: 500, updatedAt: 600 });
        expect(s1.isHealthy).toBe(false); // a real boolean, not 0
        const s2 = await store.workers.saveStatus({ workerId: 'w1', isHealthy: true, lastError: null });
        expect(s2).toMatchObject({ isHealthy: true, lastError: null });
        expect(await store.workers.getStatus('w1')).toEqual(s2);
        expect(await store.workers.listStatus()).toEqual([s2]);
      });

      it('bans, counts bans for doubling, and unbans keeping the count', async () => {
        await store.workers.upsert(worker('w1'));
        const b1 = await store.workers.ban('w1', 5000, 'HTTP 403', 1000);
        expect(b1).toMatchObject({ bannedUntil: 5000, banReason: 'HTTP 403', banCount: 1, isHealthy: true });
        const u = await store.workers.unban('w1', 6000);
        expect(u).toMatchObject({ bannedUntil: null, banReason: null, banCount: 1, updatedAt: 6000 });
        const b2 = await store.workers.ban('w1', 9000, 'HTTP 401');
        expect(b2).toMatchObject({ bannedUntil: 9000, banReason: 'HTTP 401', banCount: 2 });
      });

      it('counts outcomes atomically under concurrent writers', async () => {
        await store.workers.upsert(worker('w1'));
        const second = await another();
        const calls = Array.from({ length: 40 }, (_, i) =>
          (i % 2 ? store : second).workers.recordOutcome('w1', i % 4 === 0 ? 'error' : 'success'),
        );
        await Promise.all(calls);
        expect(await store.workers.getStatus('w1')).toMatchObject({ requestCount: 40, errorCount: 10, successCount: 30 });
      });

      it('adds many workers\' counts at once, onto existing counts, all or none', async () => {
        const ids = Array.from({ length: 1500 }, (_, i) => `m${i}`);
        for (const id of ids) await store.workers.upsert(worker(id));
        await store.workers.recordOutcome('m7', 'error');
        await store.workers.addCountsMany(ids.map((id, i) => ({ id, delta: { requests: 2, successes: 2 - (i % 2), errors: i % 2 } })), 5000);
        expect(await store.workers.getStatus('m7')).toMatchObject({ requestCount: 3, successCount: 1, errorCount: 2, updatedAt: 5000 });
        expect(await store.workers.getStatus('m1200')).toMatchObject({ requestCount: 2, successCount: 2, errorCount: 0 });
        // A ghost in the second statement: the first one's counts are rolled back too.
        const withGhost = [...ids.map((id) => ({ id, delta: { requests: 1, successes: 1, errors: 0 } })), { id: 'ghost', delta: { requests: 1, successes: 1, errors: 0 } }];
        await expectStoreError(store.workers.addCountsMany(withGhost), 'UNKNOWN_WORKER');
        expect(await store.workers.getStatus('m7')).toMatchObject({ requestCount: 3 });
        await store.workers.addCountsMany([]);
      });

      it('refuses status for an unregistered worker with UNKNOWN_WORKER', async () => {
        await expectStoreError(store.workers.recordOutcome('ghost', 'success'), 'UNKNOWN_WORKER');
        await expectStoreError(store.workers.ban('ghost', 1, 'x'), 'UNKNOWN_WORKER');
      });
    });

    describe('credentials', () => {
      it('sets, replaces, gets and deletes', async () => {
        expect(await store.credentials.set('cookies', 'v1', 'cli', 1000)).toEqual({
          name: 'cookies',
          source: 'cli',
          updatedAt: 1000,
          lastRefreshAt: 1000,
        });
        await store.credentials.set('cookies', 'v2', 'refresh', 2000);
        expect(await store.credentials.get('cookies')).toEqual({
          name: 'cookies',
          value: 'v2',
          source: 'refresh',
          updatedAt: 2000,
          lastRefreshAt: 2000,
        });
        expect(await store.credentials.get('missing')).toBeUndefined();
        expect(await store.credentials.delete('cookies')).toBe(true);
        expect(await store.credentials.delete('cookies')).toBe(false);
        expect(await store.credentials.get('cookies')).toBeUndefined();
      });

      it('lists without ever returning the value', async () => {
        await store.credentials.set('b', 'TOPSECRET-b', 'file', 1);
        const info = await store.credentials.set('a', 'TOPSECRET-a', 'cli', 2);
        expect(JSON.stringify(info)).not.toContain('TOPSECRET');
        const list = await store.credentials.list();
        expect(list.map((c) => c.name)).toEqual(['a', 'b']);
        for (const c of list) expect(Object.keys(c).sort()).toEqual(['lastRefreshAt', 'name', 'source', 'updatedAt']);
        expect(JSON.stringify(list)).not.toContain('TOPSECRET');
      });
    });

    describe('alerts', () => {
      const input = {
        name: 'Vintage lamp',
        source: 'http-json',
        query: 'lampe pied',
        priceMin: 10.5,
        priceMax: 80,
        conditions: ['good', 'very_good'],
        includeWords: ['laiton'],
        excludeWords: ['cassé', 'HS'],
        notify: [{ channel: 'telegram', chatId: '42' }, { channel: 'webhook', url: 'http://127.0.0.1:9/hook' }],
      };

      it('creates with defaults and round-trips every field', async () => {
        const a = await store.alerts.create(input, 1000);
        expect(a).toEqual({ ...input, id: a.id, active: true, createdAt: 1000, updatedAt: 1000 });
        expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(await store.alerts.get(a.id)).toEqual(a);
        const bare = await store.alerts.create({ name: 'b', source: 's', query: 'q', active: false });
        expect(bare).toMatchObject({ priceMin: null, priceMax: null, conditions: [], includeWords: [], excludeWords: [], notify: [], active: false });
        expect(await store.alerts.get('missing')).toBeUndefined();
      });

      it('lists in creation order, optionally active only, and counts active', async () => {
        const a = await store.alerts.create({ ...input, name: 'a' }, 1);
        const b = await store.alerts.create({ ...input, name: 'b', active: false }, 2);
        const c = await store.alerts.create({ ...input, name: 'c' }, 3);
        expect((await store.alerts.list()).map((x) => x.id)).toEqual([a.id, b.id, c.id]);
        expect((await store.alerts.list({ activeOnly: true })).map((x) => x.id)).toEqual([a.id, c.id]);
        expect(await store.alerts.countActive()).toBe(2);
        expect(await store.alerts.setActive(a.id, false)).toBe(true);
        expect(await store.alerts.setActive('missing', false)).toBe(false);
        expect(await store.alerts.countActive()).toBe(1);
        expect((await store.alerts.get(a.id))?.active).toBe(false);
      });

      it('updates only the given fields', async () => {
        const a = await store.alerts.create(input, 1000);
        const u = await store.alerts.update(a.id, { priceMax: null, excludeWords: [], name: 'renamed' }, 2000);
        expect(u).toEqual({ ...a, priceMax: null, excludeWords: [], name: 'renamed', updatedAt: 2000 });
        expect(await store.alerts.get(a.id)).toEqual(u);
        expect(await store.alerts.update('missing', { name: 'x' })).toBeUndefined();
      });

      it('removes an alert with its seen items and matches', async () => {
        const a = await store.alerts.create(input);
        await store.matches.markSeen(a.id, ['i1']);
        await store.matches.insertMatch({ alertId: a.id, itemId: 'i1', item: { title: 't' } });
        expect(await store.alerts.remove(a.id)).toBe(true);
        expect(await store.alerts.remove(a.id)).toBe(false);
        expect(await count(store, 'seen_items')).toBe(0);
        expect(await count(store, 'matches')).toBe(0);
      });
      it('imports many alerts in one go, in the order given, across insert batches', async () => {
        const many = Array.from({ length: 4321 }, (_, i) => ({ ...input, name: `alert ${i}`, active: i % 3 !== 0 }));
        expect(await store.alerts.createMany(many, 5000)).toBe(4321);
        const listed = await store.alerts.list();
        expect(listed.map((a) => a.name)).toEqual(many.map((a) => a.name));
        expect(listed[1]).toEqual({ ...input, name: 'alert 1', id: listed[1]!.id, active: true, createdAt: 5000, updatedAt: 5000 });
        expect(await store.alerts.countActive()).toBe(many.filter((a) => a.active).length);
        expect(await store.alerts.createMany([])).toBe(0);
      });

      it('imports all or nothing: a failing row in a later batch leaves no alert behind', async () => {
        const existing = await store.alerts.create({ ...input, name: 'already there' });
        // Row 4100 (third batch) collides with an existing id: the first two batches must roll back.
        const many = Array.from({ length: 4200 }, (_, i) => ({ ...input, name: `alert ${i}`, ...(i === 4100 ? { id: existing.id } : {}) }));
        await expect(store.alerts.createMany(many)).rejects.toThrow();
        expect((await store.alerts.list()).map((a) => a.id)).toEqual([existing.id]);
      });

      it('claims the first check of the alerts never checked, once', async () => {
        const [a, b, c] = [await store.alerts.create(input), await store.alerts.create(input), await store.alerts.create(input)];
        expect((await store.alerts.claimBaselines([a.id, b.id], 1000)).sort()).toEqual([a.id, b.id].sort());
        expect(await store.alerts.claimBaselines([a.id, b.id, c.id, 'missing'], 2000)).toEqual([c.id]);
        expect(await store.alerts.claimBaselines([], 3000)).toEqual([]);
        const rows = await store.db.selectFrom('alerts').select(['id', 'baseline_at']).execute();
        expect(Object.fromEntries(rows.map((r) => [r.id, Number(r.baseline_at)]))).toEqual({ [a.id]: 1000, [b.id]: 1000, [c.id]: 2000 });
        const many = Array.from({ length: 2100 }, (_, i) => ({ ...input, name: `m${i}` }));
        await store.alerts.createMany(many);
        const ids = (await store.alerts.list()).map((x) => x.id);
        expect(await store.alerts.claimBaselines(ids, 4000)).toHaveLength(2100);
      });

      it('imports inside a caller\'s transaction, which owns the rollback', async () => {
        await expect(
          store.db.transaction().execute(async (tx) => {
            expect(await createRepos(tx).alerts.createMany([{ ...input, name: 'in tx' }])).toBe(1);
            throw new Error('caller gives up');
          }),
        ).rejects.toThrow('caller gives up');
        expect(await count(store, 'alerts')).toBe(0);
      });
    });

    describe('alert runs', () => {
      it('starts, finishes and reads back a run', async () => {
        const run = await store.alertRuns.start({ trigger: 'schedule', slotKey: 'slot-1', fencingToken: 7, alertsTotal: 5, startedAt: 1000 });
        expect(run).toMatchObject({
          startedAt: 1000,
          endedAt: null,
          trigger: 'schedule',
          status: 'running',
          slotKey: 'slot-1',
          fencingToken: 7,
          workers: [],
          alertsTotal: 5,
          alertsChecked: 0,
          matches: 0,
          errors: 0,
          summary: null,
        });
        const workers = [
          { workerId: 'w1', ok: true, alertsChecked: 3, matches: 2, durationMs: 120 },
          { workerId: 'w2', ok: false, error: 'timeout' },
        ];
        const done = await store.alertRuns.finish(run.id, {
          status: 'partial',
          endedAt: 2000,
          workers,
          alertsChecked: 3,
          alertsFailed: 2,
          matches: 2,
          errors: 1,
          summary: { redispatched: 1 },
        });
        expect(done).toEqual({ ...run, status: 'partial', endedAt: 2000, workers, alertsChecked: 3, alertsFailed: 2, matches: 2, errors: 1, summary: { redispatched: 1 } });
        expect(await store.alertRuns.get(run.id)).toEqual(done);
        expect(await store.alertRuns.finish('missing', { status: 'ok' })).toBeUndefined();
      });

      it('keeps a run\'s owner, deadline and alerts, lists the open runs, and closes one as abandoned', async () => {
        const run = await store.alertRuns.start({ trigger: 'schedule', startedAt: 1000, alertsTotal: 2, owner: 'host-a:42', deadlineAt: 5000, alertIds: ['a1', 'a2'] });
        expect(run).toMatchObject({ owner: 'host-a:42', deadlineAt: 5000, alertIds: ['a1', 'a2'], status: 'running' });
        const other = await store.alertRuns.start({ trigger: 'manual', startedAt: 2000 });
        expect(other).toMatchObject({ owner: null, deadlineAt: null, alertIds: [] });
        const ended = await store.alertRuns.start({ trigger: 'manual', startedAt: 500 });
        await store.alertRuns.finish(ended.id, { status: 'ok' });
        expect((await store.alertRuns.listRunning()).map((r) => r.id)).toEqual([run.id, other.id]);

        const closed = await store.alertRuns.abandon(run.id, 'owner gone', 9000);
        expect(closed).toMatchObject({
          status: 'abandoned', endedAt: 9000, alertsChecked: 0, alertsFailed: 2,
          summary: { abandoned: 'owner gone', failedAlerts: [{ alertId: 'a1', reason: 'owner gone' }, { alertId: 'a2', reason: 'owner gone' }] },
        });
        // Only a running run is abandoned: a second call, a finished run or a missing one change nothing.
        expect(await store.alertRuns.abandon(run.id, 'again', 9500)).toBeUndefined();
        expect(await store.alertRuns.abandon(ended.id, 'late', 9500)).toBeUndefined();
        expect(await store.alertRuns.abandon('missing', 'x', 9500)).toBeUndefined();
        expect((await store.alertRuns.get(ended.id))?.status).toBe('ok');
        expect((await store.alertRuns.listRunning()).map((r) => r.id)).toEqual([other.id]);
      });

      it('refuses a slot that already ran with SLOT_TAKEN, but allows any number of slotless runs', async () => {
        await store.alertRuns.start({ trigger: 'schedule', slotKey: 'slot-1' });
        await expectStoreError(store.alertRuns.start({ trigger: 'schedule', slotKey: 'slot-1' }), 'SLOT_TAKEN');
        await store.alertRuns.start({ trigger: 'manual' });
        await store.alertRuns.start({ trigger: 'manual', slotKey: null });
        expect(await count(store, 'alert_runs')).toBe(3);
      });

      it('lets exactly one of concurrent starters take a slot', async () => {
        const second = await another();
        const results = await Promise.allSettled(
          Array.from({ length: 6 }, (_, i) => (i % 2 ? store : second).alertRuns.start({ trigger: 'schedule', slotKey: 'race' })),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'SLOT_TAKEN' });
      });

      it('keeps a surrounding transaction usable after SLOT_TAKEN', async () => {
        await store.alertRuns.start({ trigger: 'schedule', slotKey: 'slot-1' });
        await store.db.transaction().execute(async (tx) => {
          const r = createRepos(tx);
          await expectStoreError(r.alertRuns.start({ trigger: 'schedule', slotKey: 'slot-1' }), 'SLOT_TAKEN');
          await r.alertRuns.start({ trigger: 'schedule', slotKey: 'slot-2' });
        });
        expect((await store.alertRuns.listRecent()).map((r) => r.slotKey).sort()).toEqual(['slot-1', 'slot-2']);
      });

      it('lists the newest runs first, up to the limit', async () => {
        for (const t of [3000, 1000, 2000]) await store.alertRuns.start({ trigger: 'manual', startedAt: t });
        expect((await store.alertRuns.listRecent(2)).map((r) => r.startedAt)).toEqual([3000, 2000]);
        expect(await store.alertRuns.listRecent()).toHaveLength(3);
      });
    });

    describe('seen items and matches', () => {
      let alertId: string;
      beforeEach(async () => {
        alertId = (await store.alerts.create({ name: 'a', source: 's', query: 'q' })).id;
      });

      it('returns only never-seen ids, in input order, once', async () => {
        expect(await store.matches.markSeen(alertId, ['c', 'a', 'b', 'a'])).toEqual(['c', 'a', 'b']);
        expect(await store.matches.markSeen(alertId, ['b', 'd', 'c', 'e'])).toEqual(['d', 'e']);
        expect(await store.matches.markSeen(alertId, ['a', 'e'])).toEqual([]);
        expect(await store.matches.markSeen(alertId, [])).toEqual([]);
        const other = (await store.alerts.create({ name: 'b', source: 's', query: 'q' })).id;
        expect(await store.matches.markSeen(other, ['a'])).toEqual(['a']); // per alert
      });

      it('handles batches larger than one statement', async () => {
        const ids = Array.from({ length: 1234 }, (_, i) => `item-${i}`);
        expect(await store.matches.markSeen(alertId, ids.slice(0, 700))).toHaveLength(700);
        expect(await store.matches.markSeen(alertId, ids)).toEqual(ids.slice(700));
      });

      it('never hands the same new id to two concurrent callers', async () => {
        const second = await another();
        const ids = Array.from({ length: 200 }, (_, i) => `item-${i}`);
        // Overlapping, shuffled batches from two connections at once.
        const batches = Array.from({ length: 8 }, (_, k) => ids.filter((_, i) => (i + k) % 3 !== 0).reverse().slice(k * 5));
        const results = await Promise.all(batches.map((b, k) => (k % 2 ? store : second).matches.markSeen(alertId, b)));
        const all = results.flat();
        expect(new Set(all).size).toBe(all.length); // nobody got an id twice
        expect(new Set(all)).toEqual(new Set(batches.flat()));
      });

      it('records a match once per (alert, item)', async () => {
        const run = await store.alertRuns.start({ trigger: 'manual' });
        const item = { id: 'i1', title: 'Lampe', price: 25.5, tags: ['a'] };
        const first = await store.matches.insertMatch({ alertId, itemId: 'i1', item, runId: run.id, createdAt: 1000 });
        expect(first.created).toBe(true);
        expect(first.match).toEqual({ id: first.match.id, alertId, itemId: 'i1', item, runId: run.id, createdAt: 1000 });
        const again = await store.matches.insertMatch({ alertId, itemId: 'i1', item: { other: true }, createdAt: 2000 });
        expect(again).toEqual({ created: false, match: first.match });
        expect(await count(store, 'matches')).toBe(1);
      });

      it('lists the newest matches first, optionally for one alert', async () => {
        const other = (await store.alerts.create({ name: 'b', source: 's', query: 'q' })).id;
        await store.matches.insertMatch({ alertId, itemId: 'x', item: 1, createdAt: 1 });
        await store.matches.insertMatch({ alertId: other, itemId: 'y', item: 2, createdAt: 3 });
        await store.matches.insertMatch({ alertId, itemId: 'z', item: 3, createdAt: 2 });
        expect((await store.matches.listRecent()).map((m) => m.itemId)).toEqual(['y', 'z', 'x']);
        expect((await store.matches.listRecent(1)).map((m) => m.itemId)).toEqual(['y']);
        expect((await store.matches.listRecent(10, { alertId })).map((m) => m.itemId)).toEqual(['z', 'x']);
      });
    });

    describe('notification outbox', () => {
      const msg = (key: string, at?: number) => ({
        channel: 'telegram',
        target: { chatId: '42' },
        payload: { text: `new item ${key}` },
        idempotencyKey: key,
        now: 1000,
        ...(at !== undefined && { nextAttemptAt: at }),
      });

      it('enqueues once per idempotency key', async () => {
        const first = await store.outbox.enqueue(msg('k1'));
        expect(first.created).toBe(true);
        expect(first.entry).toEqual({
          id: first.entry.id,
          matchId: null,
          channel: 'telegram',
          target: { chatId: '42' },
          payload: { text: 'new item k1' },
          idempotencyKey: 'k1',
          status: 'pending',
          attempts: 0,
          nextAttemptAt: 1000,
          lastError: null,
          createdAt: 1000,
          sentAt: null,
        });
        const again = await store.outbox.enqueue({ ...msg('k1'), payload: { text: 'changed' } });
        expect(again).toEqual({ created: false, entry: first.entry });
        const racers = await Promise.all([0, 1, 2, 3].map(() => store.outbox.enqueue(msg('k2'))));
        expect(racers.filter((r) => r.created)).toHaveLength(1);
        expect(await count(store, 'notification_outbox')).toBe(2);
      });

      it('tells where the notifications of given matches stand, without their target or payload', async () => {
        expect(await store.outbox.deliveriesOf([])).toEqual([]);
        const alertId = (await store.alerts.create({ name: 'a', source: 's', query: 'q' })).id;
        const [m1, m2, m3] = await Promise.all(['i1', 'i2', 'i3'].map(async (itemId) => (await store.matches.insertMatch({ alertId, itemId, item: {} })).match.id));
        const a = (await store.outbox.enqueue({ ...msg('m1-tg'), matchId: m1! })).entry;
        await store.outbox.enqueue({ ...msg('m1-hook'), channel: 'webhook', matchId: m1!, now: 1001 });
        const c = (await store.outbox.enqueue({ ...msg('m2-tg'), matchId: m2!, now: 1002 })).entry;
        await store.outbox.enqueue({ ...msg('m3-tg'), matchId: m3! });
        await store.outbox.markSent(a.id, 1500);
        await store.outbox.markFailed(c.id, 'HTTP 400');
        expect(await store.outbox.deliveriesOf([m1!, m2!, 'unknown'])).toEqual([
          { matchId: m1, channel: 'telegram', status: 'sent', attempts: 1, lastError: null, sentAt: 1500 },
          { matchId: m1, channel: 'webhook', status: 'pending', attempts: 0, lastError: null, sentAt: null },
          { matchId: m2, channel: 'telegram', status: 'failed', attempts: 1, lastError: 'HTTP 400', sentAt: null },
        ]);
      });

      it('hands out due entries in order and tracks retries, sends and failures', async () => {
        const a = (await store.outbox.enqueue(msg('a', 1500))).entry;
        const b = (await store.outbox.enqueue(msg('b', 1200))).entry;
        const c = (await store.outbox.enqueue(msg('c', 9000))).entry;
        expect((await store.outbox.due(2000, 10)).map((e) => e.id)).toEqual([b.id, a.id]);
        expect((await store.outbox.due(2000, 1)).map((e) => e.id)).toEqual([b.id]);

        expect(await store.outbox.markRetry(b.id, 5000, 'HTTP 429')).toBe(true);
        expect((await store.outbox.due(2000, 10)).map((e) => e.id)).toEqual([a.id]);
        expect(await store.outbox.get(b.id)).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: 5000, lastError: 'HTTP 429' });

        expect(await store.outbox.markSent(a.id, 2100)).toBe(true);
        expect(await store.outbox.markSent(a.id, 2200)).toBe(false); // already settled
        expect(await store.outbox.markRetry(a.id, 9999, 'late')).toBe(false);
        expect(await store.outbox.get(a.id)).toMatchObject({ status: 'sent', sentAt: 2100, attempts: 1, lastError: null });

        expect(await store.outbox.markFailed(c.id, 'chat not found')).toBe(true);
        expect(await store.outbox.get(c.id)).toMatchObject({ status: 'failed', attempts: 1, lastError: 'chat not found' });
        expect((await store.outbox.due(10_000, 10)).map((e) => e.id)).toEqual([b.id]);
        expect(await store.outbox.get('missing')).toBeUndefined();
      });

      it('links to a match and survives the match being deleted', async () => {
        const alertId = (await store.alerts.create({ name: 'a', source: 's', query: 'q' })).id;
        const { match } = await store.matches.insertMatch({ alertId, itemId: 'i', item: {} });
        const { entry } = await store.outbox.enqueue({ ...msg('m'), matchId: match.id });
        expect(entry.matchId).toBe(match.id);
        await store.alerts.remove(alertId);
        expect(await store.outbox.get(entry.id)).toMatchObject({ matchId: null, status: 'pending' });
      });
    });

    describe('fencing', () => {
      it('accepts equal and higher tokens, refuses a lower one, per lock', async () => {
        await store.fencing.check({ name: 'leader', token: 3 });
        await store.fencing.check({ name: 'leader', token: 3 });
        await store.fencing.check({ name: 'leader', token: 5 });
        await expect(store.fencing.check({ name: 'leader', token: 4 })).rejects.toMatchObject({ code: 'FENCED' });
        expect(await store.fencing.newest('leader')).toBe(5);
        await store.fencing.check({ name: 'other', token: 1 });
        expect(await store.fencing.newest('other')).toBe(1);
        expect(await store.fencing.newest('nobody')).toBeNull();
      });

      it('rolls back the guarded write when the fence refuses it', async () => {
        await store.fencing.check({ name: 'leader', token: 10 });
        await expect(
          store.db.transaction().execute(async (tx) => {
            const repos = createRepos(tx);
            await repos.fencing.check({ name: 'leader', token: 9 });
            await repos.alertRuns.start({ trigger: 'schedule', slotKey: 'stale-slot' });
          }),
        ).rejects.toMatchObject({ code: 'FENCED' });
        expect((await store.alertRuns.listRecent(50)).some((r) => r.slotKey === 'stale-slot')).toBe(false);
      });
    });

    describe('failover history', () => {
      it('records and reads back a failover', async () => {
        const f = await store.failovers.record({ workerId: 'w1', step: 'region', fromValue: 'cdg', toValue: 'iad', reason: '3x403', ok: false, error: 'no capacity', at: 1000 });
        expect(f).toEqual({ id: f.id, workerId: 'w1', step: 'region', fromValue: 'cdg', toValue: 'iad', reason: '3x403', ok: false, error: 'no capacity', at: 1000 });
        expect(typeof f.id).toBe('number');
        const g = await store.failovers.record({ workerId: 'w1', step: 'restart', reason: '3x403', ok: true, at: 2000 });
        expect(g).toMatchObject({ ok: true, fromValue: null, toValue: null, error: null });
        expect(await store.failovers.listRecent()).toEqual([g, f]);
      });

      it(`keeps only the newest ${FAILOVER_HISTORY_LIMIT}`, async () => {
        for (let i = 0; i < FAILOVER_HISTORY_LIMIT + 7; i++) {
          await store.failovers.record({ workerId: `w${i}`, step: 'restart', reason: 'r', ok: true, at: 1000 + i });
        }
        expect(await count(store, 'failover_history')).toBe(FAILOVER_HISTORY_LIMIT);
        const all = await store.failovers.listRecent(1000);
        expect(all).toHaveLength(FAILOVER_HISTORY_LIMIT);
        expect(all[0]?.workerId).toBe(`w${FAILOVER_HISTORY_LIMIT + 6}`);
        expect(all.at(-1)?.workerId).toBe('w7');
        const last = FAILOVER_HISTORY_LIMIT + 6;
        expect((await store.failovers.listRecent(3)).map((f) => f.workerId)).toEqual([`w${last}`, `w${last - 1}`, `w${last - 2}`]);
      });

      it('joins a caller transaction', async () => {
        await store.db.transaction().execute(async (tx) => {
          await createRepos(tx).failovers.record({ workerId: 'w1', step: 'app', reason: 'r', ok: true });
        });
        expect(await store.failovers.listRecent()).toHaveLength(1);
      });
    });
  });
}
