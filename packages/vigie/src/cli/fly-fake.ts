import type { Command } from 'commander';
import { VigieError } from '../errors.js';
import { action, collect, configFrom, loggerFor, onShutdownSignal } from './common.js';

interface FlyFakeFlags {
  port: string;
  machine?: string[];
  transitionMs: string;
  fullRegions?: string;
}

/**
 * `vigie fly-fake`: runs the local fake Fly Machines API (127.0.0.1 only) for a demo of the
 * `fly` provider and the standby without a Fly account. It accepts the FLY_API_TOKEN you set.
 */
export function registerFlyFakeCommand(program: Command): void {
  program
    .command('fly-fake')
    .description('run a fake Fly Machines API on 127.0.0.1 for demos (accepts FLY_API_TOKEN)')
    .option('--port <port>', 'port on 127.0.0.1', '4280')
    .option('--machine <app:region[:state]>', 'a machine to start with (state started|stopped; repeatable)', collect)
    .option('--transition-ms <ms>', 'how long starting/stopping/replacing last', '500')
    .option('--full-regions <regions>', 'comma list of regions where creating a machine fails with insufficient_capacity')
    .action(
      action(async (flags: FlyFakeFlags, cmd: Command) => {
        const config = configFrom(cmd);
        if (!config.flyApiToken) {
          throw new VigieError('FLY_NOT_CONFIGURED', 'Set FLY_API_TOKEN to the token the fake should accept (any value for a demo, e.g. `export FLY_API_TOKEN=demo-token-123`), and the same in the process that calls it.', 400);
        }
        const port = Number(flags.port);
        const transitionMs = Number(flags.transitionMs);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new VigieError('INVALID_INPUT', `--port "${flags.port}" is not a port (0–65535).`, 400);
        if (!Number.isInteger(transitionMs) || transitionMs < 0) throw new VigieError('INVALID_INPUT', `--transition-ms "${flags.transitionMs}" is not a whole number of ms.`, 400);
        const seeds = (flags.machine ?? []).map(parseMachine);
        const logger = loggerFor(config, { role: 'fly-fake' });
        const { FakeFlyServer } = await import('../remediation/providers/fly/fake-server.js');
        const fake = await FakeFlyServer.start({ token: config.flyApiToken, port, transitionMs }).catch((err: unknown) => {
          if ((err as { code?: unknown }).code === 'EADDRINUSE') throw new VigieError('INVALID_INPUT', `Port ${port} on 127.0.0.1 is already in use: pick another with --port (0 picks a free one).`, 400);
          throw err;
        });
        if (flags.fullRegions) fake.machines.setNoCapacity(flags.fullRegions.split(',').map((r) => r.trim()).filter(Boolean));
        const machines = seeds.map((s) => ({ app: s.app, ...fake.machines.addMachine(s.app, s) }));
        process.stdout.write(
          `${JSON.stringify({ flyApiUrl: fake.url, control: fake.url.replace(/\/v1$/, '/__fake'), machines: machines.map((m) => ({ app: m.app, id: m.id, region: m.region, state: m.state })) }, null, 2)}\n`,
        );
        logger.info({ flyApiUrl: fake.url }, 'fake Fly Machines API listening; set FLY_API_URL to it');
        onShutdownSignal(logger, () => fake.close());
      }),
    );
}

/** `app:region[:state]` → a machine to seed. */
function parseMachine(spec: string): { app: string; region: string; state: 'started' | 'stopped' } {
  const [app, region, state = 'started', ...rest] = spec.split(':');
  if (!app || !region || rest.length > 0 || (state !== 'started' && state !== 'stopped')) {
    throw new VigieError('INVALID_INPUT', `--machine "${spec}" is not app:region[:started|stopped] (e.g. vigie-workers:cdg or vigie-standby:cdg:stopped).`, 400);
  }
  return { app, region, state };
}
