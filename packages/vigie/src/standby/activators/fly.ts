/**
 * The `fly` standby: an app (FLY_APP) whose machines are kept stopped while the primary is up
 * (no compute billed), as the seed's "scaled to 0". Activating is the seed's `fly scale count 1`:
 * if a machine already runs it is the standby (never a second one), else one stopped machine is
 * started and waited for. Deactivating is `fly scale count 0`: every started machine of the app is
 * stopped, not destroyed, so the next failover starts the same machine with the same volume.
 */
import { VigieError } from '../../errors.js';
import type { FlyMachinesApi } from '../../remediation/providers/fly/api.js';
import type { Machine } from '../../remediation/providers/fly/shapes.js';
import type { Activator, StandbyMachine } from './types.js';

export interface FlyActivatorOptions {
  api: FlyMachinesApi;
  /** FLY_APP. */
  app: string;
  /** Bound on waiting for a machine to reach started or stopped, seconds; default 120. */
  waitS?: number;
}

/** States in which a machine counts as the running standby. */
const UP = new Set(['started', 'starting', 'created', 'replacing']);

/** A standby made of a Fly app's stopped machine. */
export function createFlyActivator(opts: FlyActivatorOptions): Activator {
  const { api, app } = opts;
  const waitS = opts.waitS ?? 120;
  const view = (m: Machine): StandbyMachine => ({ provider: 'fly', id: m.id, state: m.state, detail: { app, region: m.region, name: m.name } });
  // Oldest first: the same machine is picked every time (its volume holds the previous run's state).
  const list = async (signal: AbortSignal) => (await api.listMachines(app, { signal })).sort((a, b) => (a.created_at ?? a.id).localeCompare(b.created_at ?? b.id));

  return {
    provider: 'fly',

    async inspect(signal) {
      const up = (await list(signal)).find((m) => UP.has(m.state));
      return up ? view(up) : undefined;
    },

    async activate(signal) {
      const machines = await list(signal);
      const up = machines.find((m) => UP.has(m.state));
      let machine = up;
      if (!machine) {
        machine = machines.find((m) => m.state === 'stopped' || m.state === 'stopping');
        if (!machine) {
          throw new VigieError(
            'STANDBY_NO_MACHINE',
            `Fly app ${app} has no stopped machine to start (${machines.length} machine(s): ${machines.map((m) => `${m.id} ${m.state}`).join(', ') || 'none'}). ` +
              `Deploy the standby once (\`fly deploy -a ${app}\`), then stop its machine (\`fly machine stop -a ${app}\`).`,
            503,
          );
        }
        if (machine.state === 'stopping') await api.waitForState(app, machine.id, 'stopped', waitS, { signal });
        await api.startMachine(app, machine.id, { signal });
      }
      await api.waitForState(app, machine.id, 'started', waitS, { signal });
      return view(await api.getMachine(app, machine.id, { signal }));
    },

    async deactivate(signal) {
      for (const m of await list(signal)) {
        if (!UP.has(m.state)) continue;
        await api.stopMachine(app, m.id, { signal });
        await api.waitForState(app, m.id, 'stopped', waitS, { signal });
      }
    },
  };
}
