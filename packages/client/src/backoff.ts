/** Exponential backoff bounds. */
export interface BackoffOptions {
  /** Delay before the first retry (before jitter). */
  readonly baseMs: number;
  /** Upper bound of any delay (before jitter). */
  readonly maxMs: number;
  /** Growth per failure; 2 by default. */
  readonly factor?: number;
  /**
   * `equal` (default): uniform in [d/2, d], never less than half the nominal delay.
   * `full`: uniform in [baseMs, d], so that entries failing together spread over the whole window.
   */
  readonly jitter?: 'equal' | 'full';
}

/**
 * Delay before retry number `failures` (0 = first retry): base·factor^failures capped at max,
 * then jittered — "equal jitter", a uniform draw in [d/2, d], by default — so that clients cut
 * off together do not reconnect together. The one backoff builder of the project: the server
 * package's notifier and Fly client use it too.
 */
export function backoffDelay(failures: number, options: BackoffOptions, random: () => number): number {
  const factor = options.factor ?? 2;
  const exp = Math.min(Math.max(0, failures), 30);
  const nominal = Math.min(options.maxMs, options.baseMs * factor ** exp);
  if (options.jitter === 'full') return Math.round(options.baseMs + random() * Math.max(0, nominal - options.baseMs));
  const half = nominal / 2;
  return Math.round(half + random() * half);
}
