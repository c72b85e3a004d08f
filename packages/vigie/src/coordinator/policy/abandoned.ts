// When is a run that still says "running" abandoned? Pure: the janitor (coordinator/run-janitor.ts)
// does the I/O. Two signs, either enough:
// - its deadline has passed: its coordinator died or stalled (a run never outlives its deadline);
// - it was opened under a lower fencing number than the leader's: its leader lost the lease, and
//   the store refuses every write it could still make, so it can never close the run itself.

/** How long a run opened before runs had deadlines may stay open. */
export const LEGACY_RUN_MAX_MS = 60 * 60_000;

/** What the verdict reads of a run. */
export interface OpenRun {
  startedAt: number;
  deadlineAt: number | null;
  fencingToken: number | null;
  owner: string | null;
}

/** Why `run` is abandoned at `now` under the leader's `fence` (if any); undefined while it may still end by itself. */
export function abandonReason(run: OpenRun, now: number, fence?: number): string | undefined {
  const owner = run.owner ?? 'an earlier coordinator';
  if (fence !== undefined && run.fencingToken !== null && run.fencingToken < fence) {
    return `abandoned: its leader (${owner}, fencing ${run.fencingToken}) lost the leadership to fencing ${fence}, so it can no longer write this run`;
  }
  const deadline = run.deadlineAt ?? run.startedAt + LEGACY_RUN_MAX_MS;
  if (now > deadline) {
    return `abandoned: still running past its deadline (${new Date(deadline).toISOString()}); its coordinator (${owner}) stopped or stalled`;
  }
  return undefined;
}
