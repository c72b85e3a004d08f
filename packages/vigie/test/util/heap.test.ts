import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/util/heap.js';

const HEAP = fileURLToPath(new URL('../../dist/util/heap.js', import.meta.url));
const MB = 1024 * 1024;

/**
 * Runs a fresh node (its heap not shared with vitest's) that calls `steps` of heap.ts, allocating
 * like a busy coordinator (batches that live a little while) before each, and prints its young
 * generation's size after each step.
 */
function youngGeneration(steps: Array<'hold' | 'release' | 'load'>, nodeArgs: string[] = []): number[] {
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8';
    const heap = await import(${JSON.stringify(HEAP)});
    const sizes = [];
    for (const step of ${JSON.stringify(steps)}) {
      if (step === 'hold') heap.holdYoungGeneration();
      if (step === 'release') heap.releaseYoungGeneration();
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
  it('holds the young generation at V8\'s initial size during start-up, then lets it grow to V8\'s own maximum', () => {
    expect(youngGeneration(['load'])).toEqual([32 * MB]); // V8 alone
    expect(youngGeneration(['hold', 'load', 'release', 'load'])).toEqual([2 * MB, 32 * MB]);
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
