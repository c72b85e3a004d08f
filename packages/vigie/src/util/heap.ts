import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString, type HeapSpaceInfo } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * How a Vigie process keeps its memory bounded (issue 16, bench/scale/README.md "Where the memory
 * goes"). Two findings drive it:
 *
 * - V8 grows the young generation (up to 2 × 16 MB) when many objects survive its scavenges, and
 *   keeps it. Start-up is exactly that: modules, settings, 5000 registered workers, all long-lived.
 *   Growing the nursery for them is wasted (they are promoted anyway), and it left a coordinator
 *   that had done nothing yet with 32 MB of empty nursery. So the nursery does not grow while a
 *   command starts; once it serves, it grows in steps of 4× instead of V8's 2×, so that the first
 *   burst of real work (a cycle, a stream of commands) brings it to its working size at once
 *   rather than over several cycles (RSS that crept up cycle after cycle: 1.11× after ten), and
 *   no further than Node 20's V8 lets it (2 × 16 MB; Node 24's goes to 2 × 64 MB).
 *   A lower cap (8 MB per semi-space, from start-up on) cost a busy dispatcher 7–12 % more CPU
 *   per command (bench/dispatch), and a nursery held at 2 × 1 MB for good, 40 %.
 *   `--max-semi-space-size` cannot do any of this: node reads it once, when the heap is made,
 *   before any of our code; only the growth factor is read at each growth.
 * - A cycle over 20 000 alerts holds its alerts, batches and answers for about a second, long
 *   enough for them to be promoted; V8 then lets the old generation fill with that garbage for
 *   cycles before a full collection (RSS 290 MB after one cycle, 500 MB after ten). The cycle
 *   ends, the coordinator idles until the next slot: collecting then costs one pause per cycle
 *   (105–160 ms for 5000 workers, compacting) and keeps the heap at its live size.
 */

/** The young generation's growth factor once a command has started (V8's own is 2). */
const SERVING_GROWTH_FACTOR = 4;
/**
 * Its largest semi-space: 16 MB, V8's own cap on Node 20. V8 on Node 24 allows 64 MB on a machine
 * with this much memory (a 128 MB nursery for a coordinator); capped, Node 24 behaves as 20 did.
 */
const MAX_SEMI_SPACE_BYTES = 16 * 1024 * 1024;

/** First thing in the `vigie` bin, before the program's modules load: the young generation keeps its initial size. */
export function holdYoungGeneration(): void {
  if (operatorSized()) return;
  setFlagsFromString('--semi-space-growth-factor=1');
}

let released = false;

/**
 * Once a command's start-up is done (the CLI's `action`): the young generation grows again, in
 * 4× steps, up to `maxSemiSpaceBytes` per semi-space. The cap works from a `gc` performance
 * observer: after each collection, the growth factor is the one whose next step lands on the cap
 * at most, and 1 at the cap. Observers run between tasks, so a long synchronous stretch that
 * collects several times may still grow it one step further; V8 shrinks it again when the
 * process is quiet, and the observer then lets it grow back.
 */
export function releaseYoungGeneration(maxSemiSpaceBytes = MAX_SEMI_SPACE_BYTES): void {
  if (released || operatorSized()) return;
  released = true;
  let factor = 0;
  const adjust = (): void => {
    const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    if (!young) return;
    const semiSpace = semiSpaceBytes(young);
    // A whole factor (V8's flag is an integer): the largest whose next step stays within the cap,
    // at least 2 (Node 24's V8 also sizes the nursery by itself, not only in powers of two).
    const wanted = semiSpace >= maxSemiSpaceBytes ? 1 : Math.max(2, Math.min(SERVING_GROWTH_FACTOR, Math.floor(maxSemiSpaceBytes / semiSpace)));
    if (wanted === factor) return;
    factor = wanted;
    setFlagsFromString(`--semi-space-growth-factor=${wanted}`);
  };
  adjust();
  new PerformanceObserver(adjust).observe({ entryTypes: ['gc'] });
}

/** V8's page: semi-spaces are made of whole pages of 256 KiB. */
const PAGE_BYTES = 256 * 1024;

/**
 * The size of one semi-space. Half of `space_size` is not enough: it counts committed memory, and
 * V8 uncommits the idle from-space at times, so a 2 × 4 MB nursery then reads as 2 × 2 MB and the
 * cap would let it grow one step past (CI saw 2 × 8 MB under a 4 MB cap). The to-space's capacity
 * (used + available) does not change with that; it leaves out the pages' headers, hence whole pages.
 */
export function semiSpaceBytes(young: HeapSpaceInfo): number {
  const capacity = young.space_used_size + young.space_available_size;
  return Math.max(young.space_size / 2, Math.ceil(capacity / PAGE_BYTES) * PAGE_BYTES);
}

/** An operator's own young-generation settings, given to node at start, are left alone. */
function operatorSized(): boolean {
  return givenAtStart('--max-semi-space-size') || givenAtStart('--semi-space-growth-factor');
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
  // Compacting: the pages a cycle's garbage spread over are emptied and handed back, instead of
  // staying committed half-used (bench/scale: heap 172 → 108 MB after ten cycles, for a pause of
  // 105–160 ms instead of 65–95). Only this collection compacts every page; V8's own collections
  // keep choosing theirs.
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    gc();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
  return performance.now() - started;
}
