/** Events per second over a sliding window made of fixed buckets (cheap to record, cheap to read). */
export class RateMeter {
  private readonly counts: number[];
  private readonly bucketMs: number;
  private headBucket = -1;

  constructor(
    private readonly windowMs = 10_000,
    buckets = 10,
  ) {
    this.counts = new Array<number>(buckets).fill(0);
    this.bucketMs = windowMs / buckets;
  }

  /** Counts one event at `now`. */
  mark(now: number): void {
    this.advance(now);
    const i = this.headBucket % this.counts.length;
    this.counts[i] = (this.counts[i] ?? 0) + 1;
  }

  /** Average rate over the window ending at `now`. */
  perSecond(now: number): number {
    this.advance(now);
    let total = 0;
    for (const c of this.counts) total += c;
    return total / (this.windowMs / 1000);
  }

  // Zero the buckets that slid out of the window since the last call.
  private advance(now: number): void {
    const bucket = Math.floor(now / this.bucketMs);
    if (this.headBucket < 0) {
      this.headBucket = bucket;
      return;
    }
    const gap = bucket - this.headBucket;
    if (gap <= 0) return;
    const n = this.counts.length;
    for (let k = 1; k <= Math.min(gap, n); k++) this.counts[(this.headBucket + k) % n] = 0;
    this.headBucket = bucket;
  }
}
