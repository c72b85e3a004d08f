/**
 * When the health checker probes each worker. Pure: times in, times out.
 *
 * The promise kept: a worker that stops answering is marked unhealthy within one interval plus
 * the probe timeout. Every worker is probed at the latest one interval after its last proof of
 * life (a passed probe, or — as Envoy pairs active checks with outlier detection — a command
 * it answered successfully); the probe then fails within its timeout. Slots are set a tick early,
 * so that the checker's tick cannot push a probe past that bound.
 *
 * Probes are spread over the interval rather than fired in one burst: after the first round
 * (all at once, so that health is known before the coordinator serves), slots are spread evenly
 * over the next interval, and each probe's next slot is one interval after it started, so the
 * spread lasts. A worker seen alive through a command since its last probe is not probed: its
 * slot moves to one interval after that proof, less a random part of half an interval (cycles
 * answer every worker within a second; the random part keeps their next probes apart).
 */

export interface ProbeTiming {
  intervalMs: number;
  /** Period of the checker's timer; slots are set this much early. */
  tickMs: number;
}

/** What the schedule needs to know of a worker. */
export interface ProbeSubject {
  healthy: boolean;
  /** When it last proved alive (a passed probe or a successful command), or null. */
  lastSeenAt: number | null;
}

export type ProbeDecision = { probe: true } | { probe: false; nextAt: number };

/** The checker's timer period for an interval: about a hundredth of it, 20 ms to 1 s. */
export function tickFor(intervalMs: number): number {
  return Math.min(1000, Math.max(20, Math.floor(intervalMs / 100)));
}

/** The first slots after the start round: spread evenly over one interval, none later than it allows. */
export function initialSlot(index: number, count: number, roundStartedAt: number, t: ProbeTiming): number {
  return roundStartedAt + Math.floor(((t.intervalMs - t.tickMs) * (index + 1)) / Math.max(1, count));
}

/** The slot after a probe that started at `startedAt`. */
export function slotAfterProbe(startedAt: number, t: ProbeTiming): number {
  return startedAt + t.intervalMs - t.tickMs;
}

/**
 * At a worker's slot: probe it now, or, when a successful command proved it alive after
 * `accountedUntil` (the answer of the checker's last probe, or the proof a previous skip used),
 * look again later.
 */
export function decideProbe(w: ProbeSubject, accountedUntil: number | null, now: number, t: ProbeTiming, random: () => number): ProbeDecision {
  if (!w.healthy || w.lastSeenAt === null || accountedUntil === null || w.lastSeenAt <= accountedUntil) return { probe: true };
  const nextAt = Math.floor(w.lastSeenAt + t.intervalMs - t.tickMs - random() * (t.intervalMs / 2));
  return nextAt > now ? { probe: false, nextAt } : { probe: true };
}
