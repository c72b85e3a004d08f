import { describe, expect, it } from 'vitest';
import { NodePool, type NodeFailure, type NodeUpReason } from '../src/node-pool.js';
import { createStrategy, type StrategyName } from '../src/strategies/index.js';
import { FakeClock } from './helpers/fake-clock.js';

const URLS = ['http://127.0.0.1:8080', 'http://127.0.0.1:8081/', 'http://127.0.0.1:8082'];
const DOWN: NodeFailure = { code: 'CONNECTION_REFUSED' };

function makePool(strategy: StrategyName = 'failover', failback = true) {
  const clock = new FakeClock();
  const log: string[] = [];
  const pool = new NodePool(URLS, {
    strategy: createStrategy(strategy),
    clock,
    random: () => 0,
    failback,
    ewmaDecayMs: 10_000,
    listener: {
      nodeDown: (_n, i, f) => log.push(`down ${i} ${f.code}`),
      nodeUp: (_n, i, r: NodeUpReason) => log.push(`up ${i} ${r}`),
    },
  });
  const node = (i: number) => {
    const n = pool.nodes[i];
    if (n === undefined) throw new Error(`no node ${i}`);
    return n;
  };
  return { pool, clock, log, node };
}

describe('NodePool', () => {
  it('normalises URLs and starts on the primary', () => {
    const { pool } = makePool();
    expect(pool.nodes.map((n) => n.url)).toEqual(['http://127.0.0.1:8080', 'http://127.0.0.1:8081', 'http://127.0.0.1:8082']);
    expect(pool.select()?.url).toBe('http://127.0.0.1:8080');
    expect(pool.snapshot().currentNode).toBe(0);
  });

  it('moves the current node to the next healthy one when it fails, and reports the transition once', () => {
    const { pool, log, node } = makePool();
    expect(pool.markFailed(node(0), DOWN)).toBe(true);
    expect(pool.markFailed(node(0), DOWN)).toBe(false);
    expect(log).toEqual(['down 0 CONNECTION_REFUSED']);
    expect(pool.current).toBe(node(1));
    expect(pool.select()).toBe(node(1));
  });

  it('skips nodes the request already tried', () => {
    const { pool, node } = makePool();
    expect(pool.select([node(0)])).toBe(node(1));
    expect(pool.select([node(0), node(1)])).toBe(node(2));
  });

  it('falls back to the node that failed longest ago when none is healthy', () => {
    const { pool, clock, node } = makePool();
    pool.markFailed(node(1), DOWN);
    clock.advance(10);
    pool.markFailed(node(0), DOWN);
    clock.advance(10);
    pool.markFailed(node(2), DOWN);
    expect(pool.select()).toBe(node(1));
    expect(pool.select([node(1)])).toBe(node(0));
    expect(pool.select([], true)).toBeUndefined();
  });

  it('keeps a node out until its Retry-After has passed', () => {
    const { pool, clock, node } = makePool();
    for (let i = 0; i < 3; i++) pool.markFailed(node(i), DOWN, i === 0 ? 5000 : undefined);
    expect(pool.select()).toBe(node(1));
    expect(pool.snapshot().nodes[0]?.downUntil).toBe(clock.now() + 5000);
    clock.advance(5000);
    expect(pool.select()).toBe(node(0));
  });

  it('ignores outcomes of attempts that started before the last status change', () => {
    const { pool, node } = makePool();
    const n0 = node(0);
    const before = n0.generation;
    pool.markFailed(n0, DOWN);
    // A slow success that started while the node was healthy must not revive a dead node.
    expect(pool.markUp(n0, 'success', before)).toBe(false);
    expect(n0.status).toBe('failed');
    const failedGen = n0.generation;
    expect(pool.markUp(n0, 'health-check', failedGen)).toBe(true);
    // A late timeout from the failed era must not kill the revived node.
    expect(pool.markFailed(n0, DOWN, undefined, failedGen)).toBe(false);
    expect(n0.status).toBe('healthy');
  });

  it('fails back to the primary when it comes back (failover strategy)', () => {
    const { pool, log, node } = makePool();
    pool.markFailed(node(0), DOWN);
    expect(pool.current).toBe(node(1));
    pool.markUp(node(0), 'health-check');
    expect(pool.current).toBe(node(0));
    expect(log).toEqual(['down 0 CONNECTION_REFUSED', 'up 0 health-check']);
  });

  it('stays on the backup without failback', () => {
    const { pool, node } = makePool('failover', false);
    pool.markFailed(node(0), DOWN);
    pool.markUp(node(0), 'health-check');
    expect(pool.current).toBe(node(1));
  });

  it('switchToNode forces a node current and healthy, and failback respects it', () => {
    const { pool, node, log } = makePool();
    pool.markFailed(node(2), DOWN);
    expect(pool.switchTo(2)).toBe(true);
    expect(pool.current).toBe(node(2));
    expect(node(2).status).toBe('healthy');
    expect(log.at(-1)).toBe('up 2 switch');
    pool.markFailed(node(1), DOWN);
    pool.markUp(node(1), 'health-check');
    expect(pool.current).toBe(node(2));
    expect(pool.switchTo(3)).toBe(false);
    expect(pool.switchTo(-1)).toBe(false);
    expect(pool.switchTo(1.5)).toBe(false);
  });

  it('resetFailed re-enables every failed node', () => {
    const { pool, node } = makePool();
    pool.markFailed(node(0), DOWN, 60_000);
    pool.markFailed(node(1), DOWN);
    expect(pool.resetFailed()).toBe(2);
    expect(pool.hasFailed()).toBe(false);
    expect(pool.current).toBe(node(0));
    expect(pool.snapshot().nodes[0]?.downUntil).toBeNull();
  });

  it('adds and removes nodes at runtime, keeping the current node', () => {
    const { pool, node } = makePool();
    expect(pool.add('http://127.0.0.1:9000')).toBe(3);
    expect(pool.add('http://127.0.0.1:9000/')).toBe(3);
    const n1 = node(1);
    pool.switchTo(1);
    expect(pool.remove('http://127.0.0.1:8080')).toBe(true);
    expect(pool.current).toBe(n1);
    expect(pool.snapshot().currentNode).toBe(0);
    expect(pool.remove('http://127.0.0.1:8081')).toBe(true);
    expect(pool.current?.url).toBe('http://127.0.0.1:8082');
    expect(pool.remove('http://127.0.0.1:8081')).toBe(false);
    expect(pool.remove('not a url')).toBe(false);
    // A removed node ignores late outcomes.
    expect(pool.markFailed(n1, DOWN)).toBe(false);
  });

  it('refuses invalid URLs', () => {
    const { pool } = makePool();
    expect(() => pool.add('ftp://x')).toThrow(/http or https/);
    expect(() => pool.add('nope')).toThrow(/not a valid URL/);
    expect(() => pool.add('http://x/?a=1')).toThrow(/query/);
  });

  it('round-robin spreads over healthy nodes and records the last node used as current', () => {
    const { pool, node } = makePool('round-robin');
    pool.markFailed(node(1), DOWN);
    const picks = [0, 1, 2, 3].map(() => pool.nodes.indexOf(pool.select() ?? node(0)));
    expect(picks).toEqual([0, 2, 0, 2]);
    pool.noteSuccess(node(2));
    expect(pool.snapshot().currentNode).toBe(2);
  });

  it('snapshots status, response time, errors and metrics', () => {
    const { pool, node, clock } = makePool();
    node(0).metrics.start(clock.now());
    node(0).metrics.response(12.345, clock.now(), false);
    node(0).responseTime = 12.345;
    pool.markFailed(node(1), { code: 'HTTP_STATUS', status: 503 });
    const s = pool.snapshot();
    expect(s).toMatchObject({ currentNode: 0, currentUrl: 'http://127.0.0.1:8080', strategy: 'failover', healthyCount: 2 });
    expect(s.nodes[0]).toMatchObject({ index: 0, status: 'healthy', current: true, responseTime: 12.35, lastError: null });
    expect(s.nodes[0]?.metrics).toMatchObject({ requests: 1, errors: 0, p50Ms: 12.345 });
    expect(s.nodes[1]).toMatchObject({ status: 'failed', lastError: 'HTTP_STATUS 503', failedAt: Math.round(clock.now()) });
  });
});
