import { describe, expect, it } from 'vitest';
import { forPerson, renderJson, renderTable } from '../../src/cli/output.js';
import { alertsView, locksView, matchesView, runsView, statsView } from '../../src/cli/views.js';

describe('CLI views (issue 17.7)', () => {
  it('a table for a person only on a terminal and without --json', () => {
    expect(forPerson({}, { isTTY: true })).toBe(true);
    expect(forPerson({ json: true }, { isTTY: true })).toBe(false);
    expect(forPerson({}, { isTTY: false })).toBe(false);
    expect(forPerson({}, {})).toBe(false);
    expect(renderJson({ a: [1] })).toBe('{\n  "a": [\n    1\n  ]\n}\n');
  });

  it('stats: state says banned (with the reason) before health', () => {
    const v = statsView({
      totalWorkers: 2, availableWorkers: 1, bannedWorkers: 1, unhealthyWorkers: 0,
      workers: [
        { id: 'a', name: 'A', region: 'cdg', isHealthy: true, isBanned: true, bannedUntil: null, banReason: 'UPSTREAM_FORBIDDEN: 403', requestCount: 4, successRate: 75, lastError: 'x' },
        { id: 'b', name: 'B', region: 'iad', isHealthy: false, isBanned: false, requestCount: 0, successRate: 100, lastError: null },
      ],
    });
    expect(v.before).toEqual(['2 worker(s): 1 available, 1 banned, 0 unhealthy']);
    expect(v.rows).toEqual([
      ['a', 'A', 'cdg', 'banned', '4', '75%', 'UPSTREAM_FORBIDDEN: 403'],
      ['b', 'B', 'iad', 'unhealthy', '0', '100%', ''],
    ]);
  });

  it('alerts, matches, runs and locks keep the few columns a person reads', () => {
    const alert = { id: 'id1', name: 'N', source: 's', query: 'q', priceMin: 10, priceMax: null, active: false, notify: [{ channel: 'log' }, { channel: 'telegram' }] };
    expect(alertsView({ alerts: [alert] }).rows).toEqual([['id1', 'N', 's', 'q', '≥ 10', 'paused', 'log,telegram']]);
    const m = matchesView({ matches: [{ alertId: 'id1', createdAt: Date.UTC(2026, 0, 1), item: { title: 'Shoe', price: 12.5, currency: 'EUR', url: 'http://x/1' } }] }, new Map([['id1', 'Cheap shoes']]));
    expect(m.rows[0]!.slice(1)).toEqual(['Cheap shoes', 'Shoe', '12.5 EUR', 'http://x/1']);
    expect(m.rows[0]![0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    const r = runsView({ runs: [{ startedAt: 0, endedAt: 1500, trigger: 'manual', status: 'partial', alertsTotal: 3, alertsChecked: 2, matches: 1, errors: 1, summary: { workersOk: 1, workersFailed: 1 } }] });
    expect(r.rows[0]!.slice(1)).toEqual(['manual', 'partial', '1.5 s', '2/3', '1', '1', '1/1']);
    expect(locksView([{ key: 'leader', backend: 'redis', held: false, host: null, pid: null, fencing: 3, ttlMs: null }]).rows).toEqual([['leader', 'redis', 'free', '3', '']]);
  });

  it('renders aligned columns without borders or trailing blanks, and a hint when empty', () => {
    const out = renderTable({ head: ['ID', 'NAME'], rows: [['a', 'Nike €'], ['bbbb', 'x']] });
    expect(out).toBe('ID    NAME\na     Nike €\nbbbb  x\n');
    expect(renderTable({ head: ['ID'], rows: [], empty: 'No alert.' })).toBe('No alert.\n');
  });
});
