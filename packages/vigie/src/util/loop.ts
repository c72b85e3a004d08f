import type { Logger } from '../observability/logger.js';

export interface LoopOptions {
  name: string;
  initialDelayMs: number;
  intervalMs: number;
  run: () => Promise<void>;
  logger: Logger;
}

/**
 * A periodic job that never overlaps itself: when a tick comes while the previous run is still
 * going, the tick is skipped and the skip is logged (the seed's cycles could pile up behind a
 * slow one). `stop()` cancels the timer and waits for a run in progress.
 */
export class Loop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(private readonly opts: LoopOptions) {}

  /** Starts ticking: first after `initialDelayMs`, then every `intervalMs`. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(this.opts.initialDelayMs);
  }

  /** Stops the timer and waits for a run in progress to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      if (this.running) {
        this.opts.logger.warn({ loop: this.opts.name }, `${this.opts.name}: previous run still in progress, this tick is skipped`);
      } else {
        void this.execute();
      }
      this.schedule(this.opts.intervalMs);
    }, ms);
    this.timer.unref?.();
  }

  private async execute(): Promise<void> {
    const run = (async () => {
      try {
        await this.opts.run();
      } catch (err) {
        this.opts.logger.error({ err, loop: this.opts.name }, `${this.opts.name} failed`);
      }
    })();
    this.running = run;
    try {
      await run;
    } finally {
      this.running = undefined;
    }
  }
}
