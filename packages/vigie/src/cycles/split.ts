/**
 * Splits `items` into contiguous chunks, one per worker, in order: sizes differ by at most 1
 * (the first `items.length % workers` workers get one more), concatenating the chunks in
 * worker order gives `items` back, and the same input always gives the same split. Workers
 * that would get nothing are left out (no empty `check-alerts` command); duplicate ids count once.
 */
export function splitEvenly<T>(items: readonly T[], workerIds: readonly string[]): Map<string, T[]> {
  const workers = [...new Set(workerIds)];
  const plan = new Map<string, T[]>();
  if (workers.length === 0 || items.length === 0) return plan;
  const base = Math.floor(items.length / workers.length);
  const extra = items.length % workers.length;
  let start = 0;
  for (let i = 0; i < workers.length && start < items.length; i++) {
    const size = base + (i < extra ? 1 : 0);
    plan.set(workers[i] as string, items.slice(start, start + size));
    start += size;
  }
  return plan;
}

export interface RedispatchPlan<T> {
  /** New batches for the workers that have not failed this cycle. */
  assignments: Map<string, T[]>;
  /** Items no worker is left for: the caller reports them failed, with a reason. */
  unassigned: T[];
}

/**
 * Re-dispatches a failed batch over the workers that have not failed this cycle, split evenly;
 * with none left, everything is unassigned so that no alert ends the cycle unaccounted for.
 */
export function planRedispatch<T>(
  failedItems: readonly T[],
  remainingWorkerIds: readonly string[],
): RedispatchPlan<T> {
  const assignments = splitEvenly(failedItems, remainingWorkerIds);
  return { assignments, unassigned: assignments.size === 0 ? [...failedItems] : [] };
}

/** The workers of `all` that are not in `failed`, in order: who may take a re-dispatch. */
export function remainingWorkers(all: readonly string[], failed: ReadonlySet<string>): string[] {
  return all.filter((id) => !failed.has(id));
}
