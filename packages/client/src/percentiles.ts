/** Nearest-rank percentile of an ascending array; undefined when empty. `p` in [0, 100]. */
export function percentile(sortedAscending: readonly number[], p: number): number | undefined {
  const n = sortedAscending.length;
  if (n === 0) return undefined;
  const rank = Math.ceil((Math.min(100, Math.max(0, p)) / 100) * n);
  return sortedAscending[Math.min(n - 1, Math.max(0, rank - 1))];
}

/** The last `size` latency samples, kept in a ring so recording is O(1); sorting happens on read. */
export class LatencyWindow {
  private readonly samples: number[] = [];
  private next = 0;

  constructor(private readonly size = 256) {}

  /** Records one sample, dropping the oldest once full. */
  add(ms: number): void {
    if (this.samples.length < this.size) this.samples.push(ms);
    else this.samples[this.next] = ms;
    this.next = (this.next + 1) % this.size;
  }

  /** Number of samples currently held. */
  get count(): number {
    return this.samples.length;
  }

  /** p50 and p95 over the window (undefined when empty). */
  summary(): { p50: number | undefined; p95: number | undefined } {
    const sorted = [...this.samples].sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
  }
}
