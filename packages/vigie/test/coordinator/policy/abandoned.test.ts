import { describe, expect, it } from 'vitest';
import { abandonReason, LEGACY_RUN_MAX_MS } from '../../../src/coordinator/policy/abandoned.js';

const run = (over: Partial<Parameters<typeof abandonReason>[0]> = {}) => ({ startedAt: 1000, deadlineAt: 5000, fencingToken: 3, owner: 'host:1', ...over });

describe('abandonReason', () => {
  it('leaves a run alone before its deadline, under its own or no fence', () => {
    expect(abandonReason(run(), 5000)).toBeUndefined();
    expect(abandonReason(run(), 4000, 3)).toBeUndefined();
  });

  it('abandons a run past its deadline, naming its owner', () => {
    expect(abandonReason(run(), 5001)).toMatch(/past its deadline \(1970-01-01T00:00:05\.000Z\); its coordinator \(host:1\) stopped or stalled/);
  });

  it('abandons at once a run opened by an older leader, however young', () => {
    expect(abandonReason(run(), 1001, 4)).toMatch(/its leader \(host:1, fencing 3\) lost the leadership to fencing 4/);
    expect(abandonReason(run({ fencingToken: null }), 1001, 4)).toBeUndefined();
  });

  it('gives runs opened before deadlines existed an hour', () => {
    const old = run({ deadlineAt: null, owner: null });
    expect(abandonReason(old, 1000 + LEGACY_RUN_MAX_MS)).toBeUndefined();
    expect(abandonReason(old, 1001 + LEGACY_RUN_MAX_MS)).toMatch(/an earlier coordinator/);
  });
});
