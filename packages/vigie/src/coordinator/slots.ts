/**
 * Cycle slots: time cut into intervals aligned on the epoch, so that every coordinator computes
 * the same slot for the same moment. A slot's key is unique in the store: whoever leads, a slot
 * runs at most once.
 */

/** The slot `now` falls in (its start, epoch ms). */
export function slotStart(now: number, intervalMs: number): number {
  return Math.floor(now / intervalMs) * intervalMs;
}

/** The store key of the slot starting at `start`. */
export function slotKey(start: number, intervalMs: number): string {
  return `alert-cycle:${intervalMs}:${start}`;
}

/**
 * When the next tick is due: not before `earliest` (start-up delay), and at slot boundaries
 * after the first run, so that ticks do not drift across slots.
 */
export function nextTickAt(now: number, intervalMs: number, earliest: number, ranSlot: number | undefined): number {
  if (now < earliest) return earliest;
  const current = slotStart(now, intervalMs);
  // The current slot has not run here yet: run it now (a new leader takes over mid-slot).
  if (ranSlot === undefined || ranSlot < current) return now;
  return current + intervalMs;
}

/**
 * The slot a tick runs: the one its timer was planned for, or the current one when the tick
 * came late. A timer may fire slightly before the wall-clock boundary it aimed at (timers use
 * a monotonic clock, `Date.now()` the wall clock), so `slotStart(now)` alone can name the
 * slot that just ran.
 */
export function tickSlot(now: number, intervalMs: number, planned: number | undefined): number {
  const current = slotStart(now, intervalMs);
  return planned === undefined ? current : Math.max(current, planned);
}
