// The bench harness's own helpers (no timing here: benchmarks print, they do not assert speed).
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM without types
import { parseProcStatCpu, parseVmRss } from '../lib/procs.mjs';
// @ts-expect-error plain ESM without types
import { alertsNdjson, checkAlertsAnswer, classifyRequest, haproxyConfig, median, verdict } from './lib.mjs';
import { parseAlertImport } from '../../packages/vigie/src/alerts/import.js';

describe('bench/scale helpers', () => {
  it('tells the coordinator\'s health checks from HAProxy\'s and from commands', () => {
    expect(classifyRequest('GET', '/api/v1/worker/health')).toBe('coordinatorHealth');
    expect(classifyRequest('GET', '/api/v1/worker/health?via=haproxy')).toBe('haproxyHealth');
    expect(classifyRequest('POST', '/api/v1/worker/execute')).toBe('execute');
    expect(classifyRequest('GET', '/api/v1/worker/execute')).toBe('other');
    expect(classifyRequest('GET', '/api/health')).toBe('other');
  });

  it('answers check-alerts with every alert checked and no match', () => {
    const a = checkAlertsAnswer(JSON.stringify({ type: 'check-alerts', payload: { alerts: [{ id: 'a' }, { id: 'b' }] } }));
    expect(a.alertsChecked).toBe(2);
    expect(JSON.parse(a.body)).toEqual({ success: true, data: { matches: [], alertsChecked: 2, itemsChecked: 0 } });
    expect(checkAlertsAnswer('{"type":"custom"}').alertsChecked).toBe(0);
    expect(JSON.parse(checkAlertsAnswer('not json').body).success).toBe(false);
  });

  it('writes an HAProxy config with one checked server per worker, one thread', () => {
    const cfg: string = haproxyConfig({ host: '127.0.0.20', ports: [1000, 1001], intervalMs: 15000, timeoutMs: 15000, statsPort: 9 });
    expect(cfg).toContain('nbthread 1');
    expect(cfg).toContain('option httpchk GET /api/v1/worker/health?via=haproxy');
    expect(cfg.match(/^ {4}server /gm)).toHaveLength(2);
    expect(cfg).toContain('server w2 127.0.0.20:1001 check inter 15000');
  });

  it('generates alerts that the import accepts, the same every run', () => {
    const text: string = alertsNdjson(50, 10);
    expect(text).toBe(alertsNdjson(50, 10));
    const parsed = parseAlertImport(text);
    expect(parsed).toHaveLength(50);
    expect(parsed[0]?.name).toBe('bench alert 10');
  });

  it('reads CPU and RSS from /proc texts, whatever the command name holds', () => {
    const stat = '1234 (node (x) y) S 1 2 3 4 5 6 7 8 9 10 250 150 0 0 20 0 1 0 100 2000 300';
    expect(parseProcStatCpu(stat)).toBeCloseTo(4.0);
    expect(parseVmRss('Name:\tnode\nVmRSS:\t  123456 kB\nThreads:\t7\n')).toBe(123456 * 1024);
    expect(parseVmRss('Name:\tnode\n')).toBeUndefined();
  });

  it('puts a verdict beside a goal', () => {
    expect(verdict(1.2, 1.5, 'le')).toBe('OK');
    expect(verdict(1.6, 1.5, 'le')).toBe('MISSED');
    expect(verdict(0.7, 0.6, 'ge')).toBe('OK');
    expect(verdict(undefined, 1, 'le')).toBe('n/a');
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });
});
