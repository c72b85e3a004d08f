import { providerError } from './errors.js';
import type { MachineProvider, ProviderTarget, StepContext, StepResult } from './types.js';

/**
 * What the `local` provider drives: the worker processes of `vigie up` (implemented in
 * `up/supervisor.ts` over its LocalWorkers). Each call resolves once the worker answers its
 * health check again, with the URL it now answers on.
 */
export interface LocalWorkerSupervisor {
  /** The loopback address the worker listens on, or undefined when it is not one of ours. */
  hostOf(workerId: string): string | undefined;
  /** Every address a supervised worker listens on now. */
  hostsInUse(): ReadonlySet<string>;
  /** Restarts the worker's process on the same address. */
  restart(workerId: string, signal: AbortSignal): Promise<{ url: string }>;
  /** Restarts the worker's process on `host` (it then listens on and fetches from it). */
  relocate(workerId: string, host: string, signal: AbortSignal): Promise<{ url: string }>;
}

export interface LocalProviderOptions {
  readonly supervisor: LocalWorkerSupervisor;
  /** Addresses a region move picks from, in order. Default 127.0.0.2 … 127.0.0.254. */
  readonly regionPool?: readonly string[];
  /** Addresses an app switch picks from, in order. Default 127.0.1.2 … 127.0.1.254. */
  readonly appPool?: readonly string[];
}

/** `127.0.<third>.2` … `127.0.<third>.254`. */
export function loopbackPool(third: number): string[] {
  return Array.from({ length: 253 }, (_, i) => `127.0.${third}.${i + 2}`);
}

/**
 * `MACHINE_PROVIDER=local`, the default under `vigie up`: on one host a worker's "region" is
 * its loopback address (the demo marketplace, like a real source, blocks by address). Restart =
 * the same process again, same address; region move = the process on the next free address of
 * the region pool; app switch = the next free address of a second pool. An address a worker
 * left (blocked) is not handed out again by this provider.
 */
export class LocalProvider implements MachineProvider {
  readonly kind = 'local' as const;
  private readonly regionPool: readonly string[];
  private readonly appPool: readonly string[];
  /** Addresses workers were moved away from: presumably blocked, not reused. */
  private readonly left = new Set<string>();

  constructor(private readonly opts: LocalProviderOptions) {
    this.regionPool = opts.regionPool ?? loopbackPool(0);
    this.appPool = opts.appPool ?? loopbackPool(1);
  }

  /** The worker's process restarted on its address. */
  async restart(target: ProviderTarget, ctx: StepContext): Promise<StepResult> {
    const host = this.hostOf(target);
    const { url } = await this.opts.supervisor.restart(target.workerId, ctx.signal);
    ctx.logger.info({ provider: 'local', workerId: target.workerId, host }, 'local worker restarted');
    return { ...same(target), url, changed: true, detail: `process restarted on ${host}` };
  }

  /** The worker's process on the next free address of the region pool, labelled with the first region not its own. */
  async moveRegion(target: ProviderTarget, regions: readonly string[], ctx: StepContext): Promise<StepResult> {
    const region = regions.find((r) => r !== target.region);
    if (!region) throw providerError('PROVIDER_EXHAUSTED', `No region to move worker ${target.workerId} to: FAILOVER_REGIONS gives none other than ${target.region ?? 'its own'}.`);
    const { from, to, url } = await this.move(target, this.regionPool, 'region', ctx);
    return { ...same(target), url, region, changed: true, detail: `moved from ${from} to ${to} (region ${region})` };
  }

  /** The worker's process on the next free address of the app pool. */
  async switchApp(target: ProviderTarget, app: string, ctx: StepContext): Promise<StepResult> {
    const { from, to, url } = await this.move(target, this.appPool, 'app', ctx);
    return { ...same(target), url, app, changed: true, detail: `switched to app ${app}: moved from ${from} to ${to}` };
  }

  async close(): Promise<void> {}

  private hostOf(target: ProviderTarget): string {
    const host = this.opts.supervisor.hostOf(target.workerId);
    if (!host) throw providerError('PROVIDER_UNKNOWN_WORKER', `Worker ${target.workerId} is not a local worker of \`vigie up\`: the local provider only heals those (use MACHINE_PROVIDER=fly or dry-run).`);
    return host;
  }

  private async move(target: ProviderTarget, pool: readonly string[], what: string, ctx: StepContext): Promise<{ from: string; to: string; url: string }> {
    const from = this.hostOf(target);
    const to = nextFreeAddress(pool, from, this.opts.supervisor.hostsInUse(), this.left);
    if (!to) throw providerError('PROVIDER_EXHAUSTED', `No free loopback address left in the ${what} pool for worker ${target.workerId}.`);
    const { url } = await this.opts.supervisor.relocate(target.workerId, to, ctx.signal);
    this.left.add(from);
    ctx.logger.info({ provider: 'local', workerId: target.workerId, from, to }, `local worker moved to ${to}`);
    return { from, to, url };
  }
}

/** The first address of `pool` that is not `current`, not in use and not one a worker left (presumably blocked). */
export function nextFreeAddress(pool: readonly string[], current: string, inUse: ReadonlySet<string>, left: ReadonlySet<string>): string | undefined {
  return pool.find((h) => h !== current && !inUse.has(h) && !left.has(h));
}

/** The target's fields a step leaves as they are. */
function same(target: ProviderTarget): Omit<StepResult, 'changed' | 'detail'> {
  return { url: target.url, region: target.region, name: target.name, app: target.flyApp, machineId: target.machineId };
}
