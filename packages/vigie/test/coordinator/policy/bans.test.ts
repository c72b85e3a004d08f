import { describe, expect, it } from 'vitest';
import {
  banDuration,
  decideBan,
  effectiveBanCount,
  isBanned,
  type BanFleetMember,
  type BanInput,
} from '../../../src/coordinator/policy/bans.js';

const MIN = 60_000;
const BASE = 30 * MIN;
const MAX = 8 * 60 * MIN;

const healthy = (id: string, bannedUntil: number | null = null): BanFleetMember => ({ id, bannedUntil, healthy: true });
const fleetOf = (...members: BanFleetMember[]) => members;

function input(overrides: Partial<BanInput> = {}): BanInput {
  return {
    workerId: 'w1',
    status: 403,
    now: 1_000_000,
    previousBanCount: 0,
    baseMs: BASE,
    maxMs: MAX,
    fleet: fleetOf(healthy('w1'), healthy('w2'), healthy('w3')),
    ...overrides,
  };
}

describe('isBanned', () => {
  it('holds until bannedUntil and ends by itself at that instant', () => {
    expect(isBanned(null, 5)).toBe(false);
    expect(isBanned(undefined, 5)).toBe(false);
    expect(isBanned(1_000, 999)).toBe(true);
    expect(isBanned(1_000, 1_000)).toBe(false);
    expect(isBanned(1_000, 5_000)).toBe(false);
  });
});

describe('banDuration', () => {
  it('doubles for each previous ban and stops at the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 60, 5_000].map((n) => banDuration(n, BASE, MAX))).toEqual([
      BASE, 2 * BASE, 4 * BASE, 8 * BASE, MAX, MAX, MAX, MAX,
    ]);
  });

  it('treats a nonsense count as a first offence, and a base above the cap as the cap', () => {
    expect(banDuration(-3, BASE, MAX)).toBe(BASE);
    expect(banDuration(0, 10 * MAX, MAX)).toBe(MAX);
  });
});

describe('decideBan', () => {
  it('bans a first offender for the base duration (the seed: 30 min) on 401 and on 403', () => {
    for (const status of [401, 403] as const) {
      expect(decideBan(input({ status }))).toEqual({ ban: true, until: 1_000_000 + BASE, durationMs: BASE, banCount: 1 });
    }
  });

  it('doubles a repeat offender and caps the ban', () => {
    expect(decideBan(input({ previousBanCount: 1 }))).toMatchObject({ ban: true, durationMs: 2 * BASE, banCount: 2 });
    expect(decideBan(input({ previousBanCount: 2 }))).toMatchObject({ ban: true, durationMs: 4 * BASE, banCount: 3 });
    expect(decideBan(input({ previousBanCount: 9 }))).toMatchObject({ ban: true, durationMs: MAX, until: 1_000_000 + MAX });
  });

  it('keeps the repeat count while the last ban is recent, and resets it after a clean spell longer than the cap', () => {
    const now = 10 * MAX;
    expect(decideBan(input({ now, previousBanCount: 3, lastBanEndedAt: now - MAX }))).toMatchObject({ durationMs: 8 * BASE, banCount: 4 });
    expect(decideBan(input({ now, previousBanCount: 3, lastBanEndedAt: now - MAX - 1 }))).toMatchObject({ durationMs: BASE, banCount: 1 });
    expect(effectiveBanCount(3, null, now, MAX)).toBe(3);
    expect(effectiveBanCount(3, now - 2 * MAX, now, MAX)).toBe(0);
  });

  it('does not stack bans when requests already in flight come back 403 during the ban', () => {
    const now = 1_000_000;
    const decision = decideBan(input({ now, previousBanCount: 1, fleet: fleetOf(healthy('w1', now + BASE), healthy('w2'), healthy('w3')) }));
    expect(decision).toEqual({ ban: false, reason: 'ALREADY_BANNED', until: now + BASE });
  });

  it('treats an expired ban as no ban: a new 403 bans again', () => {
    const now = 1_000_000;
    const decision = decideBan(input({ now, previousBanCount: 1, fleet: fleetOf(healthy('w1', now - 1), healthy('w2')) }));
    expect(decision).toMatchObject({ ban: true, durationMs: 2 * BASE });
  });

  describe('panic rule', () => {
    it('refuses to ban the last usable worker and asks for FLEET_BLOCKED instead', () => {
      const now = 1_000_000;
      const fleet = fleetOf(healthy('w1'), healthy('w2', now + BASE), healthy('w3', now + BASE));
      expect(decideBan(input({ now, fleet }))).toEqual({
        ban: false,
        reason: 'PANIC_LAST_WORKERS',
        signal: 'FLEET_BLOCKED',
        usableOthers: 0,
        minUnbanned: 1,
      });
    });

    it('counts unhealthy workers as unusable: banning the only healthy one would stop all work', () => {
      const fleet = fleetOf(healthy('w1'), { id: 'w2', bannedUntil: null, healthy: false });
      expect(decideBan(input({ fleet }))).toMatchObject({ ban: false, reason: 'PANIC_LAST_WORKERS' });
    });

    it('counts expired bans as usable again', () => {
      const now = 1_000_000;
      const fleet = fleetOf(healthy('w1'), healthy('w2', now - 1));
      expect(decideBan(input({ now, fleet }))).toMatchObject({ ban: true });
    });

    it('bans the first workers of a fleet-wide 403 wave, then stops at minUnbanned', () => {
      let now = 1_000_000;
      const fleet: BanFleetMember[] = ['w1', 'w2', 'w3', 'w4'].map((id) => healthy(id));
      const outcomes: string[] = [];
      for (const member of fleet) {
        const decision = decideBan(input({ workerId: member.id, now, fleet, minUnbanned: 2 }));
        if (decision.ban) member.bannedUntil = decision.until;
        outcomes.push(decision.ban ? 'ban' : decision.reason);
        now += 1_000;
      }
      expect(outcomes).toEqual(['ban', 'ban', 'PANIC_LAST_WORKERS', 'PANIC_LAST_WORKERS']);
    });

    it('a single-worker fleet is never banned; minUnbanned 0 turns the rule off', () => {
      expect(decideBan(input({ fleet: fleetOf(healthy('w1')) }))).toMatchObject({ ban: false, reason: 'PANIC_LAST_WORKERS' });
      expect(decideBan(input({ fleet: fleetOf(healthy('w1')), minUnbanned: 0 }))).toMatchObject({ ban: true });
    });
  });
});
