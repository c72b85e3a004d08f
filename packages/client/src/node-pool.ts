import type { Clock } from './clock.js';
import type { AttemptErrorCode } from './errors.js';
import { VigieClientError } from './errors.js';
import { NodeMetrics, type NodeMetricsSnapshot } from './metrics.js';
import type { Strategy, StrategyName } from './strategies/index.js';
import { normalizeNodeUrl } from './urls.js';

/** Health of one node as the client sees it. */
export type NodeStatus = 'healthy' | 'failed';

/** Why a node went down. */
export interface NodeFailure {
  readonly code: AttemptErrorCode;
  readonly status?: number | undefined;
  readonly error?: unknown;
}

/** Why a node came back. */
export type NodeUpReason = 'health-check' | 'success' | 'reset' | 'switch';

/** One node in `getNodesHealthStatus()`. */
export interface NodeHealth {
  readonly index: number;
  readonly url: string;
  readonly status: NodeStatus;
  /** Whether this is the current node. */
  readonly current: boolean;
  /** Last measured time to response headers (request or probe), ms; null before any. */
  readonly responseTime: number | null;
  /** When the node was marked failed (epoch ms), null when healthy. */
  readonly failedAt: number | null;
  /** Until when a `Retry-After` keeps the node out (epoch ms), null otherwise. */
  readonly downUntil: number | null;
  /** Last failure, e.g. "TIMEOUT" or "HTTP_STATUS 503"; null when none yet. */
  readonly lastError: string | null;
  /** Last health probe (epoch ms), null before any. */
  readonly lastCheckedAt: number | null;
  readonly metrics: NodeMetricsSnapshot;
}

/** Result of `getNodesHealthStatus()`. */
export interface NodesHealthStatus {
  /** Index of the current node (-1 when there is no node). */
  readonly currentNode: number;
  readonly currentUrl: string | null;
  readonly strategy: StrategyName;
  readonly healthyCount: number;
  readonly nodes: readonly NodeHealth[];
}

/** Mutable state of one node. Identity is stable across `removeNode` (indices are not). */
export class NodeState {
  status: NodeStatus = 'healthy';
  failedAt: number | undefined;
  downUntil: number | undefined;
  lastError: string | undefined;
  responseTime: number | undefined;
  lastCheckedAt: number | undefined;
  removed = false;
  /**
   * Bumped at every status change. An attempt remembers the generation it started in, and its
   * outcome may change the status only if no change happened since: a slow success that started
   * before a node died must not revive it, a late timeout must not kill a revived node.
   */
  generation = 0;
  readonly metrics: NodeMetrics;

  constructor(
    readonly url: string,
    ewmaDecayMs: number,
  ) {
    this.metrics = new NodeMetrics(ewmaDecayMs);
  }

  /** Attempts under way (for strategies). */
  get inflight(): number {
    return this.metrics.inflight;
  }

  /** Decayed latency estimate (for strategies). */
  latencyAt(now: number): number {
    return this.metrics.ewma.valueAt(now);
  }
}

/** Callbacks fired on status transitions (never on repeated marks). */
export interface PoolListener {
  nodeDown(node: NodeState, index: number, failure: NodeFailure): void;
  nodeUp(node: NodeState, index: number, reason: NodeUpReason): void;
}

/** Options of the pool. */
export interface NodePoolOptions {
  readonly strategy: Strategy;
  readonly clock: Clock;
  readonly random: () => number;
  /** With the failover strategy, go back to the first healthy node in order when a node comes back. */
  readonly failback: boolean;
  readonly ewmaDecayMs: number;
  readonly listener: PoolListener;
}

const NO_EXCLUSION: readonly NodeState[] = [];

/**
 * The node list and its health: which node is current, which are failed, and which node the next
 * attempt goes to. No I/O; the request, stream and health-check code report outcomes here.
 */
export class NodePool {
  private list: NodeState[] = [];
  private currentNode: NodeState | undefined;
  // Set by switchTo: the operator chose the current node, so failback must not move it.
  private pinned = false;

  constructor(
    urls: readonly string[],
    private readonly options: NodePoolOptions,
  ) {
    for (const url of urls) this.add(url);
  }

  /** The nodes in order (primary first). */
  get nodes(): readonly NodeState[] {
    return this.list;
  }

  /** The current node, if any. */
  get current(): NodeState | undefined {
    return this.currentNode;
  }

  /** Index of a node, -1 once removed. */
  indexOf(node: NodeState): number {
    return this.list.indexOf(node);
  }

  /** True when at least one node is failed. */
  hasFailed(): boolean {
    return this.list.some((n) => n.status === 'failed');
  }

  /**
   * Node for the next attempt: the strategy's pick among healthy nodes not in `exclude`; when
   * none is healthy, the failed node that failed longest ago (and whose Retry-After has passed),
   * so that a blip that failed every node does not lock the client out until the next probe.
   * `healthyOnly` disables that fallback (hedges go to healthy nodes only).
   */
  select(exclude: readonly NodeState[] = NO_EXCLUSION, healthyOnly = false): NodeState | undefined {
    const list = this.list;
    if (list.length === 0) return undefined;
    const cur = this.currentNode;
    // Fast path for the common case: failover strategy, current node healthy.
    if (this.options.strategy.name === 'failover' && cur !== undefined && cur.status === 'healthy' && !exclude.includes(cur)) {
      return cur;
    }
    const now = this.options.clock.now();
    const i = this.options.strategy.pick({
      nodes: list,
      eligible: (k) => {
        const n = list[k];
        return n !== undefined && n.status === 'healthy' && !exclude.includes(n);
      },
      current: cur === undefined ? 0 : Math.max(0, list.indexOf(cur)),
      now,
      random: this.options.random,
    });
    const picked = i >= 0 ? list[i] : undefined;
    if (picked !== undefined || healthyOnly) return picked;
    let best: NodeState | undefined;
    for (const n of list) {
      if (exclude.includes(n) || (n.downUntil !== undefined && n.downUntil > now)) continue;
      if (best === undefined || (n.failedAt ?? 0) < (best.failedAt ?? 0)) best = n;
    }
    return best;
  }

  /**
   * Marks a node failed after an attempt that started in `generation` (omit to force). Returns
   * true on a transition. When the current node fails, the next healthy one becomes current.
   */
  markFailed(node: NodeState, failure: NodeFailure, downForMs?: number, generation?: number): boolean {
    if (node.removed) return false;
    const now = this.options.clock.now();
    node.lastError = failure.status === undefined ? failure.code : `${failure.code} ${failure.status}`;
    if (downForMs !== undefined) node.downUntil = Math.max(node.downUntil ?? 0, now + downForMs);
    if (node.status === 'failed') return false;
    if (generation !== undefined && generation !== node.generation) return false;
    node.status = 'failed';
    node.failedAt = now;
    node.generation++;
    if (this.currentNode === node) {
      this.pinned = false;
      const list = this.list;
      const start = list.indexOf(node);
      for (let k = 1; k < list.length; k++) {
        const next = list[(start + k) % list.length];
        if (next !== undefined && next.status === 'healthy') {
          this.currentNode = next;
          break;
        }
      }
    }
    this.options.listener.nodeDown(node, this.list.indexOf(node), failure);
    return true;
  }

  /** Marks a node healthy (see `markFailed` for `generation`). Returns true on a transition. */
  markUp(node: NodeState, reason: NodeUpReason, generation?: number): boolean {
    if (node.removed || node.status === 'healthy') return false;
    if (generation !== undefined && generation !== node.generation) return false;
    node.status = 'healthy';
    node.failedAt = undefined;
    node.downUntil = undefined;
    node.generation++;
    const cur = this.currentNode;
    if (cur === undefined || cur.status === 'failed') {
      this.currentNode = node;
    } else if (this.options.failback && this.options.strategy.name === 'failover' && !this.pinned) {
      // Primary first: traffic returns to the first healthy node in order.
      this.currentNode = this.list.find((n) => n.status === 'healthy') ?? node;
    }
    this.options.listener.nodeUp(node, this.list.indexOf(node), reason);
    return true;
  }

  /** Records that a request was answered by `node` (informational "current" for balancing strategies). */
  noteSuccess(node: NodeState): void {
    if (this.options.strategy.name !== 'failover' && !node.removed) this.currentNode = node;
  }

  /** Makes node `index` current and healthy (an operator's override); false when out of range. */
  switchTo(index: number): boolean {
    if (!Number.isInteger(index)) return false;
    const node = this.list[index];
    if (node === undefined) return false;
    this.currentNode = node;
    this.pinned = true;
    if (node.status === 'failed') this.markUp(node, 'switch');
    return true;
  }

  /** Marks every failed node healthy again; returns how many were failed. */
  resetFailed(): number {
    this.pinned = false;
    let count = 0;
    for (const node of this.list) {
      node.downUntil = undefined;
      if (this.markUp(node, 'reset')) count++;
    }
    return count;
  }

  /** Appends a node; returns its index (the existing index when the URL is already there). */
  add(url: string): number {
    const normalized = normalizeNodeUrl(url);
    const existing = this.list.findIndex((n) => n.url === normalized);
    if (existing >= 0) return existing;
    const node = new NodeState(normalized, this.options.ewmaDecayMs);
    this.list.push(node);
    if (this.currentNode === undefined || this.currentNode.status === 'failed') this.currentNode = node;
    return this.list.length - 1;
  }

  /** Removes a node by URL; attempts under way finish. Returns false when it was not there. */
  remove(url: string): boolean {
    let normalized: string;
    try {
      normalized = normalizeNodeUrl(url);
    } catch (e) {
      if (e instanceof VigieClientError) return false;
      throw e;
    }
    const index = this.list.findIndex((n) => n.url === normalized);
    if (index < 0) return false;
    const [node] = this.list.splice(index, 1);
    if (node === undefined) return false;
    node.removed = true;
    if (this.currentNode === node) {
      const n = this.list.length;
      let next: NodeState | undefined;
      for (let k = 0; k < n; k++) {
        const candidate = this.list[(index + k) % n];
        if (candidate !== undefined && candidate.status === 'healthy') {
          next = candidate;
          break;
        }
      }
      this.currentNode = next ?? this.list[0];
    }
    return true;
  }

  /** Snapshot for `getNodesHealthStatus()`; times are epoch ms. */
  snapshot(): NodesHealthStatus {
    const now = this.options.clock.now();
    const current = this.currentNode;
    const nodes = this.list.map(
      (n, index): NodeHealth => ({
        index,
        url: n.url,
        status: n.status,
        current: n === current,
        responseTime: n.responseTime === undefined ? null : Math.round(n.responseTime * 100) / 100,
        failedAt: n.failedAt === undefined ? null : Math.round(n.failedAt),
        downUntil: n.downUntil === undefined || n.downUntil <= now ? null : Math.round(n.downUntil),
        lastError: n.lastError ?? null,
        lastCheckedAt: n.lastCheckedAt === undefined ? null : Math.round(n.lastCheckedAt),
        metrics: n.metrics.snapshot(now),
      }),
    );
    const currentIndex = current === undefined ? -1 : this.list.indexOf(current);
    return {
      currentNode: currentIndex,
      currentUrl: current?.url ?? null,
      strategy: this.options.strategy.name,
      healthyCount: this.list.filter((n) => n.status === 'healthy').length,
      nodes,
    };
  }
}
