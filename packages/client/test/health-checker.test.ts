import { describe, expect, it } from 'vitest';
import { HealthChecker, type Probe } from '../src/health-checker.js';
import { NodePool } from '../src/node-pool.js';
import { createStrategy } from '../src/strategies/index.js';
import { FakeClock } from './helpers/fake-clock.js';

function setup(healthy: (url: string) => boolean) {
  const clock = new FakeClock();
  const ups: string[] = [];
  let checker!: HealthChecker;
  const pool = new NodePool(['http://127.0.0.1:1', 'http://127.0.0.1:2'], {
    strategy: createStrategy('failover'),
    clock,
    random: () => 0,
    failback: true,
    ewmaDecayMs: 10_000,
    listener: { nodeDown: () => checker.schedule(), nodeUp: (n) => ups.push(n.url) },
  });
  const probed: string[] = [];
  const probe: Probe = async (node) => {
    probed.push(node.url);
    return { healthy: healthy(node.url), durationMs: 3 };
  };
  checker = new HealthChecker(pool, probe, clock, 30_000);
  const n0 = pool.nodes[0];
  if (n0 === undefined) throw new Error('no node');
  return { clock, pool, checker, probed, ups, n0 };
}

// Lets the probe promises and the round's continuation run.
const flush = () => new Promise((r) => setTimeout(r, 0));

describe('HealthChecker', () => {
  it('holds no timer while every node is healthy', () => {
    const { clock, checker } = setup(() => true);
    checker.schedule();
    expect(checker.armed).toBe(false);
    expect(clock.pending).toBe(0);
  });

  it('probes a failed node after the interval and re-enables it when healthy', async () => {
    const { clock, pool, checker, probed, ups, n0 } = setup(() => true);
    pool.markFailed(n0, { code: 'TIMEOUT' });
    expect(checker.armed).toBe(true);
    clock.advance(29_999);
    expect(probed).toEqual([]);
    clock.advance(1);
    await flush();
    expect(probed).toEqual(['http://127.0.0.1:1']);
    expect(ups).toEqual(['http://127.0.0.1:1']);
    expect(n0.status).toBe('healthy');
    expect(n0.responseTime).toBe(3);
    expect(n0.lastCheckedAt).toBe(clock.now());
    expect(checker.armed).toBe(false); // nothing failed any more
  });

  it('keeps probing every interval while the node stays down', async () => {
    let up = false;
    const { clock, pool, checker, probed, n0 } = setup(() => up);
    pool.markFailed(n0, { code: 'TIMEOUT' });
    for (let round = 1; round <= 3; round++) {
      clock.advance(30_000);
      await flush();
      expect(probed.length).toBe(round);
      expect(checker.armed).toBe(true);
    }
    up = true;
    clock.advance(30_000);
    await flush();
    expect(n0.status).toBe('healthy');
  });

  it('waits for Retry-After before probing', async () => {
    const { clock, pool, probed, n0 } = setup(() => true);
    pool.markFailed(n0, { code: 'HTTP_STATUS', status: 503 }, 45_000);
    clock.advance(30_000);
    await flush();
    expect(probed).toEqual([]);
    clock.advance(30_000);
    await flush();
    expect(probed).toEqual(['http://127.0.0.1:1']);
  });

  it('stop() clears the timer and ignores probes that finish afterwards', async () => {
    const { clock, pool, checker, n0 } = setup(() => true);
    pool.markFailed(n0, { code: 'TIMEOUT' });
    checker.stop();
    expect(checker.armed).toBe(false);
    expect(clock.pending).toBe(0);
    checker.schedule();
    expect(clock.pending).toBe(0);
    clock.advance(60_000);
    await flush();
    expect(n0.status).toBe('failed');
  });

  it('checkAll probes healthy nodes too and marks failing ones down', async () => {
    const { pool, checker } = setup((url) => url.endsWith(':1'));
    await checker.checkAll();
    expect(pool.nodes.map((n) => n.status)).toEqual(['healthy', 'failed']);
    checker.stop();
  });

  it('uses background timers so that a Node process can exit', () => {
    const clock = new FakeClock();
    const calls: boolean[] = [];
    const spy = { ...clock, now: () => clock.now(), clearTimeout: (h: unknown) => clock.clearTimeout(h), setTimeout: (fn: () => void, ms: number, bg?: boolean) => (calls.push(!!bg), clock.setTimeout(fn, ms, bg)) };
    const pool = new NodePool(['http://127.0.0.1:1'], {
      strategy: createStrategy('failover'),
      clock: spy,
      random: () => 0,
      failback: true,
      ewmaDecayMs: 1000,
      listener: { nodeDown: () => undefined, nodeUp: () => undefined },
    });
    const checker = new HealthChecker(pool, async () => ({ healthy: false, durationMs: 1 }), spy, 1000);
    const n = pool.nodes[0];
    if (n === undefined) throw new Error('no node');
    pool.markFailed(n, { code: 'TIMEOUT' });
    checker.schedule();
    expect(calls).toEqual([true]);
    checker.stop();
  });
});
