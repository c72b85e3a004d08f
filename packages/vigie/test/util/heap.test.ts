import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { HeapSpaceInfo } from 'node:v8';
import { collectGarbage, semiSpaceBytes } from '../../src/util/heap.js';

const HEAP = fileURLToPath(new URL('../../dist/util/heap.js', import.meta.url));
const MB = 1024 * 1024;
/** Node 20's V8 sizes the nursery only by the growth factor; Node 24's also resizes it by itself. */
const FACTOR_ONLY = Number(process.versions.node.split('.')[0]) < 22;

/**
 * Runs a fresh node (its heap not shared with vitest's) that takes `steps`: heap.ts's calls, and
 * `load`, which allocates like a busy coordinator (batches that live a little while) and then
 * records the young generation's size. Prints the sizes recorded.
 */
function youngGeneration(steps: Array<'hold' | 'release' | 'release at 4 MB' | 'load'>, nodeArgs: string[] = []): number[] {
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8';
    const heap = await import(${JSON.stringify(HEAP)});
    const sizes = [];
    for (const step of ${JSON.stringify(steps)}) {
      if (step === 'hold') heap.holdYoungGeneration();
      if (step === 'release') heap.releaseYoungGeneration();
      if (step === 'release at 4 MB') heap.releaseYoungGeneration(4 * 1024 * 1024);
      if (step === 'load') {
        let keep = [];
        for (let round = 0; round < 150; round++) {
          const batch = [];
          for (let i = 0; i < 20000; i++) batch.push({ i, name: 'alert ' + i });
          keep.push(batch);
          if (keep.length > 3) keep.shift();
          await new Promise((r) => setImmediate(r));
        }
        sizes.push(getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);
      }
    }
    console.log(JSON.stringify(sizes));`;
  const out = spawnSync(process.execPath, [...nodeArgs, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  expect(out.status, out.stderr).toBe(0);
  return JSON.parse(out.stdout) as number[];
}

describe('heap', () => {
  it('holds the young generation at V8\'s initial size during start-up, then lets it grow up to 2 × 16 MB', () => {
    // V8 alone: 2 × 16 MB on Node 20, 2 × 64 MB on Node 24 (this machine's memory).
    const alone = youngGeneration(['load'])[0]!;
    expect(alone).toBeGreaterThanOrEqual(32 * MB);
    const [held, serving] = youngGeneration(['hold', 'load', 'release', 'load']);
    // 2 MB on Node 20; Node 24's V8 also resizes the nursery by itself (seen up to 9.5 MB).
    expect(held).toBeLessThanOrEqual(alone / 4);
    if (FACTOR_ONLY) expect([held, serving]).toEqual([2 * MB, 32 * MB]);
    expect(serving).toBeGreaterThan(8 * MB);
    // 32 MB on Node 20; Node 24's V8 also resizes the nursery by itself, around the cap.
    expect(serving).toBeLessThanOrEqual(40 * MB);
  });

  it('keeps the young generation near the cap it is given, far below V8\'s own size', () => {
    const alone = youngGeneration(['load'])[0]!;
    const [held, capped] = youngGeneration(['hold', 'load', 'release at 4 MB', 'load']);
    expect(held).toBeLessThanOrEqual(alone / 4);
    if (FACTOR_ONLY) expect([held, capped]).toEqual([2 * MB, 8 * MB]);
    // Node 20: exactly 2 × 4 MB. Node 24's V8 also resizes the nursery by itself, around the cap.
    expect(capped).toBeGreaterThanOrEqual(8 * MB);
    expect(capped).toBeLessThan(alone / 3);
  });

  it('reads a semi-space\'s size whether or not V8 has uncommitted the idle from-space', () => {
    const young = (committed: number, capacity: number): HeapSpaceInfo => ({
      space_name: 'new_space', space_size: committed, space_used_size: capacity / 3,
      space_available_size: capacity - capacity / 3, physical_space_size: committed,
    });
    // Both semi-spaces committed: 2 × 4 MB, the to-space's capacity less its 16 pages' headers.
    expect(semiSpaceBytes(young(8 * MB, 3.93 * MB))).toBe(4 * MB);
    // The from-space uncommitted: `space_size` halves, the semi-space does not (seen on Node 20).
    expect(semiSpaceBytes(young(4 * MB, 3.93 * MB))).toBe(4 * MB);
    expect(semiSpaceBytes(young(2 * MB, 0.98 * MB))).toBe(1 * MB);
  });

  it('leaves the young generation to an operator who sized it when starting node', () => {
    expect(youngGeneration(['hold', 'load'], ['--max-semi-space-size=4'])).toEqual([8 * MB]);
  });

  it('collectGarbage frees what nothing references any more, without a gc global in this context', () => {
    let garbage: Array<{ i: number }> | undefined = Array.from({ length: 500_000 }, (_, i) => ({ i }));
    const held = process.memoryUsage().heapUsed;
    garbage = undefined;
    expect(garbage).toBeUndefined();
    const ms = collectGarbage();
    expect(ms).toBeGreaterThan(0);
    expect(process.memoryUsage().heapUsed).toBeLessThan(held - 10 * 1024 * 1024);
    expect('gc' in globalThis && typeof (globalThis as { gc?: unknown }).gc === 'function').toBe(false);
  });
});
