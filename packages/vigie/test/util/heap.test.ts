import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/util/heap.js';

const HEAP = fileURLToPath(new URL('../../dist/util/heap.js', import.meta.url));

/** Runs a fresh node (its heap not shared with vitest's) that allocates like a busy coordinator and prints its young generation's size. */
function youngGenerationAfterLoad(capBytes: number | undefined, nodeArgs: string[] = []): number {
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8';
    const { boundYoungGeneration } = await import(${JSON.stringify(HEAP)});
    if (${capBytes !== undefined}) boundYoungGeneration(${capBytes ?? 0});
    let keep = [];
    for (let round = 0; round < 200; round++) {
      const batch = [];
      for (let i = 0; i < 20000; i++) batch.push({ i, name: 'alert ' + i });
      keep.push(batch);
      if (keep.length > 3) keep.shift();
      await new Promise((r) => setImmediate(r));
    }
    console.log(getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);`;
  const out = spawnSync(process.execPath, [...nodeArgs, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  expect(out.status, out.stderr).toBe(0);
  return Number(out.stdout.trim());
}

describe('heap', () => {
  it('boundYoungGeneration stops the young generation at its cap where V8 alone grows it to 2 × 16 MB, and still lets it grow to the cap', () => {
    const MB = 1024 * 1024;
    expect(youngGenerationAfterLoad(undefined)).toBe(32 * MB);
    const capped = youngGenerationAfterLoad(2 * MB);
    // At most one doubling past the cap (the observer runs between tasks, heap.ts says so): 4 MB per semi-space.
    expect(capped).toBeLessThanOrEqual(2 * 4 * MB);
    expect(capped).toBeGreaterThan(2 * MB); // grew past V8's initial 1 MB per semi-space
  });

  it('leaves the young generation to the operator who sized it when starting node', () => {
    expect(youngGenerationAfterLoad(2 * 1024 * 1024, ['--max-semi-space-size=16'])).toBe(32 * 1024 * 1024);
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
