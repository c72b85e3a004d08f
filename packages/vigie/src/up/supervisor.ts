import { providerError } from '../remediation/providers/errors.js';
import type { LocalWorkerSupervisor } from '../remediation/providers/local.js';
import { waitForHealth, type LocalWorker } from './local-worker.js';

export interface LocalFleetSupervisorOptions {
  /** SIGTERM → SIGKILL grace when a worker is restarted, ms. */
  readonly graceMs: number;
  /** How long a restarted worker may take to answer its health check, ms. */
  readonly readyTimeoutMs: number;
}

/**
 * The `LocalWorkerSupervisor` of `vigie up`: restarts and relocates its LocalWorkers, one step
 * per worker at a time, and answers once the worker is healthy again.
 */
export class LocalFleetSupervisor implements LocalWorkerSupervisor {
  private readonly byId: Map<string, LocalWorker>;
  private readonly busy = new Set<string>();

  constructor(
    workers: readonly LocalWorker[],
    private readonly opts: LocalFleetSupervisorOptions,
  ) {
    this.byId = new Map(workers.map((w) => [w.spec.id, w]));
  }

  /** The worker's address, if it is ours. */
  hostOf(workerId: string): string | undefined {
    return this.byId.get(workerId)?.spec.host;
  }

  /** Addresses our workers listen on. */
  hostsInUse(): ReadonlySet<string> {
    return new Set([...this.byId.values()].map((w) => w.spec.host));
  }

  /** Restarts the worker's process on its address and waits for its health. */
  async restart(workerId: string, signal: AbortSignal): Promise<{ url: string }> {
    return this.step(workerId, signal, (w) => w.restart(this.opts.graceMs));
  }

  /** Restarts the worker's process on `host` and waits for its health. */
  async relocate(workerId: string, host: string, signal: AbortSignal): Promise<{ url: string }> {
    return this.step(workerId, signal, (w) => w.relocate(host, this.opts.graceMs));
  }

  private async step(workerId: string, signal: AbortSignal, act: (w: LocalWorker) => Promise<void>): Promise<{ url: string }> {
    signal.throwIfAborted();
    const worker = this.byId.get(workerId);
    if (!worker) throw providerError('PROVIDER_UNKNOWN_WORKER', `No local worker "${workerId}" under this \`vigie up\`.`);
    if (this.busy.has(workerId)) throw providerError('PROVIDER_BUSY', `Local worker ${workerId} is already being restarted; try again when that step is done.`);
    this.busy.add(workerId);
    try {
      await act(worker);
      if (!(await waitForHealth(worker.url, this.opts.readyTimeoutMs, signal))) {
        signal.throwIfAborted();
        throw providerError('PROVIDER_NOT_READY', `Local worker ${workerId} did not answer ${worker.url}/api/health within ${this.opts.readyTimeoutMs} ms after its restart; see its log lines above.`);
      }
      return { url: worker.url };
    } finally {
      this.busy.delete(workerId);
    }
  }
}
