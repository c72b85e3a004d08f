import { fileURLToPath } from 'node:url';
import type { VigieConfig } from '../config/load.js';
import { DEFAULT_COORDINATOR_PORT, startCoordinator, type RunningCoordinator } from '../coordinator/start.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { localApiKey } from './api-key.js';
import { prepareDemo, type DemoOptions } from './demo.js';
import { LocalWorker, waitForHealth } from './local-worker.js';
import { assertPortsFree } from './ports.js';
import { LocalFleetSupervisor } from './supervisor.js';

const VIGIE_BIN = fileURLToPath(new URL('../../bin/vigie.js', import.meta.url));

export interface UpOptions {
  workers: number;
  workerPort: number;
  /** Also run the sample marketplace with three alerts against it. */
  demo?: DemoOptions | undefined;
  /** Print the URLs and key for a human (off in tests that parse logs). */
  print: (line: string) => void;
  /** Called once each cycle has ended (the CLI collects the cycle's garbage: util/heap.ts). */
  afterCycle?: (() => void) | undefined;
}

/** A running local fleet. */
export interface RunningFleet {
  coordinator: RunningCoordinator;
  workers: LocalWorker[];
  /** Restarts and relocates the workers: what the `local` machine provider drives. */
  supervisor: LocalFleetSupervisor;
  apiKey: string;
  stop(): Promise<void>;
}

/**
 * `vigie up`: N local workers on 127.0.0.2, .3, … as child processes (restarted when they die)
 * and the coordinator in this process, all on the embedded store in the data folder.
 */
export async function up(baseConfig: VigieConfig, logger: Logger, opts: UpOptions): Promise<RunningFleet> {
  if (!Number.isInteger(opts.workers) || opts.workers < 1 || opts.workers > 250) {
    throw new ConfigError(`--workers must be an integer from 1 to 250 (one address each, 127.0.0.2 upwards).`);
  }
  if (!Number.isInteger(opts.workerPort) || opts.workerPort < 1 || opts.workerPort > 65535) {
    throw new ConfigError('--worker-port must be an integer from 1 to 65535.');
  }
  // Before anything starts: a port held by an earlier fleet's worker would otherwise make ours
  // crash-loop while the coordinator quietly talks to the old one.
  await assertPortsFree([
    ...(baseConfig.port === 0 ? [] : [{ host: '127.0.0.1', port: baseConfig.port ?? DEFAULT_COORDINATOR_PORT, what: 'the coordinator', flag: '--port' }]),
    ...Array.from({ length: opts.workers }, (_, i) => ({ host: `127.0.0.${i + 2}`, port: opts.workerPort, what: `Worker ${i + 1}`, flag: '--worker-port' })),
  ]);
  const demo = opts.demo ? await prepareDemo(baseConfig, logger, opts.demo) : undefined;
  const config = demo?.config ?? baseConfig;
  // Workers read their sources and pacing from a file: the demo's, or the one given to `up`.
  const workerConfig = demo?.workerConfigFile ?? config.configFile;
  // The key stays in the fleet's data folder, demo or not: the CLI finds it there.
  const { key, generated, file } = localApiKey(baseConfig.dataDir, config.apiKey);
  const specs = Array.from({ length: opts.workers }, (_, i) => {
    const host = `127.0.0.${i + 2}`;
    const id = `worker-${i + 1}`;
    return {
      id,
      name: `Worker ${i + 1}`,
      region: `local-${i + 1}`,
      host,
      port: opts.workerPort,
      args: [VIGIE_BIN, ...(workerConfig ? ['--config', workerConfig] : []), 'worker', '--id', id, '--name', `Worker ${i + 1}`, '--region', `local-${i + 1}`, '--port', String(opts.workerPort), ...config.plugins.flatMap((p) => ['--plugin', p])],
      env: { ...process.env, VIGIE_API_KEY: key, VIGIE_DATA_DIR: config.dataDir, ...(config.databaseUrl ? { DATABASE_URL: config.databaseUrl } : {}), LOG_LEVEL: config.logLevel },
    };
  });
  const workers = specs.map((s) => new LocalWorker(s, logger));
  for (const w of workers) w.start();
  // The coordinator's first health round runs at start: give the workers a moment to listen.
  await Promise.all(workers.map((w) => waitForHealth(w.url, 15_000)));
  const supervisor = new LocalFleetSupervisor(workers, { graceMs: config.shutdownGraceMs, readyTimeoutMs: Math.max(config.failoverReadyWaitMs, 5_000) });

  const coordinatorConfig: VigieConfig = {
    ...config,
    apiKey: [key],
    workers: specs.map((s) => ({ id: s.id, name: s.name, region: s.region, url: `http://${s.host}:${s.port}` })),
  };
  let coordinator: RunningCoordinator;
  try {
    coordinator = await startCoordinator(coordinatorConfig, logger, { supervisor, afterCycle: opts.afterCycle });
  } catch (err) {
    await Promise.all(workers.map((w) => w.stop()));
    await demo?.close();
    throw err;
  }

  opts.print('');
  opts.print(`Vigie is up: coordinator ${coordinator.url}, ${workers.length} local worker(s)`);
  for (const s of specs) opts.print(`  ${s.name.padEnd(10)} http://${s.host}:${s.port}`);
  opts.print(`  dashboard  ${coordinator.url}/   (log in with the API key)`);
  // Reads need the key too (x-api-key): the CLI sends it, a browser does not.
  opts.print(`  stats      ${coordinator.url}/api/v1/worker/main/stats   (with the key in x-api-key; or \`vigie stats\`)`);
  if (demo) {
    opts.print(`  matches    ${coordinator.url}/api/v1/matches   (demo marketplace: ${demo.market.url})`);
  }
  if (demo) {
    opts.print(`  demo data  ${demo.dataDir}   (the demo's own store and locks; remove it with: rm -rf ${demo.dataDir})`);
    opts.print(`             vigie --data-dir ${demo.dataDir} lock status|credentials status   look there`);
  }
  // The key itself is never printed (terminals get scrolled back, recorded, pasted into issues):
  // where it is kept is enough, `cat` gives it to the dashboard's login.
  opts.print(`  API key    ${file ? `${generated ? 'generated, ' : ''}kept in ${file}   (cat ${file} to log in to the dashboard)` : 'from VIGIE_API_KEY'}`);
  opts.print('Ctrl-C stops everything.');
  opts.print('');

  return {
    coordinator,
    workers,
    supervisor,
    apiKey: key,
    stop: async () => {
      for (const w of workers) w.hold();
      await coordinator.close();
      await Promise.all(workers.map((w) => w.stop(config.shutdownGraceMs)));
      await demo?.close();
      if (demo) opts.print(`The demo's data stays in ${demo.dataDir} (the next --demo reuses it); remove it with: rm -rf ${demo.dataDir}`);
    },
  };
}
