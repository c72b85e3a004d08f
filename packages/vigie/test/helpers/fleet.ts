import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnVigie, tempDir, type VigieProcess } from './vigie-process.js';

export const FLEET_KEY = 'fleet-test-key-0123456789abcdef';

/** A plugin for test workers: `probe` answers 403 on a worker started with BLOCKED=1; `check-alerts` records what it saw. */
export const TEST_PLUGIN = `
import { appendFileSync } from 'node:fs';
export default (api) => {
  api.registerCommand({
    name: 'probe',
    run: async () => {
      if (process.env.BLOCKED === '1') throw Object.assign(new Error('upstream answered 403'), { code: 'UPSTREAM_FORBIDDEN', httpStatus: 403 });
      return process.env.WORKER_ID;
    },
  });
  api.registerHandler('check-alerts', async (payload) => {
    const alerts = payload.alerts;
    for (const a of alerts) {
      await new Promise((r) => setTimeout(r, Number(process.env.PER_ALERT_MS ?? '0')));
      appendFileSync(process.env.SEEN_FILE, JSON.stringify({ worker: process.env.WORKER_ID, alert: a.id }) + '\\n');
    }
    return { matches: [], alertsChecked: alerts.length, itemsChecked: 0 };
  });
};
`;

export interface TestWorker {
  id: string;
  url: string;
  proc: VigieProcess;
}

export interface TestFleet {
  dir: string;
  dataDir: string;
  plugin: string;
  workers: TestWorker[];
  startWorker(id: string, host: string, env?: Record<string, string>, opts?: { plugin?: boolean; configFile?: string }): Promise<TestWorker>;
  writeConfig(extra?: Record<string, unknown>): string;
  startCoordinator(env?: Record<string, string>): Promise<{ proc: VigieProcess; url: string }>;
  stopAll(): Promise<void>;
}

/** Real worker and coordinator processes on 127.0.0.x, sharing one data folder. */
export function createTestFleet(): TestFleet {
  const d = tempDir('vigie-fleet-');
  const plugin = join(d.path, 'plugin.mjs');
  writeFileSync(plugin, TEST_PLUGIN);
  const dataDir = join(d.path, 'data');
  const procs: VigieProcess[] = [];
  const fleet: TestFleet = {
    dir: d.path,
    dataDir,
    plugin,
    workers: [],
    async startWorker(id, host, env = {}, opts = {}) {
      const args = [
        ...(opts.configFile ? ['--config', opts.configFile] : []),
        'worker', '--id', id, '--name', id, '--region', host, '--host', host, '--port', '0',
        ...(opts.plugin === false ? [] : ['--plugin', plugin]),
      ];
      const proc = spawnVigie(args, {
        VIGIE_API_KEY: FLEET_KEY,
        VIGIE_DATA_DIR: dataDir,
        WORKER_ID: id,
        SEEN_FILE: join(d.path, 'seen.jsonl'),
        ...env,
      });
      procs.push(proc);
      const line = await proc.waitForLog((l) => l.msg === 'worker listening');
      const w = { id, url: String(line.url), proc };
      fleet.workers.push(w);
      return w;
    },
    writeConfig(extra = {}) {
      const file = join(d.path, 'coordinator.json');
      writeFileSync(file, JSON.stringify({ workers: fleet.workers.map((w) => ({ id: w.id, name: w.id, region: 'test', url: w.url })), ...extra }));
      return file;
    },
    async startCoordinator(env = {}) {
      const proc = spawnVigie(['coordinator', '--config', fleet.writeConfig(), '--host', '127.0.0.1', '--port', '0'], {
        VIGIE_API_KEY: FLEET_KEY,
        VIGIE_DATA_DIR: dataDir,
        ...env,
      });
      procs.push(proc);
      const line = await proc.waitForLog((l) => l.msg === 'coordinator listening');
      return { proc, url: String(line.url) };
    },
    async stopAll() {
      await Promise.all(procs.map((p) => p.stop('SIGKILL')));
      d.cleanup();
    },
  };
  return fleet;
}

/** POSTs JSON with the fleet key. */
export async function post(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': FLEET_KEY }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** GETs JSON with the fleet key (reads need it too). */
export async function get<T = Record<string, unknown>>(url: string): Promise<T> {
  return (await (await fetch(url, { headers: { 'x-api-key': FLEET_KEY } })).json()) as T;
}
