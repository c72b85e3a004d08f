/**
 * The latencies of a worker's last commands, for the p50/p95 that stats and the dashboard show.
 * A fixed ring (no allocation per command): 64 doubles a worker, 2.5 MB for 5000 workers.
 */
export class LatencyWindow {
  private readonly samples: Float64Array;
  private next = 0;
  private size = 0;

  constructor(capacity = 64) {
    this.samples = new Float64Array(capacity);
  }

  /** Records one command's latency, in ms; the oldest sample makes room. */
  add(ms: number): void {
    this.samples[this.next] = ms;
    this.next = (this.next + 1) % this.samples.length;
    if (this.size < this.samples.length) this.size++;
  }

  /** The `p`-th percentile (0–100, nearest rank) of the window, or null before the first sample. */
  percentile(p: number): number | null {
    if (this.size === 0) return null;
    const sorted = this.samples.slice(0, this.size).sort();
    const rank = Math.min(this.size, Math.max(1, Math.ceil((p / 100) * this.size)));
    return sorted[rank - 1]!;
  }
}
