import { VigieError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { RunTrigger } from '../store/index.js';
import { Loop } from '../util/loop.js';
import type { CycleRunner, CycleSummary } from './cycle-runner.js';

export interface CycleSchedulerOptions {
  runner: CycleRunner;
  initialDelayMs: number;
  intervalMs: number;
  logger: Logger;
  onCycle?: (summary: CycleSummary) => void;
}

/**
 * Runs alert cycles on a schedule (first after the initial delay, then every interval) and on
 * demand, never two at once: a tick during a cycle is skipped with a log line, a manual run
 * during a cycle is refused with CYCLE_IN_PROGRESS.
 */
export class CycleScheduler {
  private readonly loop: Loop;
  private current: Promise<CycleSummary> | undefined;

  constructor(private readonly opts: CycleSchedulerOptions) {
    this.loop = new Loop({
      name: 'alert cycle',
      initialDelayMs: opts.initialDelayMs,
      intervalMs: opts.intervalMs,
      logger: opts.logger,
      run: async () => {
        if (this.current) {
          opts.logger.warn('alert cycle: a manual cycle is running, this tick is skipped');
          return;
        }
        await this.execute('schedule');
      },
    });
  }

  /** Starts the schedule. */
  start(): void {
    this.loop.start();
  }

  /** Stops the schedule and waits for a cycle in progress. */
  async stop(): Promise<void> {
    await this.loop.stop();
    await this.current?.catch(() => undefined);
  }

  /** True while a cycle runs. */
  isRunning(): boolean {
    return this.current !== undefined;
  }

  /** Runs a cycle now; refused while one runs. */
  async runOnce(trigger: RunTrigger = 'manual'): Promise<CycleSummary> {
    if (this.current) {
      throw new VigieError('CYCLE_IN_PROGRESS', 'A cycle is running now; wait for it to end (GET /api/v1/alerts/runs) and try again.', 409);
    }
    return this.execute(trigger);
  }

  private async execute(trigger: RunTrigger): Promise<CycleSummary> {
    const p = this.opts.runner.run(trigger);
    this.current = p;
    try {
      const summary = await p;
      this.opts.onCycle?.(summary);
      return summary;
    } finally {
      this.current = undefined;
    }
  }
}
