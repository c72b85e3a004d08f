import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteDatabase } from '../../src/store/sqlite.js';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMatchRecorder, recordMatches } from '../../src/alerts/matches.js';
import type { Item } from '../../src/wire/check-alerts.js';
import { matchIdempotencyKey } from '../../src/notify/targets.js';
import { migrationProvider } from '../../src/store/migrations/index.js';
import { openStore, type Alert, type AlertInput, type NotifyTarget, type Store } from '../../src/store/index.js';
import { postgresUrl, tempPgSchema } from '../helpers/services.js';
import { captureLogger, item } from '../notify/helpers.js';

const root = mkdtempSync(join(tmpdir(), 'vigie-matches-'));
const pgUrl = await postgresUrl();
const pgSchema = pgUrl ? await tempPgSchema(pgUrl) : undefined;
afterAll(async () => {
  rmSync(root, { recursive: true, force: true });
  await pgSchema?.drop();
});

const TARGETS: NotifyTarget[] = [
  { channel: 'telegram', chatId: '42' },
  { channel: 'webhook', url: 'http://127.0.0.1:9/hook', secretRef: 'hook-key' },
  { channel: 'log' },
];

const items = (...ids: string[]): Item[] => ids.map((id) => item(id));

/** Outbox rows of one alert (keys start with match:<alertId>:). */
async function outboxOf(store: Store, alertId: string) {
  return store.db.selectFrom('notification_outbox').selectAll().where('idempotency_key', 'like', `match:${alertId}:%`).orderBy('channel').execute();
}

async function baselineAt(store: Store, alertId: string): Promise<number | null> {
  const row = await store.db.selectFrom('alerts').select('baseline_at').where('id', '=', alertId).executeTakeFirstOrThrow();
  return row.baseline_at === null ? null : Number(row.baseline_at);
}

/**
 * `separateConnections`: whether racing stores get connections of their own. Not on SQLite:
 * better-sqlite3 is synchronous, so a second connection of the same process waiting on the write
 * lock would block the very thread that holds it; there one connection serialises transactions
 * (as in the coordinator), and the race between processes is the database's own locking.
 */
function recordMatchesSuite(name: string, open: () => Promise<Store>, separateConnections: boolean): void {
  describe(`recordMatches on ${name}`, () => {
    let store: Store;
    let runId: string;
    const others: Store[] = [];
    const another = async () => {
      if (!separateConnections) return store;
      const s = await open();
      others.push(s);
      return s;
    };
    const newAlert = (extra: Partial<AlertInput> = {}) => store.alerts.create({ name: 'Vintage lamp', source: 'demo', query: 'lamp', notify: TARGETS, ...extra });

    beforeEach(async () => {
      store = await open();
      runId = (await store.alertRuns.start({ trigger: 'manual' })).id;
    });
    afterEach(async () => {
      for (const s of others.splice(0)) await s.close();
      await store.close();
    });

    it('records the first check as a silent baseline: items seen, no match, no notification', async () => {
      const alert = await newAlert();
      expect(await baselineAt(store, alert.id)).toBeNull();
      expect(await recordMatches(store, { runId, alert, candidates: items('a', 'b'), now: 5000 })).toEqual({ newMatches: 0, baseline: true, notifications: 0 });
      expect(await baselineAt(store, alert.id)).toBe(5000);
      expect(await store.matches.listRecent(10, { alertId: alert.id })).toEqual([]);
      expect(await outboxOf(store, alert.id)).toEqual([]);
      expect(await store.matches.markSeen(alert.id, ['a', 'b', 'z'])).toEqual(['z']);
    });

    it('then records one new item as exactly one match and one outbox entry per target', async () => {
      const alert = await newAlert();
      await recordMatches(store, { runId, alert, candidates: items('a', 'b') });
      const c = item('c', { title: 'Brass lamp', price: 30, photo: 'https://img.example/c.jpg' });
      const r = await recordMatches(store, { runId, alert, candidates: [...items('a', 'b'), c], now: 9000 });
      expect(r).toEqual({ newMatches: 1, baseline: false, notifications: 3 });

      const [match, ...more] = await store.matches.listRecent(10, { alertId: alert.id });
      expect(more).toEqual([]);
      expect(match).toMatchObject({ alertId: alert.id, itemId: 'c', item: c, runId, createdAt: 9000 });

      const rows = await outboxOf(store, alert.id);
      expect(rows.map((o) => o.channel)).toEqual(['log', 'telegram', 'webhook']);
      for (const o of rows) {
        const target = JSON.parse(o.target) as NotifyTarget;
        expect(o.idempotency_key).toBe(matchIdempotencyKey(alert.id, 'c', o.channel, target));
        expect(o).toMatchObject({ status: 'pending', match_id: match!.id, attempts: 0 });
        expect(Number(o.next_attempt_at)).toBe(9000);
        expect(JSON.parse(o.payload)).toEqual({ event: 'match', matchId: match!.id, alert: { id: alert.id, name: 'Vintage lamp' }, item: c, foundAt: 9000 });
      }
      expect(rows.map((o) => JSON.parse(o.target))).toEqual([TARGETS[2], TARGETS[0], TARGETS[1]]);
    });

    it('records the same batch twice (a retry, a re-dispatch) without a second match or notification', async () => {
      const alert = await newAlert();
      await recordMatches(store, { runId, alert, candidates: [] });
      const batch = items('x', 'y');
      expect(await recordMatches(store, { runId, alert, candidates: batch })).toMatchObject({ newMatches: 2, notifications: 6 });
      expect(await recordMatches(store, { runId, alert, candidates: batch })).toEqual({ newMatches: 0, baseline: false, notifications: 0 });
      expect(await store.matches.listRecent(10, { alertId: alert.id })).toHaveLength(2);
      expect(await outboxOf(store, alert.id)).toHaveLength(6);
    });

    it('records one match when two coordinators record the same items at once', async () => {
      const alert = await newAlert();
      await recordMatches(store, { runId, alert, candidates: [] });
      const [s1, s2] = [await another(), await another()];
      const batch = items('p', 'q', 'r');
      const results = await Promise.all([s1, s2, s1, s2].map((s) => recordMatches(s, { runId, alert, candidates: batch })));
      expect(results.reduce((n, r) => n + r.newMatches, 0)).toBe(3);
      expect(results.reduce((n, r) => n + r.notifications, 0)).toBe(9);
      expect(await store.matches.listRecent(10, { alertId: alert.id })).toHaveLength(3);
      expect(await outboxOf(store, alert.id)).toHaveLength(9);
    });

    it('takes the baseline once when two first checks race', async () => {
      const alert = await newAlert();
      const [s1, s2] = [await another(), await another()];
      const results = await Promise.all([s1, s2].map((s) => recordMatches(s, { runId, alert, candidates: items('a', 'b') })));
      expect(results.filter((r) => r.baseline)).toHaveLength(1);
      expect(results.reduce((n, r) => n + r.newMatches, 0)).toBe(0);
      expect(await outboxOf(store, alert.id)).toEqual([]);
    });

    it('notifies what is already listed at the first check when the alert asks for it', async () => {
      const alert = await newAlert({ notifyExisting: true });
      expect(alert.notifyExisting).toBe(true);
      expect(await recordMatches(store, { runId, alert, candidates: items('a', 'b') })).toEqual({ newMatches: 2, baseline: true, notifications: 6 });
      expect(await recordMatches(store, { runId, alert, candidates: items('a', 'b') })).toEqual({ newMatches: 0, baseline: false, notifications: 0 });
    });

    it('records matches of an alert with no notify target, and queues once per distinct target', async () => {
      const silent = await newAlert({ notify: [] });
      await recordMatches(store, { runId, alert: silent, candidates: [] });
      expect(await recordMatches(store, { runId, alert: silent, candidates: items('a', 'a') })).toEqual({ newMatches: 1, baseline: false, notifications: 0 });
      expect(await store.matches.listRecent(10, { alertId: silent.id })).toHaveLength(1);

      const dup = await newAlert({ notify: [{ channel: 'telegram', chatId: '42' }, { chatId: '42', channel: 'telegram' }, { channel: 'telegram' }] });
      await recordMatches(store, { runId, alert: dup, candidates: [] });
      expect(await recordMatches(store, { runId, alert: dup, candidates: items('a') })).toMatchObject({ newMatches: 1, notifications: 2 });
    });

    it('reads the alert\'s current targets, and does nothing for an alert deleted meanwhile', async () => {
      const alert = await newAlert();
      await recordMatches(store, { runId, alert, candidates: [] });
      await store.alerts.update(alert.id, { notify: [{ channel: 'log' }] });
      expect(await recordMatches(store, { runId, alert, candidates: items('n') })).toMatchObject({ newMatches: 1, notifications: 1 });
      await store.alerts.remove(alert.id);
      expect(await recordMatches(store, { runId, alert, candidates: items('m') })).toEqual({ newMatches: 0, baseline: false, notifications: 0 });
    });

    it('commits all or nothing: a failure leaves the items unseen, so the next cycle finds them again', async () => {
      const alert = await newAlert();
      await recordMatches(store, { runId, alert, candidates: items('a') });
      // A run id that does not exist breaks the match insert (foreign key) after markSeen ran.
      await expect(recordMatches(store, { runId: 'no-such-run', alert, candidates: items('a', 'b') })).rejects.toThrow();
      expect(await store.matches.listRecent(10, { alertId: alert.id })).toEqual([]);
      expect(await recordMatches(store, { runId, alert, candidates: items('a', 'b') })).toMatchObject({ newMatches: 1, notifications: 3 });
    });
  });
}

recordMatchesSuite('sqlite', () => openStore({ dataDir: join(root, 'suite') }), false);
describe.skipIf(!pgUrl)('PostgreSQL', () => {
  recordMatchesSuite('postgres', () => openStore({ dataDir: root, databaseUrl: pgUrl, schema: pgSchema!.schema }), true);
});

describe('createMatchRecorder (the cycle runner\'s onMatches)', () => {
  let store: Store;
  let runId: string;
  beforeEach(async () => {
    store = await openStore({ dataDir: join(root, 'recorder') });
    runId = (await store.alertRuns.start({ trigger: 'manual' })).id;
  });
  afterEach(() => store.close());

  const alertNamed = (name: string): Promise<Alert> => store.alerts.create({ name, source: 'demo', query: name, notify: [{ channel: 'log' }] });
  const candidate = (alertId: string, id: string | number) => ({ alertId, item: { ...item(String(id)), id } });

  it('records each alert of the batch, ignores malformed and foreign candidates, and answers the new matches', async () => {
    const out = captureLogger();
    const kicks: number[] = [];
    const record = createMatchRecorder({ store, logger: out.logger, onRecorded: (n) => kicks.push(n) });
    const [a, b] = [await alertNamed('a'), await alertNamed('b')];
    const ctx = { runId, workerId: 'w1', alerts: [a, b], failed: [] };
    expect(await record([candidate(a.id, 1), candidate(b.id, 'x')], ctx)).toBe(0); // baselines
    expect(kicks).toEqual([]);
    const n = await record([candidate(a.id, 1), candidate(a.id, 2), candidate(b.id, 'y'), candidate('not-in-batch', 'z'), { alertId: a.id }, 'junk'], ctx);
    expect(n).toBe(2);
    expect(kicks).toEqual([2]);
    expect((await store.matches.listRecent(10, { alertId: a.id })).map((m) => m.itemId)).toEqual(['2']);
    expect(await store.matches.listRecent(10)).toHaveLength(2);
    expect(out.lines().find((l) => l.malformed === 2 && l.foreign === 1)).toBeDefined();
  });

  it('takes the baseline of a checked alert with no candidate only when it knows which alerts failed', async () => {
    const record = createMatchRecorder({ store, logger: captureLogger().logger });
    const [a, b, c] = [await alertNamed('a'), await alertNamed('b'), await alertNamed('c')];
    await record([], { runId, workerId: 'w1', alerts: [a] });
    expect(await baselineAt(store, a.id)).toBeNull(); // maybe never checked: no baseline
    await record([candidate(c.id, 'c1')], { runId, workerId: 'w1', alerts: [b, c], failed: [{ alertId: c.id }] });
    expect(await baselineAt(store, b.id)).not.toBeNull(); // checked, nothing listed
    expect(await baselineAt(store, c.id)).toBeNull(); // failed: its partial list is no baseline
    expect(await record([candidate(b.id, 'new')], { runId, workerId: 'w1', alerts: [b] })).toBe(1);
  });

  it('takes the baselines of a batch\'s quiet alerts together, under the fence, and logs them in one line', async () => {
    const out = captureLogger();
    const record = createMatchRecorder({ store, logger: out.logger });
    const alerts = [await alertNamed('a'), await alertNamed('b'), await alertNamed('c')];
    await store.fencing.check({ name: 'leader', token: 5 }, 1);
    await expect(record([], { runId, workerId: 'w1', alerts, failed: [], fence: { name: 'leader', token: 4 } })).rejects.toMatchObject({ code: 'FENCED' });
    for (const a of alerts) expect(await baselineAt(store, a.id)).toBeNull();
    await record([candidate(alerts[0]!.id, 'x')], { runId, workerId: 'w1', alerts, failed: [], fence: { name: 'leader', token: 5 } });
    for (const a of alerts) expect(await baselineAt(store, a.id)).not.toBeNull();
    expect(out.lines().filter((l) => l.alerts === 2 && String(l.msg).includes('first time'))).toHaveLength(1);
    // Taken once: the next quiet check logs nothing more, and a new item of b is news.
    await record([], { runId, workerId: 'w1', alerts, failed: [] });
    expect(out.lines().filter((l) => String(l.msg).includes('first time'))).toHaveLength(1);
    expect(await record([candidate(alerts[1]!.id, 'new')], { runId, workerId: 'w1', alerts, failed: [] })).toBe(1);
  });

  it('logs and goes on when one alert cannot be recorded', async () => {
    const out = captureLogger();
    const record = createMatchRecorder({ store, logger: out.logger });
    const [a, b] = [await alertNamed('a'), await alertNamed('b')];
    await record([], { runId, workerId: 'w1', alerts: [a, b], failed: [] });
    const n = await record([candidate(a.id, 1), candidate(b.id, 2)], { runId: 'no-such-run', workerId: 'w1', alerts: [a, b] });
    expect(n).toBe(0);
    expect(out.lines().filter((l) => l.level === 50)).toHaveLength(2);
    expect(await record([candidate(a.id, 1), candidate(b.id, 2)], { runId, workerId: 'w1', alerts: [a, b] })).toBe(2);
  });
});

describe('migration 002 (alert baseline)', () => {
  it('gives alerts checked before it a baseline, and leaves the others to their first check', async () => {
    const dir = join(root, 'migration');
    const old = await openStore({ dataDir: dir }).then(async (s) => {
      await s.close();
      return new SqliteDatabase(join(dir, 'vigie.db'));
    });
    // Back to the schema of 001, with one alert that was checked and one that was not.
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: old }) });
    const { error } = await new Migrator({ db, provider: migrationProvider('sqlite') }).migrateTo('001_initial');
    expect(error).toBeUndefined();
    const row = (id: string) => ({ id, name: id, source: 's', query: 'q', conditions: '[]', include_words: '[]', exclude_words: '[]', notify: '[]', active: 1, created_at: 111, updated_at: 222 });
    await db.insertInto('alerts').values([row('checked'), row('fresh')]).execute();
    await db.insertInto('seen_items').values({ alert_id: 'checked', item_id: 'i1', first_seen_at: 150 }).execute();
    await db.destroy();

    const store = await openStore({ dataDir: dir });
    try {
      expect(await baselineAt(store, 'checked')).toBe(111);
      expect(await baselineAt(store, 'fresh')).toBeNull();
      expect((await store.alerts.get('fresh'))?.notifyExisting).toBeUndefined();
      const runId = (await store.alertRuns.start({ trigger: 'manual' })).id;
      const checked = (await store.alerts.get('checked'))!;
      expect(await recordMatches(store, { runId, alert: checked, candidates: items('i1', 'i2') })).toMatchObject({ newMatches: 1, baseline: false });
      expect(await store.alerts.update('fresh', { notifyExisting: true })).toMatchObject({ notifyExisting: true });
    } finally {
      await store.close();
    }
  });
});
