/** Exponential backoff bounds. */
export interface BackoffOptions {
  /** Delay before the first retry (before jitter). */
  readonly baseMs: number;
  /** Upper bound of any delay (before jitter). */
  readonly maxMs: number;
  /** Growth per failure; 2 by default. */
  readonly factor?: number;
}

/**
 * Delay before retry number `failures` (0 = first retry): base·factor^failures capped at max,
 * then "equal jitter" — a uniform draw in [d/2, d] — so that clients cut off together do not
 * reconnect together, while still waiting at least half the nominal delay.
 */
export function backoffDelay(failures: number, options: BackoffOptions, random: () => number): number {
  const factor = options.factor ?? 2;
  const exp = Math.min(Math.max(0, failures), 30);
  const nominal = Math.min(options.maxMs, options.baseMs * factor ** exp);
  const half = nominal / 2;
  return Math.round(half + random() * half);
}
