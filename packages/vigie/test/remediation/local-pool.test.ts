import { describe, expect, it } from 'vitest';
import { loopbackPool, nextFreeAddress } from '../../src/remediation/providers/local.js';

describe('local provider: choosing the next address', () => {
  it('pools are 127.0.<n>.2 … .254, in order', () => {
    const pool = loopbackPool(1);
    expect(pool).toHaveLength(253);
    expect([pool[0], pool.at(-1)]).toEqual(['127.0.1.2', '127.0.1.254']);
  });

  it('skips the current address, addresses in use and addresses a worker left; none left → undefined', () => {
    const pool = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
    expect(nextFreeAddress(pool, '127.0.0.2', new Set(['127.0.0.2', '127.0.0.3']), new Set())).toBe('127.0.0.4');
    expect(nextFreeAddress(pool, '127.0.0.4', new Set(['127.0.0.4', '127.0.0.3']), new Set(['127.0.0.2']))).toBe('127.0.0.5');
    expect(nextFreeAddress(pool, '127.0.0.5', new Set(['127.0.0.5', '127.0.0.3']), new Set(['127.0.0.2', '127.0.0.4']))).toBeUndefined();
    expect(nextFreeAddress([], '127.0.0.2', new Set(), new Set())).toBeUndefined();
  });
});
