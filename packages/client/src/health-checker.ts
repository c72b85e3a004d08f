import type { Clock, TimerHandle } from './clock.js';
import type { AttemptErrorCode } from './errors.js';
import type { NodePool, NodeState } from './node-pool.js';

/** Outcome of probing one node. */
export interface ProbeResult {
  readonly healthy: boolean;
  /** Why the probe failed without an answer. */
  readonly code?: AttemptErrorCode | undefined;
  readonly durationMs: number;
  readonly status?: number | undefined;
  readonly error?: unknown;
}

/** Probes one node (GET healthPath with a timeout); must not reject. */
export type Probe = (node: NodeState, signal: AbortSignal) => Promise<ProbeResult>;

/**
 * Re-probes failed nodes every `intervalMs` and re-enables those that answer. The timer runs only
 * while some node is failed (a healthy client holds no timer at all) and never keeps a Node
 * process alive; rounds never overlap since the next one is scheduled after the previous ends.
 */
export class HealthChecker {
  private timer: TimerHandle | undefined;
  private running = false;
  private stopped = false;
  private readonly controllers = new Set<AbortController>();

  constructor(
    private readonly pool: NodePool,
    private readonly probe: Probe,
    private readonly clock: Clock,
    private readonly intervalMs: number,
  ) {}

  /** Arms the timer if some node is failed and none is armed (called after each node failure). */
  schedule(): void {
    if (this.stopped || this.intervalMs <= 0 || this.timer !== undefined || this.running) return;
    if (!this.pool.hasFailed()) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.round();
    }, this.intervalMs, true);
  }

  /** True while a timer is armed (for tests and `close`). */
  get armed(): boolean {
    return this.timer !== undefined;
  }

  /** One round: probe the failed nodes whose Retry-After has passed, re-enable the healthy ones. */
  async round(): Promise<void> {
    if (this.stopped) return;
    this.running = true;
    try {
      const now = this.clock.now();
      const due = this.pool.nodes.filter(
        (n) => n.status === 'failed' && (n.downUntil === undefined || n.downUntil <= now),
      );
      await Promise.all(due.map((node) => this.check(node, false)));
    } finally {
      this.running = false;
    }
    this.schedule();
  }

  /** Probes every node now; healthy ones that fail the probe are marked failed too. */
  async checkAll(): Promise<void> {
    await Promise.all(this.pool.nodes.map((node) => this.check(node, true)));
    this.schedule();
  }

  /** Stops the timer and aborts probes under way. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    for (const c of this.controllers) c.abort();
    this.controllers.clear();
  }

  private async check(node: NodeState, markDown: boolean): Promise<void> {
    if (this.stopped) return;
    const controller = new AbortController();
    this.controllers.add(controller);
    const generation = node.generation;
    let result: ProbeResult;
    try {
      result = await this.probe(node, controller.signal);
    } finally {
      this.controllers.delete(controller);
    }
    if (this.stopped) return;
    node.lastCheckedAt = this.clock.now();
    if (result.healthy) {
      node.responseTime = result.durationMs;
      this.pool.markUp(node, 'health-check', generation);
    } else if (markDown) {
      this.pool.markFailed(
        node,
        { code: result.code ?? (result.status === undefined ? 'NETWORK_ERROR' : 'HTTP_STATUS'), status: result.status, error: result.error },
        undefined,
        generation,
      );
    }
  }
}
