// The acceptance, run as a new user would: `vigie standby run` as a real process, a
// primary and a standby that are real processes on loopback, the real rclone binary with local
// folders as the remote, a fake Telegram Bot API (and a fake Fly Machines API) on loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeFlyServer } from '../../src/remediation/providers/fly/fake-server.js';
import { FakeTelegram } from '../notify/fake-telegram.js';
import { runVigie, spawnVigie, tempDir, type VigieProcess } from '../helpers/vigie-process.js';
import { alive, freePort, rcloneBin, recordedPid, statusOf, statusServer, until } from './helpers.js';

const SITE = fileURLToPath(new URL('./fixtures/site.mjs', import.meta.url));
const TG_TOKEN = 'TEST-TG-TOKEN-7c1e5a9b';
const FLY_TOKEN = 'FLY-SECRET-TOKEN-4d2b8e61f0';
const rclone = rcloneBin();

interface Scenario {
  dir: string;
  stateDir: string;
  remoteDir: string;
  statusFile: string;
  pidFile: string;
  tg: FakeTelegram;
  env: Record<string, string>;
  monitor?: VigieProcess;
  /** Starts `vigie standby run`; resolves with its endpoint URL. */
  startMonitor(): Promise<string>;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A site process (primary or standby), killed at cleanup. */
function startSite(port: number, ...args: string[]): ChildProcess {
  const child = spawn(process.execPath, [SITE, String(port), ...args], { stdio: 'ignore' });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

async function scenario(env: Record<string, string>): Promise<Scenario> {
  const tmp = tempDir('vigie-standby-');
  cleanups.push(tmp.cleanup);
  const dir = tmp.path;
  const stateDir = join(dir, 'state');
  const remoteDir = join(dir, 'remote');
  mkdirSync(join(stateDir, 'nested'), { recursive: true });
  writeFileSync(join(stateDir, 'positions.json'), JSON.stringify({ open: [1, 2, 3] }));
  writeFileSync(join(stateDir, 'nested', 'journal.log'), 'line 1\nline 2\n');
  const tg = await FakeTelegram.start({ token: TG_TOKEN, chats: ['42'] });
  cleanups.push(() => tg.close());
  const statusFile = join(dir, 'run', 'standby-status.json');
  const s: Scenario = {
    dir,
    stateDir,
    remoteDir,
    statusFile,
    pidFile: join(dir, 'run', 'standby.pid'),
    tg,
    env: {
      CHECK_INTERVAL: '1',
      FAST_CHECK_INTERVAL: '1',
      FAILURE_THRESHOLD: '3',
      RECOVERY_THRESHOLD: '3',
      MIN_ACTIVE_SECONDS: '1',
      STANDBY_CHECK_TIMEOUT: '2',
      STANDBY_READY_TIMEOUT: '20',
      STATE_DIR: stateDir,
      RCLONE_PATH: remoteDir,
      STANDBY_STATUS_FILE: statusFile,
      STANDBY_PORT: '0',
      VIGIE_DATA_DIR: join(dir, '.vigie'),
      TELEGRAM_BOT_TOKEN: TG_TOKEN,
      TELEGRAM_CHAT_ID: '42',
      TELEGRAM_API_URL: tg.url,
      ...env,
    },
    async startMonitor() {
      const m = spawnVigie(['standby', 'run'], s.env);
      s.monitor = m;
      cleanups.push(async () => void (await m.stop('SIGKILL')));
      const line = await m.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('standby monitor listening'), 25_000);
      return line.url as string;
    },
  };
  // A standby left running by a failed test is stopped (it outlives the monitor by design).
  cleanups.push(() => {
    const pid = recordedPid(s.pidFile);
    if (pid && alive(pid)) process.kill(-pid, 'SIGKILL');
  });
  return s;
}

/** The monitor's JSON log lines with this message prefix. */
function logs(m: VigieProcess, prefix: string): Array<Record<string, unknown>> {
  return m
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => typeof l.msg === 'string' && l.msg.startsWith(prefix));
}

function filesOf(dir: string, base = dir): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) Object.assign(out, filesOf(p, base));
    else out[p.slice(base.length + 1)] = readFileSync(p, 'utf8');
  }
  return out;
}

const readStatusFile = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as { state: { name: string; step?: string }; machine?: { id: string; state: string } };

describe.skipIf(!rclone)('vigie standby (real processes, real rclone)', () => {
  it('local: kill the primary → state copied, standby up, one message; primary back → state copied back, standby gone, one message', async () => {
    const primaryPort = await freePort();
    const standbyPort = await freePort();
    let primary = startSite(primaryPort);
    const s = await scenario({
      MACHINE_PROVIDER: 'local',
      LOCAL_HEALTH_URL: `http://127.0.0.1:${primaryPort}/status`,
      FLY_HEALTH_URL: `http://127.0.0.1:${standbyPort}/health`,
    });
    // The standby writes new state into the remote copy, as a real one would while active.
    s.env.STANDBY_START_COMMAND = `exec "${process.execPath}" "${SITE}" ${standbyPort} --write "${join(s.remoteDir, 'from-standby.txt')}=made by the standby"`;
    await until(() => statusOf(`http://127.0.0.1:${primaryPort}/`).then((c) => c === 200), 'the primary');
    const url = await s.startMonitor();
    const m = s.monitor!;
    await m.waitForLog((l) => l.msg === 'primary check ok' || l.msg === 'standby: primary-active → confirming' || false, 5000).catch(() => undefined);
    expect(await (await fetch(`${url}/api/v1/standby/active`)).json()).toMatchObject({ active: 'primary', primaryMayRun: true });

    primary.kill('SIGKILL');
    const killedAt = Date.now();
    await m.waitForLog((l) => l.msg === 'standby: failing-over → standby-active', 20_000);
    // Three failed checks, each with its reason, then the failover.
    const failed = logs(m, 'primary check failed');
    expect(failed).toHaveLength(3);
    // Refused, or reset or closed (undici's UND_ERR_SOCKET: the kernel sent FIN, not RST) on the
    // kept-alive connection the killed primary held: which one depends on timing.
    expect(failed[0]!.reason).toMatch(/network error \((ECONNREFUSED|ECONNRESET|UND_ERR_SOCKET)\)/);
    expect(Date.now() - killedAt).toBeLessThan(15_000);
    // The state folder was copied, contents equal.
    expect(filesOf(s.remoteDir)).toMatchObject(filesOf(s.stateDir));
    expect(filesOf(s.remoteDir)['nested/journal.log']).toBe('line 1\nline 2\n');
    // The standby runs and answers healthy.
    const pid = recordedPid(s.pidFile)!;
    expect(alive(pid)).toBe(true);
    expect(await statusOf(`http://127.0.0.1:${standbyPort}/health`)).toBe(200);
    expect(await (await fetch(`${url}/api/v1/standby/active`)).json()).toMatchObject({ active: 'standby', primaryMayRun: false, standbyMayRun: true });
    const [msg] = await s.tg.waitForMessages(1);
    expect(msg!.chatId).toBe('42');
    expect(msg!.text).toContain('Failover');
    expect(msg!.text).toContain(`local ${pid}`);
    expect(msg!.text).toContain('State synced');
    const cli = await runVigie(['standby', 'status'], s.env);
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ state: 'standby-active', monitor: 'running', machine: { id: String(pid), state: 'running' }, lastSync: { ok: true } });

    primary = startSite(primaryPort);
    await m.waitForLog((l) => l.msg === 'standby: failing-back → primary-active', 20_000);
    const okChecks = logs(m, 'primary check ok');
    expect(okChecks.length).toBeGreaterThanOrEqual(3);
    // The standby's state came back, the standby is gone.
    expect(readFileSync(join(s.stateDir, 'from-standby.txt'), 'utf8')).toBe('made by the standby');
    await until(() => !alive(pid), 'the standby to exit', 5000);
    expect(await statusOf(`http://127.0.0.1:${standbyPort}/health`)).toBe(0);
    const msgs = await s.tg.waitForMessages(2);
    expect(msgs[1]!.text).toContain('Fail-back');
    expect(msgs[1]!.text).toContain('State copied back');
    // Exactly one message each: nothing more arrives.
    await new Promise((r) => setTimeout(r, 1500));
    expect(s.tg.messages).toHaveLength(2);
    expect(await (await fetch(`${url}/api/v1/standby/active`)).json()).toMatchObject({ active: 'primary' });
    expect(readStatusFile(s.statusFile).state.name).toBe('primary-active');
    // Metrics tell the same story.
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/vigie_standby_transitions_total\{from="failing-over",to="standby-active"\} 1/);
    expect(metrics).toMatch(/vigie_standby_syncs_total\{direction="from-remote",outcome="ok"\} 1/);
    // The log file beside the status file has the transitions too.
    expect(readFileSync(join(s.dir, 'run', 'standby.log'), 'utf8')).toContain('failing-back → primary-active');
    expect(await m.stop('SIGTERM')).toBe(0);
  }, 90_000);

  it('fly: the stopped machine is started, then stopped again; FLY_API_TOKEN never shows', async () => {
    const fly = await FakeFlyServer.start({ token: FLY_TOKEN, transitionMs: 100 });
    cleanups.push(() => fly.close());
    const app = 'vigie-standby';
    const machine = fly.machines.addMachine(app, { region: 'cdg', state: 'stopped' });
    // The standby's health: healthy while its machine is started, as the real app would be.
    const standbyHealth = await statusServer(() => (fly.machines.get(app, machine.id).state === 'started' ? 200 : 503));
    cleanups.push(() => standbyHealth.close());
    let primaryUp = true;
    const primary = await statusServer(() => (primaryUp ? 200 : 503));
    cleanups.push(() => primary.close());
    const s = await scenario({
      MACHINE_PROVIDER: 'fly',
      FLY_APP: app,
      FLY_API_URL: fly.url,
      FLY_API_TOKEN: FLY_TOKEN,
      LOCAL_HEALTH_URL: primary.url,
      FLY_HEALTH_URL: standbyHealth.url,
      LOG_LEVEL: 'debug',
    });
    await s.startMonitor();
    const m = s.monitor!;
    await m.waitForLog((l) => l.msg === 'primary check ok' || l.level === 20, 5000).catch(() => undefined);
    primaryUp = false;
    await m.waitForLog((l) => l.msg === 'standby: failing-over → standby-active', 20_000);
    expect(fly.machines.get(app, machine.id).state).toBe('started');
    expect(logs(m, 'primary check failed')[0]!.reason).toBe('HTTP 503');
    const [msg] = await s.tg.waitForMessages(1);
    expect(msg!.text).toContain(`fly ${machine.id}`);
    expect(msg!.text).toContain('answers healthy');
    expect(readStatusFile(s.statusFile).machine).toMatchObject({ id: machine.id, state: 'started' });

    primaryUp = true;
    await m.waitForLog((l) => l.msg === 'standby: failing-back → primary-active', 20_000);
    expect(fly.machines.get(app, machine.id).state).toBe('stopped');
    // Only the one machine was ever started: no second standby was created.
    expect(fly.machines.list(app)).toHaveLength(1);
    expect(fly.calls().filter((c) => c.method === 'POST' && c.path.endsWith('/start'))).toHaveLength(1);
    const msgs = await s.tg.waitForMessages(2);
    expect(msgs[1]!.text).toContain('Fail-back');
    expect(await m.stop('SIGTERM')).toBe(0);
    const everything = [m.output(), readFileSync(join(s.dir, 'run', 'standby.log'), 'utf8'), readFileSync(s.statusFile, 'utf8')].join('\n');
    expect(everything).toContain(machine.id);
    expect(everything).not.toContain(FLY_TOKEN);
    expect(everything).not.toContain(TG_TOKEN);
  }, 90_000);

  it('a flapping primary never fails over', async () => {
    let n = 0;
    // healthy, unhealthy, healthy, unhealthy…; then two failures for one success.
    const primary = await statusServer(() => (n++ < 8 ? (n % 2 === 0 ? 500 : 200) : n % 3 === 0 ? 200 : 500));
    cleanups.push(() => primary.close());
    const standbyPort = await freePort();
    const s = await scenario({
      MACHINE_PROVIDER: 'local',
      LOCAL_HEALTH_URL: primary.url,
      STANDBY_START_COMMAND: `exec "${process.execPath}" "${SITE}" ${standbyPort}`,
    });
    await s.startMonitor();
    const m = s.monitor!;
    await until(() => primary.hits() >= 14, '14 checks of the primary', 30_000);
    expect(logs(m, 'primary check failed').length).toBeGreaterThanOrEqual(6);
    expect(logs(m, 'standby: confirming → failing-over')).toHaveLength(0);
    expect(logs(m, 'standby: primary-active → confirming').length).toBeGreaterThanOrEqual(3);
    expect(existsSync(s.pidFile)).toBe(false);
    expect(s.tg.requests).toHaveLength(0);
    expect(['primary-active', 'confirming']).toContain(readStatusFile(s.statusFile).state.name);
  }, 60_000);

  it('kill -9 of the monitor during failing-over: a restarted monitor finishes the failover with one standby', async () => {
    const primary = await statusServer(() => 503);
    cleanups.push(() => primary.close());
    const standbyPort = await freePort();
    const s = await scenario({
      MACHINE_PROVIDER: 'local',
      LOCAL_HEALTH_URL: primary.url,
      FLY_HEALTH_URL: `http://127.0.0.1:${standbyPort}/health`,
    });
    const starts = join(s.dir, 'starts.txt');
    // A standby slow to come up: the monitor sits in failing-over (wait-ready) when it is killed.
    s.env.STANDBY_START_COMMAND = `exec "${process.execPath}" "${SITE}" ${standbyPort} --delay-ms 4000 --record "${starts}"`;
    await s.startMonitor();
    const first = s.monitor!;
    await first.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('standby started'), 20_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const persisted = readStatusFile(s.statusFile);
    expect(persisted.state.name).toBe('failing-over');
    const pid = recordedPid(s.pidFile)!;
    expect(alive(pid)).toBe(true);

    await s.startMonitor();
    const second = s.monitor!;
    await second.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('standby monitor resumes in failing-over'), 5000);
    await second.waitForLog((l) => l.msg === 'standby: failing-over → standby-active', 30_000);
    // One standby: started once, the same process, healthy; one announcement.
    expect(readFileSync(starts, 'utf8').trim().split('\n')).toEqual([String(pid)]);
    expect(readStatusFile(s.statusFile).machine).toMatchObject({ id: String(pid), state: 'running' });
    expect(await statusOf(`http://127.0.0.1:${standbyPort}/health`)).toBe(200);
    await s.tg.waitForMessages(1);
    await new Promise((r) => setTimeout(r, 1000));
    expect(s.tg.messages).toHaveLength(1);

    // The operator stops it by hand through the running monitor: the standby goes away.
    const off = await runVigie(['standby', 'deactivate'], s.env);
    expect(off.code).toBe(0);
    expect(JSON.parse(off.stdout)).toMatchObject({ success: true, state: 'failing-back' });
    await second.waitForLog((l) => l.msg === 'standby: failing-back → primary-active', 20_000);
    await until(() => !alive(pid), 'the standby to exit', 5000);
  }, 90_000);

  it('activate and deactivate by hand without a monitor; bad settings are refused with what to do', async () => {
    const standbyPort = await freePort();
    const s = await scenario({
      MACHINE_PROVIDER: 'local',
      STANDBY_START_COMMAND: `exec "${process.execPath}" "${SITE}" ${standbyPort}`,
      FLY_HEALTH_URL: `http://127.0.0.1:${standbyPort}/health`,
    });
    const refused = await runVigie(['standby', 'deactivate'], s.env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/the standby is not active\. \[STANDBY_COMMAND_REFUSED\]/);

    const on = await runVigie(['standby', 'activate'], s.env);
    expect(on.code, on.stderr).toBe(0);
    expect(JSON.parse(on.stdout)).toMatchObject({ success: true, state: 'standby-active', active: 'standby' });
    expect(await statusOf(`http://127.0.0.1:${standbyPort}/health`)).toBe(200);
    expect(filesOf(s.remoteDir)).toEqual(filesOf(s.stateDir));
    const again = await runVigie(['standby', 'activate'], s.env);
    expect(again.code).toBe(0);
    expect(readFileSync(join(s.dir, 'run', 'standby.pid'), 'utf8')).toContain(String(recordedPid(s.pidFile)));
    const [msg] = await s.tg.waitForMessages(1);
    expect(msg!.text).toContain('Activated by hand');

    const off = await runVigie(['standby', 'deactivate'], s.env);
    expect(off.code, off.stderr).toBe(0);
    expect(JSON.parse(off.stdout)).toMatchObject({ state: 'primary-active', machine: { state: 'stopped' } });
    expect(await statusOf(`http://127.0.0.1:${standbyPort}/health`)).toBe(0);
    await s.tg.waitForMessages(2);
    expect(s.tg.messages).toHaveLength(2);

    const bad = await runVigie(['standby', 'run'], { ...s.env, LOCAL_HEALTH_URL: '', MACHINE_PROVIDER: 'local' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/LOCAL_HEALTH_URL is not set/);
    const noCmd = await runVigie(['standby', 'activate'], { ...s.env, STANDBY_START_COMMAND: '' });
    expect(noCmd.code).toBe(2);
    expect(noCmd.stderr).toMatch(/needs STANDBY_START_COMMAND/);
  }, 60_000);
});
