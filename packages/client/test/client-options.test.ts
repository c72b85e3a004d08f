import { describe, expect, it } from 'vitest';
import { createClient, DEFAULTS, VigieClientError } from '../src/index.js';

const nodes = ['http://127.0.0.1:1'];

function invalid(options: Record<string, unknown>): string {
  try {
    createClient({ nodes, ...options } as Parameters<typeof createClient>[0]).close();
  } catch (e) {
    expect(e).toBeInstanceOf(VigieClientError);
    expect((e as VigieClientError).code).toBe('INVALID_ARGUMENT');
    return (e as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(options)}`);
}

describe('createClient options', () => {
  it('names the bad option in the error', () => {
    expect(invalid({ nodes: [] })).toMatch(/nodes/);
    expect(invalid({ nodes: ['ftp://x'] })).toMatch(/http or https/);
    expect(invalid({ timeoutMs: 0 })).toMatch(/timeoutMs/);
    expect(invalid({ timeoutMs: Number.NaN })).toMatch(/timeoutMs/);
    expect(invalid({ healthCheckIntervalMs: -1 })).toMatch(/healthCheckIntervalMs/);
    expect(invalid({ maxAttempts: 0 })).toMatch(/maxAttempts/);
    expect(invalid({ maxAttempts: 1.5 })).toMatch(/maxAttempts/);
    expect(invalid({ strategy: 'random' })).toMatch(/strategy/);
    expect(invalid({ healthPath: 'health' })).toMatch(/healthPath/);
    expect(invalid({ hedgeAfterMs: -5 })).toMatch(/hedgeAfterMs/);
  });

  it('uses the seed defaults', () => {
    expect(DEFAULTS).toMatchObject({ timeoutMs: 5000, healthCheckIntervalMs: 30_000, maxAttempts: 3, strategy: 'failover' });
    const c = createClient({ nodes: ['http://127.0.0.1:1/', 'http://127.0.0.1:2/api/'] });
    const s = c.getNodesHealthStatus();
    expect(s).toMatchObject({ currentNode: 0, strategy: 'failover', healthyCount: 2 });
    expect(s.nodes.map((n) => n.url)).toEqual(['http://127.0.0.1:1', 'http://127.0.0.1:2/api']);
    c.close();
    c.close(); // idempotent
    expect(c.closed).toBe(true);
  });

  it('stream() needs onMessage', () => {
    const c = createClient({ nodes });
    expect(() => c.stream('/e', {} as never)).toThrow(/onMessage/);
    c.close();
  });
});
