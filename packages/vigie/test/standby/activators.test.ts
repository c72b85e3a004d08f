// One conformance suite for every standby activator: `local` (a real detached process) and `fly`
// (the real Machines client against the fake Machines API on loopback).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { FlyMachinesApi } from '../../src/remediation/providers/fly/api.js';
import { FakeFlyServer } from '../../src/remediation/providers/fly/fake-server.js';
import { createFlyActivator } from '../../src/standby/activators/fly.js';
import { createLocalActivator } from '../../src/standby/activators/local.js';
import type { Activator } from '../../src/standby/activators/types.js';
import { tempDir } from '../helpers/vigie-process.js';
import { alive, freePort, statusOf } from './helpers.js';

const SITE = fileURLToPath(new URL('./fixtures/site.mjs', import.meta.url));
const quiet = createLogger({ level: 'silent', format: 'json' });

interface Harness {
  activator: Activator;
  /** Whether the standby really runs (a process answering, a started machine). */
  running(): Promise<boolean>;
  /** How many standbys run at once. */
  count(): Promise<number>;
  close(): Promise<void>;
}

const implementations: Array<{ name: string; make: () => Promise<Harness> }> = [
  {
    name: 'local',
    async make() {
      const dir = tempDir('vigie-activator-');
      const port = await freePort();
      const pidFile = join(dir.path, 'standby.pid');
      const starts = join(dir.path, 'starts.txt');
      const activator = createLocalActivator({
        command: `exec "${process.execPath}" "${SITE}" ${port} --record "${starts}"`,
        pidFile,
        logFile: join(dir.path, 'standby-process.log'),
        stopGraceMs: 3000,
      });
      const running = async () => (await statusOf(`http://127.0.0.1:${port}/`)) === 200;
      return {
        activator,
        async running() {
          // The process needs a moment to listen after the spawn.
          for (let i = 0; i < 40 && !(await running()); i++) await new Promise((r) => setTimeout(r, 50));
          return running();
        },
        async count() {
          // Every start appends its pid: count those still alive.
          const pids = existsSync(starts) ? readFileSync(starts, 'utf8').trim().split('\n').filter(Boolean).map(Number) : [];
          return pids.filter(alive).length;
        },
        async close() {
          await activator.deactivate(AbortSignal.timeout(10_000)).catch(() => undefined);
          dir.cleanup();
        },
      };
    },
  },
  {
    name: 'fly',
    async make() {
      const fake = await FakeFlyServer.start({ token: 'fly-test-token-0123456789', transitionMs: 20 });
      fake.machines.addMachine('standby', { region: 'cdg', state: 'stopped' });
      fake.machines.addMachine('standby', { region: 'iad', state: 'stopped' });
      const api = new FlyMachinesApi({ baseUrl: fake.url, token: 'fly-test-token-0123456789', logger: quiet });
      const started = () => fake.machines.list('standby').filter((m) => m.state === 'started').length;
      return {
        activator: createFlyActivator({ api, app: 'standby', waitS: 10 }),
        running: async () => started() > 0,
        count: async () => started(),
        close: () => fake.close(),
      };
    },
  },
];

describe.each(implementations)('standby activator: $name', ({ name, make }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await make();
  });
  afterEach(async () => {
    await h.close();
  });
  const signal = () => AbortSignal.timeout(15_000);

  it('starts nothing until asked; inspect says so', async () => {
    expect(await h.activator.inspect(signal())).toBeUndefined();
    expect(await h.count()).toBe(0);
    expect(h.activator.provider).toBe(name);
  });

  it('activate starts one standby and inspect finds it', async () => {
    const m = await h.activator.activate(signal());
    expect(m.provider).toBe(name);
    expect(await h.running()).toBe(true);
    expect(await h.activator.inspect(signal())).toMatchObject({ id: m.id });
  });

  it('activate twice (a resumed failover) returns the same standby, never a second one', async () => {
    const a = await h.activator.activate(signal());
    const b = await h.activator.activate(signal());
    expect(b.id).toBe(a.id);
    expect(await h.running()).toBe(true);
    expect(await h.count()).toBe(1);
  });

  it('deactivate stops it, and is harmless when nothing runs', async () => {
    await h.activator.deactivate(signal());
    await h.activator.activate(signal());
    await h.activator.deactivate(signal());
    expect(await h.activator.inspect(signal())).toBeUndefined();
    expect(await h.count()).toBe(0);
    await h.activator.deactivate(signal());
  });
});

describe('local activator specifics', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('vigie-activator-');
  });
  afterEach(() => dir.cleanup());

  it('a command that exits at once is an error naming the log file, and records no standby', async () => {
    const a = createLocalActivator({ command: 'exit 3', pidFile: join(dir.path, 'p'), logFile: join(dir.path, 'out.log') });
    await expect(a.activate(AbortSignal.timeout(5000))).rejects.toMatchObject({ code: 'STANDBY_START_FAILED', message: expect.stringContaining('out.log') });
    expect(await a.inspect(AbortSignal.timeout(5000))).toBeUndefined();
  });

  it('stops the whole process group, children included, with SIGKILL after the grace period', async () => {
    const pidFile = join(dir.path, 'p');
    // A shell that ignores SIGTERM and has a child: both must go.
    const a = createLocalActivator({ command: `trap '' TERM; sleep 60 & wait`, pidFile, logFile: join(dir.path, 'out.log'), stopGraceMs: 300 });
    const m = await a.activate(AbortSignal.timeout(5000));
    const pid = Number(m.id);
    expect(alive(pid)).toBe(true);
    await a.deactivate(AbortSignal.timeout(5000));
    expect(alive(pid)).toBe(false);
    expect(() => process.kill(-pid, 0)).toThrow();
  });
});
