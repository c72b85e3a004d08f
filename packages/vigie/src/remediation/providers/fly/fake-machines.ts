import { randomBytes } from 'node:crypto';
import type { CreateMachineRequest, Lease, Machine, MachineConfig, MachineState, WaitableState } from './shapes.js';

/** A refusal the fake answers with, in the Machines API's error shape. */
export class FakeFlyRefusal extends Error {
  constructor(
    readonly status: number,
    readonly body: { error: string; status?: string },
  ) {
    super(body.error);
  }
}

interface Record_ {
  machine: Machine;
  lease?: Lease & { expiresAtMs: number };
}

export interface FakeMachinesOptions {
  /** Time each transitional state (starting, stopping, replacing…) lasts, ms. Default 30. */
  readonly transitionMs?: number;
}

/**
 * The machine state of the fake Machines API: apps, machines and leases, with the state
 * transitions of the real one (created → starting → started, started → stopping → stopped,
 * restart through `replacing`, destroy through `destroying`), each lasting `transitionMs`.
 * The HTTP layer (`fake-server.ts`) maps its refusals to answers.
 */
export class FakeMachines {
  private readonly apps = new Map<string, Map<string, Record_>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waiters = new Set<() => void>();
  private readonly noCapacity = new Set<string>();
  private readonly transitionMs: number;

  constructor(opts: FakeMachinesOptions = {}) {
    this.transitionMs = opts.transitionMs ?? 30;
  }

  /** Declares an app (machines can then be created in it). */
  addApp(app: string): void {
    if (!this.apps.has(app)) this.apps.set(app, new Map());
  }

  /** Adds a machine directly in a settled state (test and demo set-up). */
  addMachine(app: string, init: { region: string; state?: 'started' | 'stopped'; name?: string; config?: MachineConfig }): Machine {
    this.addApp(app);
    const machine = this.newMachine(init.region, init.name, init.config ?? { image: 'registry.fly.io/vigie:latest' });
    machine.state = init.state ?? 'started';
    this.apps.get(app)!.set(machine.id, { machine });
    return structuredClone(machine);
  }

  /** Regions where creating a machine fails with `insufficient_capacity` (replaces the set). */
  setNoCapacity(regions: readonly string[]): void {
    this.noCapacity.clear();
    for (const r of regions) this.noCapacity.add(r);
  }

  /** The app's machines; destroyed ones only with `includeDestroyed`. */
  list(app: string, includeDestroyed = false, region?: string): Machine[] {
    return [...this.appMachines(app).values()]
      .map((r) => r.machine)
      .filter((m) => (includeDestroyed || m.state !== 'destroyed') && (!region || m.region === region))
      .map((m) => structuredClone(m));
  }

  /** One machine (a destroyed one is still shown, as the real API does for a while). */
  get(app: string, id: string): Machine {
    return structuredClone(this.record(app, id).machine);
  }

  /** `POST /apps/{app}/machines`. */
  create(app: string, req: CreateMachineRequest): Machine {
    const machines = this.appMachines(app);
    if (!req || typeof req.config !== 'object' || req.config === null || typeof req.config.image !== 'string' || !req.config.image) {
      throw new FakeFlyRefusal(400, { error: 'invalid config: image is required' });
    }
    const region = req.region || 'iad';
    if (this.noCapacity.has(region)) {
      throw new FakeFlyRefusal(412, { error: `insufficient resources to create new machine in region ${region}`, status: 'insufficient_capacity' });
    }
    if (req.name && [...machines.values()].some((r) => r.machine.name === req.name && r.machine.state !== 'destroyed')) {
      throw new FakeFlyRefusal(409, { error: `a machine named ${req.name} already exists` });
    }
    const machine = this.newMachine(region, req.name, structuredClone(req.config));
    machines.set(machine.id, { machine });
    if (!req.skip_launch) this.chain(machine, ['starting', 'started']);
    else machine.state = 'stopped';
    return structuredClone(machine);
  }

  /** `POST …/start`. */
  start(app: string, id: string, nonce: string | undefined): { previous_state: string } {
    const { machine } = this.mutable(app, id, nonce);
    const previous = machine.state;
    if (previous === 'stopped' || previous === 'created') this.chain(machine, ['starting', 'started']);
    else if (previous !== 'started' && previous !== 'starting') {
      throw new FakeFlyRefusal(412, { error: `unable to start machine from current state: '${previous}'` });
    }
    return { previous_state: previous };
  }

  /** `POST …/stop`. */
  stop(app: string, id: string, nonce: string | undefined): void {
    const { machine } = this.mutable(app, id, nonce);
    if (machine.state === 'started' || machine.state === 'starting') this.chain(machine, ['stopping', 'stopped']);
  }

  /** `POST …/restart`: a new instance, same id, region and address. */
  restart(app: string, id: string, nonce: string | undefined): void {
    const { machine } = this.mutable(app, id, nonce);
    if (machine.state !== 'started' && machine.state !== 'stopped') {
      throw new FakeFlyRefusal(412, { error: `unable to restart machine from current state: '${machine.state}'` });
    }
    machine.instance_id = randomId(26);
    this.chain(machine, ['replacing', 'started']);
  }

  /** `DELETE …/machines/{id}`: refused for a started machine unless `force`. */
  destroy(app: string, id: string, nonce: string | undefined, force: boolean): void {
    const record = this.mutable(app, id, nonce);
    const state = record.machine.state;
    if (!force && state !== 'stopped' && state !== 'created') {
      throw new FakeFlyRefusal(412, { error: `unable to destroy machine, not currently stopped (state: ${state}); stop it first or use force=true` });
    }
    delete record.lease;
    this.chain(record.machine, ['destroying', 'destroyed']);
  }

  /** `POST …/lease`: a new lease, or the holder's own lease refreshed (nonce header). */
  acquireLease(app: string, id: string, nonce: string | undefined, ttlS: number, description: string, owner: string): Lease {
    const record = this.live(app, id);
    const held = this.heldLease(record);
    if (held && held.nonce !== nonce) {
      throw new FakeFlyRefusal(409, { error: `lease currently held by ${held.owner} (${held.description ?? 'no description'}), expires at ${held.expires_at}` });
    }
    const ttl = Number.isInteger(ttlS) && ttlS > 0 ? ttlS : 30;
    const expiresAtMs = Date.now() + ttl * 1000;
    record.lease = { nonce: held?.nonce ?? randomId(12), expires_at: Math.floor(expiresAtMs / 1000), owner, description, version: record.machine.instance_id ?? '', expiresAtMs };
    const { expiresAtMs: _, ...lease } = record.lease;
    return lease;
  }

  /** `DELETE …/lease`: the holder's nonce is required. */
  releaseLease(app: string, id: string, nonce: string | undefined): void {
    const record = this.record(app, id);
    const held = this.heldLease(record);
    if (!held) return;
    if (held.nonce !== nonce) throw new FakeFlyRefusal(409, { error: 'lease currently held by another nonce; send its fly-machine-lease-nonce to release it' });
    delete record.lease;
  }

  /** Makes another holder take the machine's lease (tests: a deploy in progress). */
  holdLease(app: string, id: string, owner = 'someone-else@example.com', ttlS = 60): Lease {
    return this.acquireLease(app, id, this.heldLease(this.live(app, id))?.nonce, ttlS, 'held by another process', owner);
  }

  /** The current lease of a machine, if one is held (tests). */
  leaseOf(app: string, id: string): Lease | undefined {
    const held = this.heldLease(this.record(app, id));
    if (!held) return undefined;
    const { expiresAtMs: _, ...lease } = held;
    return lease;
  }

  /** Resolves true when the machine is in `state`, false after `timeoutMs`. */
  async waitFor(app: string, id: string, state: WaitableState, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    this.record(app, id);
    const reached = () => this.apps.get(app)?.get(id)?.machine.state === state;
    if (reached()) return true;
    return new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        signal?.removeEventListener('abort', onAbort);
        resolve(ok);
      };
      const check = () => reached() && done(true);
      const onAbort = () => done(false);
      const timer = setTimeout(() => done(reached()), timeoutMs);
      this.waiters.add(check);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Stops every pending transition and wakes every waiter (server shutdown). */
  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const w of [...this.waiters]) w();
  }

  private newMachine(region: string, name: string | undefined, config: MachineConfig): Machine {
    const id = randomId(14);
    const now = new Date().toISOString();
    return {
      id,
      name: name || `vigie-${id.slice(0, 6)}`,
      state: 'created',
      region,
      instance_id: randomId(26),
      private_ip: `fdaa:0:1:a7b:${id.slice(0, 4)}::2`,
      config,
      image_ref: { registry: 'registry.fly.io', repository: String(config.image ?? '').replace(/^registry\.fly\.io\//, '').split(':')[0] ?? '', tag: 'latest' },
      created_at: now,
      updated_at: now,
    };
  }

  /** Moves the machine through `states`, one per `transitionMs` (the last one stays). */
  private chain(machine: Machine, states: MachineState[]): void {
    const [first, ...rest] = states;
    this.setState(machine, first!);
    if (rest.length === 0) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.chain(machine, rest);
    }, this.transitionMs);
    this.timers.add(timer);
  }

  private setState(machine: Machine, state: MachineState): void {
    machine.state = state;
    machine.updated_at = new Date().toISOString();
    for (const w of [...this.waiters]) w();
  }

  private appMachines(app: string): Map<string, Record_> {
    const machines = this.apps.get(app);
    if (!machines) throw new FakeFlyRefusal(404, { error: `app ${app} not found` });
    return machines;
  }

  private record(app: string, id: string): Record_ {
    const record = this.appMachines(app).get(id);
    if (!record) throw new FakeFlyRefusal(404, { error: `machine ${id} not found` });
    return record;
  }

  private live(app: string, id: string): Record_ {
    const record = this.record(app, id);
    if (record.machine.state === 'destroyed' || record.machine.state === 'destroying') {
      throw new FakeFlyRefusal(404, { error: `machine ${id} not found (destroyed)` });
    }
    return record;
  }

  /** A live machine that a call may change: a held lease requires its nonce. */
  private mutable(app: string, id: string, nonce: string | undefined): Record_ {
    const record = this.live(app, id);
    const held = this.heldLease(record);
    if (held && held.nonce !== nonce) {
      throw new FakeFlyRefusal(409, { error: `machine ${id}: lease currently held by ${held.owner}; send fly-machine-lease-nonce` });
    }
    return record;
  }

  private heldLease(record: Record_): (Lease & { expiresAtMs: number }) | undefined {
    if (record.lease && record.lease.expiresAtMs <= Date.now()) delete record.lease;
    return record.lease;
  }
}

function randomId(length: number): string {
  return randomBytes(Math.ceil(length / 2)).toString('hex').slice(0, length);
}
