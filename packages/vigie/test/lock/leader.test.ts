// LeaderElector with fake timers (vitest fakes setTimeout and Date together) on the in-memory lock:
// the I/O loop around the pure decisions, including a backend that fails or hangs under a leader.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hasCode } from '../../src/errors.js';
import { LeaderElector, type LeaderElectorOptions } from '../../src/lock/leader.js';
import type { LockBackend, LockGrant } from '../../src/lock/types.js';
import { captureLogger, MemoryLock, MemoryLockServer, SwitchableBackend } from './helpers.js';

interface Recorded {
  elector: LeaderElector;
  events: Array<{ type: 'elected' | 'demoted' | 'aborted'; at: number; fencing?: number; reason?: string }>;
  electedAt(): number | undefined;
  demotedAt(): number | undefined;
}

const LEASE = 3000;
const RENEW = 1000;
const running: LeaderElector[] = [];

function elector(backend: LockBackend, extra: Partial<LeaderElectorOptions> = {}): Recorded {
  const events: Recorded['events'] = [];
  const { logger } = captureLogger();
  const elector = new LeaderElector({
    backend,
    leaseMs: LEASE,
    renewEveryMs: RENEW,
    logger,
    random: () => 0,
    onElected: (g, signal) => {
      events.push({ type: 'elected', at: Date.now(), fencing: g.fencing });
      signal.addEventListener('abort', () => events.push({ type: 'aborted', at: Date.now() }));
    },
    onDemoted: (reason) => {
      events.push({ type: 'demoted', at: Date.now(), reason });
    },
    ...extra,
  });
  running.push(elector);
  const at = (type: string) => events.find((e) => e.type === type)?.at;
  return { elector, events, electedAt: () => at('elected'), demotedAt: () => at('demoted') };
}

/** Advances fake time in steps so that promise chains between timers run. */
async function advance(ms: number, step = 10): Promise<void> {
  for (let done = 0; done < ms; done += step) await vi.advanceTimersByTimeAsync(Math.min(step, ms - done));
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.stop()));
  vi.useRealTimers();
});

describe('LeaderElector (fake clock, in-memory lock)', () => {
  it('elects one of two, renews its lease, and shows both views in status()', async () => {
    const server = new MemoryLockServer();
    const a = elector(new MemoryLock(server));
    const b = elector(new MemoryLock(server));
    a.elector.start();
    await advance(20);
    b.elector.start();
    await advance(20);
    expect(a.elector.isLeader()).toBe(true);
    expect(b.elector.isLeader()).toBe(false);
    const fencing = a.elector.currentFencing();
    expect(fencing).toBe(1);
    expect(b.elector.currentFencing()).toBeNull();

    // Well past the first lease: renewals kept it (same fencing number, no demotion).
    await advance(3 * LEASE);
    expect(a.elector.isLeader()).toBe(true);
    expect(a.elector.currentFencing()).toBe(fencing);
    expect(a.events.filter((e) => e.type === 'demoted')).toHaveLength(0);
    expect(b.events).toHaveLength(0);

    const sa = a.elector.status();
    expect(sa).toMatchObject({ key: 'leader', role: 'leader', fencing, running: true });
    expect(sa.holder).toMatch(new RegExp(`:${process.pid}:[0-9a-f]{16}$`));
    expect(sa.leaseLeftMs!).toBeGreaterThan(LEASE - RENEW - 100);
    expect(sa.leaseLeftMs!).toBeLessThanOrEqual(LEASE);
    const sb = b.elector.status();
    expect(sb).toMatchObject({ role: 'follower', holder: sa.holder, fencing });
    expect(sb.leaseLeftMs!).toBeGreaterThan(0);
    expect(sb.leaseLeftMs!).toBeLessThanOrEqual(LEASE);
  });

  for (const failure of ['error', 'hang'] as const) {
    it(`steps down before its lease ends when the backend starts to ${failure === 'error' ? 'fail' : 'hang'}; the other takes over after`, async () => {
      const server = new MemoryLockServer();
      const sick = new SwitchableBackend(new MemoryLock(server));
      // A call bound longer than the lease: only the step-down timer can save the leader from a hang.
      const a = elector(sick, { callTimeoutMs: 4 * LEASE });
      const b = elector(new MemoryLock(server));
      a.elector.start();
      await advance(20);
      b.elector.start();
      await advance(2500);
      expect(a.elector.isLeader()).toBe(true);

      sick.mode = failure;
      const signal = a.elector.leadershipSignal()!;
      await advance(2 * LEASE);
      const last: LockGrant = sick.grants.at(-1)!;

      const demotedAt = a.demotedAt()!;
      expect(demotedAt).toBeDefined();
      // Patroni's rule: before the lease ends, and not before the safety margin (it rode out the first failures).
      expect(demotedAt).toBeLessThan(last.expiresAt);
      expect(demotedAt).toBeGreaterThanOrEqual(last.expiresAt - RENEW);
      expect(a.events.find((e) => e.type === 'aborted')!.at).toBe(demotedAt);
      expect(signal.aborted).toBe(true);
      expect(hasCode(signal.reason, 'LEADERSHIP_LOST')).toBe(true);
      expect(a.elector.isLeader()).toBe(false);
      expect(a.elector.currentFencing()).toBeNull();
      expect(a.events.find((e) => e.type === 'demoted')!.reason).toMatch(/renew/);

      // The other coordinator leads only once the first has stopped: never two leaders at once.
      const bElectedAt = b.electedAt()!;
      expect(bElectedAt).toBeDefined();
      expect(bElectedAt).toBeGreaterThan(demotedAt);
      expect(b.events[0]!.fencing!).toBeGreaterThan(last.fencing);
      sick.heal();
    });
  }

  it('rides out a short outage without a change of leader', async () => {
    const server = new MemoryLockServer();
    const sick = new SwitchableBackend(new MemoryLock(server));
    const a = elector(sick);
    a.elector.start();
    await advance(1100);
    const fencing = a.elector.currentFencing();
    sick.mode = 'error';
    await advance(1000); // one renewal and a few retries fail; the lease is still safely ahead
    sick.heal();
    await advance(3 * LEASE);
    expect(a.elector.isLeader()).toBe(true);
    expect(a.elector.currentFencing()).toBe(fencing);
    expect(a.events.filter((e) => e.type !== 'elected')).toHaveLength(0);
    expect(sick.calls.filter((c) => c === 'extend').length).toBeGreaterThan(4);
  });

  it('steps down at the next renewal when the lock was lost, and does not free the new holder', async () => {
    const server = new MemoryLockServer();
    const sick = new SwitchableBackend(new MemoryLock(server));
    const a = elector(sick);
    a.elector.start();
    await advance(20);
    server.locks.set('leader', { token: 'elsewhere:1:00', expiresAt: Date.now() + 60_000 });
    await advance(RENEW + 20);
    expect(a.demotedAt()).toBeDefined();
    expect(a.events.find((e) => e.type === 'demoted')!.reason).toMatch(/lost/);
    await advance(3 * RENEW);
    expect(sick.calls).not.toContain('release');
    expect(server.locks.get('leader')!.token).toBe('elsewhere:1:00');
    expect(a.elector.status()).toMatchObject({ role: 'follower', holder: 'elsewhere:1:00' });
  });

  it('is not leader past its step-down time even when its timers run late', async () => {
    const a = elector(new MemoryLock(new MemoryLockServer()));
    a.elector.start();
    await advance(20);
    expect(a.elector.isLeader()).toBe(true);
    // The clock jumps (a blocked event loop, a paused VM) without any timer having run.
    vi.setSystemTime(Date.now() + LEASE - RENEW + 1);
    expect(a.elector.isLeader()).toBe(false);
    expect(a.elector.currentFencing()).toBeNull();
  });

  it('on stop, stops leader work before freeing the lock; a follower then takes over within renewEveryMs', async () => {
    const server = new MemoryLockServer();
    let heldDuringOnDemoted: string | undefined;
    const a = elector(new MemoryLock(server), {
      onDemoted: () => {
        heldDuringOnDemoted = server.live('leader')?.token;
      },
    });
    const b = elector(new MemoryLock(server));
    a.elector.start();
    await advance(20);
    b.elector.start();
    await advance(20);
    const token = a.elector.status().holder;
    const stopping = a.elector.stop();
    await advance(20);
    await stopping;
    expect(heldDuringOnDemoted).toBe(token);
    expect(server.live('leader')?.token).not.toBe(token);
    expect(a.elector.status()).toMatchObject({ role: 'follower', running: false });
    const stoppedAt = Date.now();
    await advance(RENEW + 50);
    expect(b.elector.isLeader()).toBe(true);
    expect(b.electedAt()! - stoppedAt).toBeLessThanOrEqual(RENEW + 20);
    expect(b.elector.currentFencing()).toBe(2);
  });

  it('leaves no timer behind once stopped', async () => {
    const server = new MemoryLockServer();
    const a = elector(new MemoryLock(server));
    const b = elector(new MemoryLock(server));
    a.elector.start();
    b.elector.start();
    await advance(2500);
    await Promise.all([a.elector.stop(), b.elector.stop()]);
    expect(vi.getTimerCount()).toBe(0);
    expect(server.live('leader')).toBeUndefined();
  });

  it('gives back a lock won by an acquire that was in flight when stop() was called', async () => {
    const server = new MemoryLockServer();
    const slow = new SwitchableBackend(new MemoryLock(server));
    slow.mode = 'hold';
    const a = elector(slow);
    a.elector.start();
    await advance(20);
    expect(slow.calls).toEqual(['acquire']);
    const stopping = a.elector.stop();
    slow.heal(); // the held acquire now reaches the lock and wins it
    await advance(20);
    await stopping;
    expect(slow.grants).toHaveLength(1);
    expect(slow.calls).toContain('release');
    expect(server.live('leader')).toBeUndefined();
    expect(a.events).toHaveLength(0);
    expect(a.elector.isLeader()).toBe(false);
  });

  it('keeps renewing when onElected throws, and passes the fencing floor', async () => {
    const server = new MemoryLockServer();
    const a = elector(new MemoryLock(server), {
      onElected: () => {
        throw new Error('leader work failed to start');
      },
      fencingFloor: () => 500,
    });
    a.elector.start();
    await advance(3 * LEASE);
    expect(a.elector.isLeader()).toBe(true);
    expect(a.elector.currentFencing()).toBe(501);
  });
});
