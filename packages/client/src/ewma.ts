/**
 * Peak-sensitive exponentially weighted moving average of latency (as in Finagle/Linkerd):
 * a sample above the average replaces it at once (a node that slows down is avoided at once);
 * lower samples pull it down with a time-based decay, so the estimate does not depend on the
 * request rate. Read through `valueAt`, the estimate also decays towards 0 while a node gets no
 * traffic, so that an avoided node is eventually tried again.
 */
export class PeakEwma {
  private cost = 0;
  private stamp = 0;
  private seen = false;

  /** `decayMs` is the time constant: after it, an old value weighs e⁻¹. */
  constructor(private readonly decayMs: number) {}

  /** Records one latency sample taken at `now`. */
  observe(sampleMs: number, now: number): void {
    if (!this.seen) {
      this.cost = sampleMs;
      this.seen = true;
    } else if (sampleMs > this.cost) {
      this.cost = sampleMs;
    } else {
      const w = Math.exp(-Math.max(0, now - this.stamp) / this.decayMs);
      this.cost = this.cost * w + sampleMs * (1 - w);
    }
    this.stamp = now;
  }

  /** Estimate as of the last sample (what dashboards show); undefined before any sample. */
  get last(): number | undefined {
    return this.seen ? this.cost : undefined;
  }

  /** Estimate decayed to `now` (what load balancing uses); 0 before any sample. */
  valueAt(now: number): number {
    if (!this.seen) return 0;
    return this.cost * Math.exp(-Math.max(0, now - this.stamp) / this.decayMs);
  }
}
