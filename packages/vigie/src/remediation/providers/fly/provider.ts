import { randomBytes } from 'node:crypto';
import { ConfigError } from '../../../errors.js';
import { providerError } from '../errors.js';
import type { MachineProvider, ProviderTarget, StepContext, StepResult } from '../types.js';
import type { FlyMachinesApi } from './api.js';
import { FlyApiError, isFlyError } from './errors.js';
import type { Machine, MachineConfig } from './shapes.js';

export interface FlyProviderOptions {
  readonly api: FlyMachinesApi;
  /** FLY_WORKER_URL_TEMPLATE: `{machineId}`, `{app}`, `{region}`, `{privateIp}`. */
  readonly urlTemplate: string;
  /** FLY_APP: the app of a worker whose entry names none. */
  readonly defaultApp?: string | undefined;
  /** Lease held on a machine during a step, seconds; longer than a step lasts. Default 300. */
  readonly leaseTtlS?: number;
  /** Bound of the wait for a machine to be `started`, seconds. Default 120. */
  readonly startTimeoutS?: number;
  /** Bound of the wait for the old machine to be `stopped`, seconds. Default 60. */
  readonly stopTimeoutS?: number;
}

const PLACEHOLDERS = ['machineId', 'app', 'region', 'privateIp'] as const;

/** Checks FLY_WORKER_URL_TEMPLATE: known placeholders only, an http(s) URL once filled. */
export function checkUrlTemplate(template: string): void {
  const unknown = [...template.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]!).filter((p) => !(PLACEHOLDERS as readonly string[]).includes(p));
  if (unknown.length > 0) {
    throw new ConfigError(`FLY_WORKER_URL_TEMPLATE uses unknown placeholder(s) ${unknown.map((p) => `{${p}}`).join(', ')}; allowed: ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}.`);
  }
  const sample = fill(template, { id: 'm1', region: 'cdg', private_ip: 'fdaa::2' } as Machine, 'app');
  if (!URL.canParse(sample) || !/^https?:$/.test(new URL(sample).protocol)) {
    throw new ConfigError(`FLY_WORKER_URL_TEMPLATE "${template}" does not give an http(s) URL (e.g. http://{machineId}.vm.{app}.internal:8081).`);
  }
}

/**
 * The `fly` provider: heals a worker through the Fly Machines API. Every step holds the lease
 * of the machine it changes, so that a deploy or another coordinator does not act on it at the
 * same time; a move creates the new machine and waits for it before destroying the old one, so
 * that a failed move never costs the fleet a worker.
 */
export class FlyProvider implements MachineProvider {
  readonly kind = 'fly' as const;
  private readonly leaseTtlS: number;
  private readonly startTimeoutS: number;
  private readonly stopTimeoutS: number;

  constructor(private readonly opts: FlyProviderOptions) {
    checkUrlTemplate(opts.urlTemplate);
    this.leaseTtlS = opts.leaseTtlS ?? 300;
    this.startTimeoutS = opts.startTimeoutS ?? 120;
    this.stopTimeoutS = opts.stopTimeoutS ?? 60;
  }

  /** Lease → restart → wait `started` → release. Same machine, region and address. */
  async restart(target: ProviderTarget, ctx: StepContext): Promise<StepResult> {
    const { app, machine } = await this.resolve(target, ctx);
    const { api } = this.opts;
    await api.withLease(
      app,
      machine.id,
      this.leaseTtlS,
      `vigie failover: restart ${target.workerId}`,
      async (nonce) => {
        await api.restartMachine(app, machine.id, { nonce, signal: ctx.signal });
        await api.waitForState(app, machine.id, 'started', this.startTimeoutS, { signal: ctx.signal });
      },
      { signal: ctx.signal },
    );
    ctx.logger.info({ provider: 'fly', app, machineId: machine.id, workerId: target.workerId }, 'Fly machine restarted');
    return this.result(target, app, machine, `machine ${machine.id} of ${app} restarted in ${machine.region}`);
  }

  /**
   * Lease the old machine, clone it (config and image) into the first region with capacity,
   * wait for the clone to be started, then stop and destroy the old one.
   */
  async moveRegion(target: ProviderTarget, regions: readonly string[], ctx: StepContext): Promise<StepResult> {
    const { app, machine: found } = await this.resolve(target, ctx);
    const candidates = regions.filter((r) => r !== found.region);
    if (candidates.length === 0) {
      throw providerError('PROVIDER_EXHAUSTED', `No region to move worker ${target.workerId} to: it is in ${found.region} and FAILOVER_REGIONS gives no other (${regions.join(', ') || 'none'}).`);
    }
    const { api } = this.opts;
    return api.withLease(
      app,
      found.id,
      this.leaseTtlS,
      `vigie failover: move ${target.workerId}`,
      async (nonce) => {
        // Read again under the lease: the config a clone copies is the one nobody is changing.
        const old = await api.getMachine(app, found.id, { signal: ctx.signal });
        const { machine: clone, full } = await this.createInFirstRegion(app, old, candidates, target, ctx);
        const leftover = await this.retire(app, old, nonce, ctx);
        const skipped = full.length > 0 ? ` (no capacity in ${full.join(', ')})` : '';
        return this.result(target, app, clone, `moved from machine ${old.id} in ${old.region} to machine ${clone.id} in ${clone.region}${skipped}${leftover}`);
      },
      { signal: ctx.signal },
    );
  }

  /**
   * Moves the worker to `app`: starts a stopped machine there, or creates one from the current
   * machine's config; then stops the old machine (kept, not destroyed: switching back is a start).
   */
  async switchApp(target: ProviderTarget, app: string, ctx: StepContext): Promise<StepResult> {
    const { api } = this.opts;
    const source = await this.resolve(target, ctx).catch((err: unknown) => {
      // A worker whose own machine is gone can still be given one in the fallback app.
      if (isFlyError(err, 'FLY_NOT_FOUND')) return undefined;
      throw err;
    });
    if (source && source.app === app) throw providerError('PROVIDER_EXHAUSTED', `Worker ${target.workerId} already runs in app ${app}: give another app in FAILOVER_APPS.`);
    const machines = await api.listMachines(app, { signal: ctx.signal });
    const stopped = machines.find((m) => m.state === 'stopped');
    let machine: Machine;
    let how: string;
    if (stopped) {
      await api.withLease(
        app,
        stopped.id,
        this.leaseTtlS,
        `vigie failover: switch ${target.workerId} to ${app}`,
        async (nonce) => {
          await api.startMachine(app, stopped.id, { nonce, signal: ctx.signal });
          await api.waitForState(app, stopped.id, 'started', this.startTimeoutS, { signal: ctx.signal });
        },
        { signal: ctx.signal },
      );
      machine = await api.getMachine(app, stopped.id, { signal: ctx.signal });
      how = `started stopped machine ${machine.id} of ${app} in ${machine.region}`;
    } else {
      if (!source) throw providerError('PROVIDER_TARGET_INVALID', `App ${app} has no stopped machine to start, and worker ${target.workerId} has no machine to copy the config from: create one in ${app} (\`fly machine clone\`) and stop it.`);
      const region = source.machine.region;
      const { machine: created } = await this.createInFirstRegion(app, source.machine, [region], target, ctx);
      machine = created;
      how = `created machine ${machine.id} in ${app} (${region}) from machine ${source.machine.id}'s config`;
    }
    let leftover = '';
    if (source && source.machine.state !== 'stopped') {
      leftover = await api
        .withLease(source.app, source.machine.id, this.leaseTtlS, `vigie failover: ${target.workerId} left for ${app}`, async (nonce) => {
          await api.stopMachine(source.app, source.machine.id, { nonce, signal: ctx.signal });
          return `; machine ${source.machine.id} of ${source.app} stopped (kept for a switch back)`;
        })
        .catch((err: unknown) => {
          ctx.logger.warn({ app: source.app, machineId: source.machine.id, err: (err as Error).message }, 'could not stop the old Fly machine after an app switch; it still runs (and costs)');
          return `; old machine ${source.machine.id} of ${source.app} could NOT be stopped: stop it by hand`;
        });
    }
    ctx.logger.info({ provider: 'fly', app, machineId: machine.id, workerId: target.workerId }, 'worker switched to another Fly app');
    return this.result(target, app, machine, `${how}${leftover}`);
  }

  async close(): Promise<void> {}

  /** The worker's app and machine: the given id, or the app's single machine. */
  private async resolve(target: ProviderTarget, ctx: StepContext): Promise<{ app: string; machine: Machine }> {
    const app = target.flyApp ?? this.opts.defaultApp;
    if (!app) {
      throw providerError('PROVIDER_TARGET_INVALID', `Worker ${target.workerId} has no Fly app: add "flyApp" (and "machineId") to its entry in the config file's workers, or set FLY_APP.`);
    }
    const { api } = this.opts;
    if (target.machineId) return { app, machine: await api.getMachine(app, target.machineId, { signal: ctx.signal }) };
    const machines = (await api.listMachines(app, { signal: ctx.signal })).filter((m) => m.state !== 'destroyed' && m.state !== 'destroying');
    if (machines.length === 1) return { app, machine: machines[0]! };
    if (machines.length === 0) {
      throw new FlyApiError('FLY_NOT_FOUND', `Fly app ${app} has no machine for worker ${target.workerId}: deploy one, or set "machineId" in the worker's entry.`);
    }
    throw new FlyApiError(
      'FLY_MACHINE_AMBIGUOUS',
      `Fly app ${app} has ${machines.length} machines (${machines.map((m) => m.id).join(', ')}): set "machineId" in worker ${target.workerId}'s entry so that the right one is healed.`,
    );
  }

  /**
   * Creates a copy of `source` in the first region with capacity, reports it (checkpoint) and
   * waits for it to be started. A copy that does not start, or whose checkpoint is refused, is
   * destroyed (no half-made machines left behind).
   */
  private async createInFirstRegion(app: string, source: Machine, regions: readonly string[], target: ProviderTarget, ctx: StepContext): Promise<{ machine: Machine; full: string[] }> {
    const { api } = this.opts;
    const config = cloneConfig(source);
    const full: string[] = [];
    for (const region of regions) {
      // A unique name: if a 5xx hid a create that did happen, the retry is refused as a
      // duplicate, and the machine is found by name instead of created twice.
      const name = machineName(target.workerId, region);
      let created: Machine;
      try {
        created = await api.createMachine(app, { region, name, config }, { signal: ctx.signal });
      } catch (err) {
        if (isFlyError(err, 'FLY_CAPACITY')) {
          ctx.logger.warn({ provider: 'fly', app, region, flyRequestId: err.details.requestId }, `no Fly capacity in ${region}; trying the next region`);
          full.push(region);
          continue;
        }
        const existing = isFlyError(err, 'FLY_API_ERROR') && err.details.status === 409 ? (await api.listMachines(app, { signal: ctx.signal })).find((m) => m.name === name) : undefined;
        if (!existing) throw err;
        created = existing;
      }
      try {
        await ctx.checkpoint?.({ phase: 'created', app, machineId: created.id, region });
        await api.waitForState(app, created.id, 'started', this.startTimeoutS, { signal: ctx.signal });
      } catch (err) {
        await api.destroyMachine(app, created.id, { force: true }).catch((e: unknown) =>
          ctx.logger.warn({ app, machineId: created.id, err: (e as Error).message }, 'could not destroy a machine that did not start; destroy it by hand'),
        );
        throw err;
      }
      return { machine: await api.getMachine(app, created.id, { signal: ctx.signal }), full };
    }
    throw providerError('PROVIDER_EXHAUSTED', `No Fly capacity for worker ${target.workerId} in any of ${regions.join(', ')}: add regions to FAILOVER_REGIONS or try later.`);
  }

  /** Stops then destroys the old machine after a move; a failure is reported, not thrown (the move is done). */
  private async retire(app: string, old: Machine, nonce: string, ctx: StepContext): Promise<string> {
    const { api } = this.opts;
    // Not caught below: a fenced step leaves the old machine alone (the new leader decides).
    await ctx.checkpoint?.({ phase: 'retiring', app, machineId: old.id, region: old.region });
    try {
      await api.stopMachine(app, old.id, { nonce, signal: ctx.signal });
      await api.waitForState(app, old.id, 'stopped', this.stopTimeoutS, { signal: ctx.signal });
      await api.destroyMachine(app, old.id, { nonce, signal: ctx.signal });
      return '; old machine destroyed';
    } catch (err) {
      ctx.logger.warn({ app, machineId: old.id, err: (err as Error).message }, 'moved, but the old Fly machine could not be destroyed; destroy it by hand');
      return `; old machine ${old.id} could NOT be destroyed: destroy it by hand (\`fly machine destroy ${old.id} -a ${app} --force\`)`;
    }
  }

  private result(target: ProviderTarget, app: string, machine: Machine, detail: string): StepResult {
    return { url: fill(this.opts.urlTemplate, machine, app), region: machine.region, name: target.name, app, machineId: machine.id, changed: true, detail };
  }
}

/** The config of a clone: the source's, with its image pinned (from `image_ref` when the config has none). */
function cloneConfig(source: Machine): MachineConfig {
  const config = structuredClone(source.config ?? {});
  if (!config.image) {
    const ref = source.image_ref;
    if (!ref?.repository) throw providerError('PROVIDER_TARGET_INVALID', `Fly machine ${source.id} shows no image to clone.`);
    config.image = `${ref.registry ? `${ref.registry}/` : ''}${ref.repository}${ref.digest ? `@${ref.digest}` : `:${ref.tag ?? 'latest'}`}`;
  }
  return config;
}

function machineName(workerId: string, region: string): string {
  const base = `${workerId}-${region}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 48);
  return `${base}-${randomBytes(3).toString('hex')}`;
}

function fill(template: string, machine: Pick<Machine, 'id' | 'region' | 'private_ip'>, app: string): string {
  const values: Record<(typeof PLACEHOLDERS)[number], string> = { machineId: machine.id, app, region: machine.region, privateIp: machine.private_ip ?? '' };
  // An IPv6 address goes in as is (the template brackets it: http://[{privateIp}]:8081).
  return template.replace(/\{(machineId|app|region|privateIp)\}/g, (_, k: keyof typeof values) => (k === 'privateIp' ? values[k] : encodeURIComponent(values[k])));
}
