import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestFleet, FLEET_KEY, type TestFleet } from '../helpers/fleet.js';
import { runVigie } from '../helpers/vigie-process.js';

/** A worker plugin whose check-alerts fails every alert named "bad …" (reported in data.failed). */
const PLUGIN = `
export default (api) => {
  api.registerHandler('check-alerts', async (payload) => {
    const failed = payload.alerts.filter((a) => a.name.startsWith('bad')).map((a) => ({ alertId: a.id, error: 'SOURCE_ERROR: refused' }));
    return { matches: [], alertsChecked: payload.alerts.length - failed.length, itemsChecked: 0, failed };
  });
};
`;

describe('issue 17.3: CLI exit codes (0 ok, 1 failed, 2 usage, 3 partial)', () => {
  let fleet: TestFleet;
  let env: Record<string, string>;
  beforeAll(async () => {
    fleet = createTestFleet();
    writeFileSync(fleet.plugin, PLUGIN);
    await fleet.startWorker('w1', '127.0.0.2');
    const { url } = await fleet.startCoordinator({ ALERT_INITIAL_DELAY_MS: '3600000' });
    env = { VIGIE_URL: url, VIGIE_API_KEY: FLEET_KEY, VIGIE_DATA_DIR: fleet.dataDir };
  }, 60_000);
  afterAll(async () => fleet?.stopAll());

  const vigie = (...args: string[]) => runVigie(args, env);
  const ids: Record<string, string> = {};
  const add = async (name: string) => {
    const res = await vigie('alerts', 'add', '--name', name, '--source', 'market');
    expect(res.code).toBe(0);
    ids[name] = (JSON.parse(res.stdout) as { alert: { id: string } }).alert.id;
  };

  it('`cycle run`: 0 when every alert was checked, 3 when some failed, 1 when all failed', async () => {
    await add('good one');
    const ok = await vigie('cycle', 'run');
    expect(JSON.parse(ok.stdout).data.status).toBe('ok');
    expect(ok.code).toBe(0);

    await add('bad one');
    const partial = await vigie('cycle', 'run');
    expect(JSON.parse(partial.stdout).data.status).toBe('partial');
    expect(partial.code).toBe(3);

    expect((await vigie('alerts', 'pause', ids['good one']!)).code).toBe(0);
    const failed = await vigie('cycle', 'run');
    expect(JSON.parse(failed.stdout).data.status).toBe('failed');
    expect(failed.code).toBe(1);
  }, 60_000);

  it('usage errors exit 2: unknown flag or command, missing argument, input the coordinator refuses', async () => {
    const flag = await vigie('stats', '--bogus');
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("unknown option '--bogus'");
    expect((await vigie('no-such-command')).code).toBe(2);
    expect((await vigie('alerts', 'add', '--name', 'x')).code).toBe(2); // --source missing
    const bad = await vigie('alerts', 'add', '--name', 'x', '--source', 'NOT A NAME');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('[INVALID_ALERT]');
  });

  it('failures exit 1: an unknown alert, an unreachable coordinator', async () => {
    expect((await vigie('alerts', 'rm', 'no-such-id')).code).toBe(1);
    const down = await runVigie(['stats'], { ...env, VIGIE_URL: 'http://127.0.0.1:9' });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('[COORDINATOR_UNREACHABLE]');
  });

  it('help and version exit 0, and the help documents the codes', async () => {
    const help = await vigie('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Exit codes:\n\s+0\s+ok\n\s+1\s+failed.*\n\s+2\s+usage.*\n\s+3\s+partial/);
    expect((await vigie('--version')).code).toBe(0);
  });
});
