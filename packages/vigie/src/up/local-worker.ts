import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../observability/logger.js';

export interface LocalWorkerSpec {
  id: string;
  name: string;
  region: string;
  host: string;
  port: number;
  /** argv after `node`: the vigie bin and its flags. */
  args: string[];
  env: NodeJS.ProcessEnv;
}

/**
 * One local worker process, kept alive: when it dies it is started again after a backoff
 * (1 s, doubling to 30 s; reset once it has stayed up a minute), until `stop()`.
 */
export class LocalWorker {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private backoffMs = 1000;
  private startedAt = 0;
  /** How many times it was restarted after dying. */
  restarts = 0;

  constructor(
    readonly spec: LocalWorkerSpec,
    private readonly logger: Logger,
  ) {}

  /** The process id of the running child, if any. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process. */
  start(): void {
    this.startedAt = Date.now();
    // The IPC channel is the child's lifeline: it closes when this process dies, however it dies,
    // and a worker started with --exit-with-parent then stops instead of living on as an orphan.
    const child = spawn(process.execPath, this.spec.args, { env: this.spec.env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child = child;
    this.logger.info({ worker: this.spec.id, pid: child.pid }, `local worker ${this.spec.name} started (pid ${child.pid})`);
    child.once('exit', (code, signal) => {
      this.child = undefined;
      if (this.stopping) return;
      if (Date.now() - this.startedAt > 60_000) this.backoffMs = 1000;
      this.logger.warn({ worker: this.spec.id, code, signal, restartInMs: this.backoffMs }, `local worker ${this.spec.name} exited (${signal ?? code}); restarting in ${this.backoffMs / 1000}s`);
      this.restartTimer = setTimeout(() => {
        if (this.stopping) return;
        this.restarts++;
        this.start();
      }, this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, 30_000);
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
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
