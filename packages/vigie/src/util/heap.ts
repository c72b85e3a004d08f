import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * How a Vigie process keeps its memory bounded (issue 16, bench/scale/README.md "Where the memory
 * goes"). Two findings drive it:
 *
 * - V8 grows the young generation up to 2 × 16 MB as soon as many objects survive its scavenges
 *   (module loading, registering 5000 workers), and keeps it: 32 MB of a 150 MB budget. Capped at
 *   2 × 8 MB it costs a busy dispatcher no CPU that bench/dispatch can tell from its noise; held
 *   at V8's initial 2 × 1 MB it cost 40 % more CPU per command. `--max-semi-space-size` is read
 *   when the heap is made, before any of our code, so the cap works through the growth factor,
 *   which V8 reads at each growth. (Holding growth only during start-up was tried: RSS after
 *   registration 130 MB, but the nursery then grew over the first cycles, and RSS with it, 1.11×.)
 * - A cycle over 20 000 alerts holds its alerts, batches and answers for about a second, long
 *   enough for them to be promoted; V8 then lets the old generation fill with that garbage for
 *   cycles before a full collection (RSS 290 MB after one cycle, 500 MB after ten). The cycle
 *   ends, the coordinator idles until the next slot: collecting then costs one pause of tens of ms
 *   per cycle (measured 65–95 ms for 5000 workers) and keeps the heap at its live size.
 */

/** The young generation's cap: 8 MB per semi-space (V8's default grows to 16). */
const MAX_SEMI_SPACE_BYTES = 8 * 1024 * 1024;

/**
 * Called once, first thing in the `vigie` bin, before the program's modules load: a cap on the
 * young generation, which `--max-semi-space-size` can no longer set once the process runs. After
 * each collection (a `gc` performance observer) the growth factor is set to 1 while the young
 * generation is at the cap (no growth) and back to V8's 2 below it, so that it still grows under
 * load (a busy dispatcher needs room: a 1 MB nursery cost 40 % more CPU per command in
 * bench/dispatch) after V8 shrank it in a quiet moment. Observers run between tasks, so a long
 * synchronous stretch may grow it one step past the cap; V8 shrinks it again when allocation slows.
 */
export function boundYoungGeneration(maxSemiSpaceBytes = MAX_SEMI_SPACE_BYTES): void {
  // An operator's own young-generation settings, given to node at start, are left alone.
  if (givenAtStart('--max-semi-space-size') || givenAtStart('--semi-space-growth-factor')) return;
  let factor = 0;
  const adjust = (): void => {
    const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    const wanted = young && young.space_size >= 2 * maxSemiSpaceBytes ? 1 : 2;
    if (wanted === factor) return;
    factor = wanted;
    setFlagsFromString(`--semi-space-growth-factor=${wanted}`);
  };
  adjust();
  new PerformanceObserver(adjust).observe({ entryTypes: ['gc'] });
}

/** Whether `flag` was given to this node process (its arguments or NODE_OPTIONS). */
function givenAtStart(flag: string): boolean {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return given.some((a) => a === flag || a.startsWith(`${flag}=`));
}

let gc: (() => void) | undefined;

/**
 * A full garbage collection now; returns its duration in ms. V8's `gc` is reached through a
 * fresh context, where `--expose-gc` set at run time takes effect (the way jest-leak-detector
 * reaches it), so no `gc` global appears in the process's own context.
 */
export function collectGarbage(): number {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  const started = performance.now();
  gc();
  return performance.now() - started;
}
