import { backoffDelay } from '@vigie/client';
import { spawn, type ChildProcess } from 'node:child_process';
import { VigieError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { providerError } from '../remediation/providers/errors.js';

export interface LocalWorkerSpec {
  id: string;
  name: string;
  region: string;
  /** Loopback address it listens on and fetches from (`--host`, SOURCE_ADDRESS): its "region". */
  host: string;
  port: number;
  /** argv after `node`: the vigie bin and its flags, without `--host` (added from `host`). */
  args: string[];
  env: NodeJS.ProcessEnv;
}

const RESTART_BACKOFF = { baseMs: 1000, maxMs: 30_000 } as const;

/**
 * One local worker process, kept alive: when it dies it is started again after a backoff
 * (up to 1 s, doubling to 30 s, jittered; reset once it has stayed up a minute), until `stop()`.
 */
export class LocalWorker {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Restarts since the worker last stayed up a minute: the backoff's exponent. */
  private failures = 0;
  private startedAt = 0;
  /** How many times it was restarted after dying. */
  restarts = 0;

  /** Set while `restart`/`relocate` replace the process: its exit is not a crash. */
  private replacing = false;
  private current: LocalWorkerSpec;

  constructor(
    spec: LocalWorkerSpec,
    private readonly logger: Logger,
  ) {
    this.current = { ...spec };
  }

  /** What it runs as now (the host changes with `relocate`). */
  get spec(): Readonly<LocalWorkerSpec> {
    return this.current;
  }

  /** Base URL the coordinator calls it on. */
  get url(): string {
    return `http://${this.current.host}:${this.current.port}`;
  }

  /** The process id of the running child, if any. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process. */
  start(): void {
    this.startedAt = Date.now();
    const { host } = this.current;
    // The source sees the worker's own address: listen on it and fetch from it. The IPC channel
    // is the child's lifeline: it closes when this process dies, however it dies, and a worker
    // started with --exit-with-parent then stops instead of living on as an orphan.
    const child = spawn(process.execPath, [...this.current.args, '--host', host, '--exit-with-parent'], {
      env: { ...this.current.env, SOURCE_ADDRESS: host },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    this.logger.info({ worker: this.spec.id, pid: child.pid, host }, `local worker ${this.spec.name} started on ${host} (pid ${child.pid})`);
    child.once('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      if (this.stopping || this.replacing) return;
      if (Date.now() - this.startedAt > 60_000) this.failures = 0;
      // The project's one backoff: 1 s doubling to 30 s, jittered so that workers that died
      // together (a shared cause) do not all come back at the same instant.
      const delayMs = backoffDelay(this.failures++, RESTART_BACKOFF, Math.random);
      this.logger.warn({ worker: this.spec.id, code, signal, restartInMs: delayMs }, `local worker ${this.spec.name} exited (${signal ?? code}); restarting in ${(delayMs / 1000).toFixed(1)}s`);
      this.restartTimer = setTimeout(() => {
        if (this.stopping) return;
        this.restarts++;
        this.start();
      }, delayMs);
    });
  }

  /**
   * From now on the process is not restarted when it exits. Called first thing on Ctrl-C: the
   * terminal sends SIGINT to the children too, and they must not come back while the
   * coordinator is still closing.
   */
  hold(): void {
    this.stopping = true;
    clearTimeout(this.restartTimer);
  }

  /** Stops the process (SIGTERM, then SIGKILL after `graceMs`) and never restarts it. */
  async stop(graceMs = 10_000): Promise<void> {
    this.hold();
    await this.kill(graceMs);
  }

  /** Stops the process and starts it again on the same address (a failover "restart"). */
  async restart(graceMs = 10_000): Promise<void> {
    await this.relocate(this.current.host, graceMs);
  }

  /** Stops the process and starts it again listening on, and fetching from, `host`. */
  async relocate(host: string, graceMs = 10_000): Promise<void> {
    if (this.stopping) throw new VigieError('SHUTTING_DOWN', `Local worker ${this.spec.id} is stopping with \`vigie up\`; it is not restarted.`);
    if (this.replacing) throw providerError('PROVIDER_BUSY', `Local worker ${this.spec.id} is already being restarted; try again when that is done.`);
    this.replacing = true;
    try {
      clearTimeout(this.restartTimer);
      await this.kill(graceMs);
      this.current = { ...this.current, host };
      this.failures = 0;
    } finally {
      this.replacing = false;
    }
    if (!this.stopping) this.start();
  }

  private async kill(graceMs: number): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

/** Resolves true once `url`/api/health answers 2xx, false after `timeoutMs` or on abort. */
export async function waitForHealth(url: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !signal?.aborted) {
    try {
      const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return false;
}
