import { setFlagsFromString } from 'node:v8';
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
 *   rather than over several cycles (RSS that crept up cycle after cycle: 1.11× after ten).
 *   Capping it instead (8 MB per semi-space, by switching the growth factor from a `gc`
 *   observer) cost a busy dispatcher 7–12 % more CPU per command (bench/dispatch), and a nursery
 *   held at 2 × 1 MB for good, 40 %. `--max-semi-space-size` cannot do either: node reads it
 *   once, when the heap is made, before any of our code.
 * - A cycle over 20 000 alerts holds its alerts, batches and answers for about a second, long
 *   enough for them to be promoted; V8 then lets the old generation fill with that garbage for
 *   cycles before a full collection (RSS 290 MB after one cycle, 500 MB after ten). The cycle
 *   ends, the coordinator idles until the next slot: collecting then costs one pause of tens of ms
 *   per cycle (measured 65–95 ms for 5000 workers) and keeps the heap at its live size.
 */

/** The young generation's growth factor once a command has started (V8's own is 2). */
const SERVING_GROWTH_FACTOR = 4;

/** First thing in the `vigie` bin, before the program's modules load: the young generation keeps its initial size. */
export function holdYoungGeneration(): void {
  if (operatorSized()) return;
  setFlagsFromString('--semi-space-growth-factor=1');
}

/** Once a command's start-up is done (the CLI's `action`): the young generation grows again, in big steps. */
export function releaseYoungGeneration(): void {
  if (operatorSized()) return;
  setFlagsFromString(`--semi-space-growth-factor=${SERVING_GROWTH_FACTOR}`);
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
  gc();
  return performance.now() - started;
}
