import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import type { VigieConfig } from '../config/load.js';
import { ForeignError, isErrorCode, VigieError } from '../errors.js';
import { createLogger } from '../observability/logger.js';
import { releaseYoungGeneration } from '../util/heap.js';
import { action, configFrom, onShutdownSignal } from './common.js';
import { JSON_HELP, printAnswer, type OutputFlags, type TableView } from './output.js';

/** Lock held by the running monitor (one per status file), in the status file's folder. */
const MONITOR_LOCK = 'standby-monitor';
/** Its lease: a monitor killed with -9 is replaced at most this long after. */
const MONITOR_LOCK_TTL_MS = 10_000;

/** `vigie standby run|status|activate|deactivate`: the primary/standby monitor (SPEC §5). */
export function registerStandbyCommand(program: Command): void {
  const standby = program.command('standby').description('primary/standby: a monitor that brings up a standby site when the primary is down');

  standby
    .command('run')
    .description('run the monitor: check LOCAL_HEALTH_URL, fail over to the standby and back (Ctrl-C stops the monitor, not the standby)')
    .action(
      action(async (_opts: unknown, cmd: Command) => {
        const config = configFrom(cmd);
        await runMonitor(config);
      }),
    );

  standby
    .command('status')
    .description('print the state, the last checks, the last sync and the standby machine (a table on a terminal, JSON with --json or when piped)')
    .option('--json', JSON_HELP)
    .action(
      action(async (opts: OutputFlags, cmd: Command) => {
        const config = configFrom(cmd);
        const { standbyPaths } = await import('../standby/from-config.js');
        const { readStatus } = await import('../standby/status-file.js');
        const paths = standbyPaths(config);
        const status = await readStatus(paths.statusFile);
        const monitor = await monitorRunning(config, paths.dir);
        const view = status
          ? {
              state: status.state.name,
              ...('step' in status.state && { step: status.state.step }),
              since: new Date(status.state.since).toISOString(),
              active: status.active,
              ...('id' in status.state && { failover: status.state.id }),
              ...('hold' in status.state && status.state.hold && { hold: 'activated by hand: no automatic fail-back until `vigie standby deactivate`' }),
              monitor: monitor ? 'running' : 'not running',
              ...(monitor && status.endpoint && { endpoint: status.endpoint.url }),
              provider: status.provider,
              machine: status.machine ?? null,
              lastChecks: status.checks.slice(-5).map((c) => ({ at: new Date(c.at).toISOString(), ok: c.ok, latencyMs: c.latencyMs, ...(c.reason && { reason: c.reason }) })),
              lastSync: status.lastSync ?? null,
              lastGoodSync: status.lastGoodSync ?? null,
              statusFile: paths.statusFile,
              logFile: paths.logFile,
            }
          : { state: 'primary-active', monitor: monitor ? 'running' : 'not running', note: 'no status file yet: the monitor has never run here', statusFile: paths.statusFile };
        printAnswer(opts, view, standbyStatusView);
      }),
    );

  for (const command of ['activate', 'deactivate'] as const) {
    standby
      .command(command)
      .description(
        command === 'activate'
          ? 'start the standby by hand (sync, activate, announce); it stays up until `vigie standby deactivate`'
          : 'stop the standby by hand (copy the state back, stop it, announce); the monitor then watches the primary again',
      )
      .action(
        action(async (_opts: unknown, cmd: Command) => {
          const config = configFrom(cmd);
          const answer = await manualCommand(config, command);
          process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
        }),
      );
  }
}

/** `vigie standby status` for a person: one row per fact, the latest checks last. */
export function standbyStatusView(v: Record<string, unknown>): TableView {
  const rows: string[][] = [];
  const add = (k: string, val: unknown) => {
    if (val !== undefined && val !== null) rows.push([k, typeof val === 'string' ? val : JSON.stringify(val)]);
  };
  add('state', `${String(v.state)}${v.step ? ` (step ${String(v.step)})` : ''}`);
  add('since', v.since);
  add('active side', v.active);
  add('hold', v.hold);
  add('monitor', `${String(v.monitor)}${v.endpoint ? ` at ${String(v.endpoint)}` : ''}`);
  const m = v.machine as { provider?: string; id?: string; state?: string } | null | undefined;
  if (v.provider) add('standby', m ? `${m.provider} ${m.id} (${m.state})` : `${String(v.provider)}: never started`);
  for (const c of (v.lastChecks as Array<{ at: string; ok: boolean; latencyMs: number; reason?: string }> | undefined) ?? []) {
    add('check', `${c.at}  ${c.ok ? 'ok' : `FAILED: ${c.reason ?? '?'}`}  ${c.latencyMs} ms`);
  }
  const sync = v.lastSync as { ok: boolean; direction: string; at: number; error?: string } | null | undefined;
  if (sync) add('last sync', `${new Date(sync.at).toISOString()}  ${sync.direction}  ${sync.ok ? 'ok' : `FAILED: ${sync.error ?? '?'}`}`);
  const good = v.lastGoodSync as { direction: string; at: number } | null | undefined;
  if (good && good.at !== sync?.at) add('last good sync', `${new Date(good.at).toISOString()}  ${good.direction}`);
  add('note', v.note);
  add('status file', v.statusFile);
  add('log file', v.logFile);
  return { head: ['FIELD', 'VALUE'], rows };
}

/** A FileLock on the status file's folder, quiet: its one-host WARNING is moot for a local status file. */
async function monitorLock(config: VigieConfig, dir: string) {
  const { createFileLock } = await import('../lock/index.js');
  const quiet = createLogger({ level: 'error', format: 'json', destination: process.stderr });
  return createFileLock({ dataDir: dir, logger: quiet });
}

async function monitorRunning(config: VigieConfig, dir: string): Promise<boolean> {
  const lock = await monitorLock(config, dir);
  try {
    return (await lock.inspect(MONITOR_LOCK)).holder !== null;
  } finally {
    await lock.close();
  }
}

/** `vigie standby run`: one monitor per status file (a second one waits for the first's lock). */
async function runMonitor(config: VigieConfig): Promise<void> {
  const { createStandbyRuntime } = await import('../standby/from-config.js');
  const { startStandbyServer } = await import('../standby/server.js');
  const { runExclusive } = await import('../lock/index.js');
  const rt = await createStandbyRuntime(config, { requirePrimaryUrl: true });
  const lock = await monitorLock(config, rt.paths.dir);
  const stop = new AbortController();
  let failure: unknown;

  const done = (async () => {
    let warned = false;
    while (!stop.signal.aborted) {
      const result = await runExclusive(
        lock,
        MONITOR_LOCK,
        MONITOR_LOCK_TTL_MS,
        async (_grant, signal) => {
          await rt.startOutbox();
          await rt.monitor.start();
          let server;
          try {
            server = await startStandbyServer({
              monitor: rt.monitor,
              host: config.standbyHost,
              port: config.standbyPort,
              apiKeys: config.apiKey ?? [],
              publicRead: config.publicRead,
              timeouts: { headersMs: config.httpHeadersTimeoutMs, requestMs: config.httpRequestTimeoutMs },
              metrics: rt.metrics.registry,
              logger: rt.logger,
            });
            await rt.monitor.setEndpoint(server.url);
            const s = rt.monitor.snapshot();
            rt.logger.info(
              { url: server.url, state: s.state.name, statusFile: rt.paths.statusFile, logFile: rt.paths.logFile, provider: s.provider, primary: config.localHealthUrl },
              `standby monitor listening on ${server.url} (GET /api/v1/standby/active)`,
            );
            // This command's action lasts as long as the monitor: its start-up ends here (util/heap.ts).
            releaseYoungGeneration();
            if (!signal.aborted) await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
          } finally {
            await server?.app.close();
            await rt.monitor.stop();
            if (server) await rt.monitor.setEndpoint(undefined);
          }
        },
        { signal: stop.signal, logger: rt.logger },
      );
      if (result.ran) {
        if (result.lost && !stop.signal.aborted) {
          failure = new VigieError('STANDBY_LOCK_LOST', `The monitor lost its lock in ${rt.paths.dir}: another monitor may have taken over. This one stopped.`, 503);
        }
        return;
      }
      if (!warned) {
        rt.logger.warn({ dir: rt.paths.dir }, `another standby monitor holds the lock of ${rt.paths.dir}; waiting for it (a monitor killed with -9 frees it within ${MONITOR_LOCK_TTL_MS / 1000} s)`);
        warned = true;
      }
      await sleep(1000, undefined, { signal: stop.signal }).catch(() => undefined);
    }
  })();

  const shutdown = async () => {
    stop.abort();
    await done;
    await rt.close();
  };
  const removeHandlers = onShutdownSignal(rt.logger, shutdown);
  try {
    await done;
  } catch (err) {
    removeHandlers();
    await rt.close();
    throw err;
  }
  if (failure) {
    removeHandlers();
    await rt.close();
    throw failure;
  }
}

/** `activate` / `deactivate`: through the running monitor when there is one, else here under its lock. */
async function manualCommand(config: VigieConfig, command: 'activate' | 'deactivate'): Promise<Record<string, unknown>> {
  const { standbyPaths, createStandbyRuntime } = await import('../standby/from-config.js');
  const paths = standbyPaths(config);
  if (await monitorRunning(config, paths.dir)) return askMonitor(config, paths.statusFile, command);

  const { runExclusive } = await import('../lock/index.js');
  const rt = await createStandbyRuntime(config, { requirePrimaryUrl: false, destination: process.stderr, base: { cli: `standby ${command}` } });
  const lock = await monitorLock(config, paths.dir);
  try {
    const result = await runExclusive(lock, MONITOR_LOCK, MONITOR_LOCK_TTL_MS, async () => {
      await rt.monitor.load();
      const outcome = await rt.monitor.command(command);
      if (outcome.refused) {
        throw new VigieError('STANDBY_COMMAND_REFUSED', `Cannot ${command} now (${outcome.state.name}): ${outcome.refused}.`, 409);
      }
      await rt.monitor.runSteps();
      const s = rt.monitor.snapshot();
      return { success: true, state: s.state.name, active: s.active, machine: s.machine ?? null, lastSync: s.lastSync ?? null, monitor: 'not running (done here)' };
    });
    if (!result.ran) return askMonitor(config, paths.statusFile, command);
    return result.value;
  } finally {
    await rt.close();
  }
}

/** Sends the command to the running monitor's endpoint (as recorded in the status file, else STANDBY_HOST:STANDBY_PORT). */
async function askMonitor(config: VigieConfig, statusFile: string, command: 'activate' | 'deactivate'): Promise<Record<string, unknown>> {
  const { readStatus } = await import('../standby/status-file.js');
  const recorded = (await readStatus(statusFile))?.endpoint?.url;
  const host = ['0.0.0.0', '::', ''].includes(config.standbyHost) ? '127.0.0.1' : config.standbyHost;
  const base = recorded?.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//127.0.0.1:') ?? `http://${host.includes(':') ? `[${host}]` : host}:${config.standbyPort}`;
  const url = `${base}/api/v1/standby/${command}`;
  const key = config.apiKey?.[0];
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: key ? { 'x-api-key': key } : {}, signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw new VigieError(
      'STANDBY_MONITOR_UNREACHABLE',
      `A standby monitor runs (it holds the lock) but does not answer at ${url} (${(err as Error).message}). Set STANDBY_HOST/STANDBY_PORT as the monitor has them.`,
      503,
    );
  }
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) {
    const message = typeof body.message === 'string' ? body.message : `HTTP ${res.status}`;
    throw isErrorCode(body.error) ? new VigieError(body.error, message, res.status) : new ForeignError(typeof body.error === 'string' ? body.error : 'REQUEST_FAILED', message, res.status);
  }
  return { ...body, monitor: 'running (the monitor runs the steps)' };
}
