// The monitor's I/O edges, for real: health checks against loopback servers, rclone copies with
// the real binary, the status file's atomic writes.
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkHealth } from '../../src/standby/health-check.js';
import { rcloneCopy, rcloneLocation } from '../../src/standby/rclone.js';
import { readStatus, writeStatus, type StandbyStatus } from '../../src/standby/status-file.js';
import { tempDir } from '../helpers/vigie-process.js';
import { freePort, rcloneBin, statusServer } from './helpers.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('checkHealth', () => {
  it('2xx is healthy; other statuses, refused connections and timeouts fail with the reason', async () => {
    let code = 204;
    const s = await statusServer(() => code);
    cleanups.push(() => s.close());
    expect(await checkHealth(s.url, 1000)).toMatchObject({ ok: true, status: 204 });
    code = 503;
    expect(await checkHealth(s.url, 1000)).toMatchObject({ ok: false, status: 503, reason: 'HTTP 503' });
    code = 302;
    expect(await checkHealth(s.url, 1000)).toMatchObject({ ok: false, reason: 'HTTP 302' });
    const port = await freePort();
    expect((await checkHealth(`http://127.0.0.1:${port}/`, 1000)).reason).toBe('network error (ECONNREFUSED)');

    const hang = http.createServer(() => undefined);
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => (hang.closeAllConnections(), hang.close(() => r()))));
    const started = Date.now();
    const slow = await checkHealth(`http://127.0.0.1:${(hang.address() as AddressInfo).port}/`, 300);
    expect(slow).toMatchObject({ ok: false, reason: 'timed out after 300 ms' });
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

const rclone = rcloneBin();

describe.skipIf(!rclone)('rcloneCopy (real rclone)', () => {
  it('copies a folder to a local "remote" and back, never deleting on the receiving side', async () => {
    const d = tempDir('vigie-rclone-');
    cleanups.push(d.cleanup);
    const state = join(d.path, 'state');
    const remote = join(d.path, 'remote');
    mkdirSync(join(state, 'sub'), { recursive: true });
    writeFileSync(join(state, 'a.json'), '{"a":1}');
    writeFileSync(join(state, 'sub', 'b.txt'), 'bee');
    mkdirSync(remote);
    writeFileSync(join(remote, 'kept.txt'), 'already there');
    const r = await rcloneCopy(state, rcloneLocation(undefined, remote), { bin: rclone!, timeoutMs: 20_000 });
    expect(r).toMatchObject({ ok: true, from: state, to: remote });
    expect(readFileSync(join(remote, 'sub', 'b.txt'), 'utf8')).toBe('bee');
    expect(readFileSync(join(remote, 'kept.txt'), 'utf8')).toBe('already there');
    writeFileSync(join(remote, 'a.json'), '{"a":2}');
    expect((await rcloneCopy(remote, state, { bin: rclone!, timeoutMs: 20_000 })).ok).toBe(true);
    expect(readFileSync(join(state, 'a.json'), 'utf8')).toBe('{"a":2}');
  });

  it('a failed copy resolves with rclone\'s reason; an unknown remote too', async () => {
    const d = tempDir('vigie-rclone-');
    cleanups.push(d.cleanup);
    const missing = await rcloneCopy(join(d.path, 'nope'), join(d.path, 'out'), { bin: rclone!, timeoutMs: 20_000 });
    expect(missing.ok).toBe(false);
    expect(missing.error).toMatch(/rclone exited with \d+: .*(not found|no such file)/i);
    const remote = await rcloneCopy(d.path, rcloneLocation('no-such-remote', 'x'), { bin: rclone!, timeoutMs: 20_000 });
    expect(remote.ok).toBe(false);
    expect(remote.error).toMatch(/no-such-remote/);
  });

  it('past the timeout the child is killed and the copy fails', async () => {
    const d = tempDir('vigie-rclone-');
    cleanups.push(d.cleanup);
    // A wrapper that hangs before handing over to rclone: the timeout must kill it.
    const slow = join(d.path, 'slow-rclone');
    const pidFile = join(d.path, 'pid');
    writeFileSync(slow, `#!/bin/sh\necho $$ > "${pidFile}"\nexec sleep 30\n`);
    chmodSync(slow, 0o755);
    const started = Date.now();
    const r = await rcloneCopy(d.path, join(d.path, 'out'), { bin: slow, timeoutMs: 300 });
    expect(r).toMatchObject({ ok: false, error: 'timed out after 300 ms (rclone killed)' });
    expect(Date.now() - started).toBeLessThan(3000);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(() => process.kill(pid, 0)).toThrow();
  });

  it('an abort (monitor stopping) kills rclone', async () => {
    const d = tempDir('vigie-rclone-');
    cleanups.push(d.cleanup);
    const slow = join(d.path, 'slow-rclone');
    writeFileSync(slow, '#!/bin/sh\nexec sleep 30\n');
    chmodSync(slow, 0o755);
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 100);
    const r = await rcloneCopy(d.path, join(d.path, 'out'), { bin: slow, timeoutMs: 20_000, signal: ctl.signal });
    expect(r.error).toMatch(/aborted/);
  });
});

describe('rcloneCopy without the binary', () => {
  it('says how to install it', async () => {
    const r = await rcloneCopy('/tmp', '/tmp/x', { bin: '/nonexistent/rclone', timeoutMs: 1000 });
    expect(r).toMatchObject({ ok: false, error: expect.stringContaining('install rclone') });
  });
});

describe('status file', () => {
  const status = (name: 'primary-active' | 'confirming'): StandbyStatus => ({
    version: 1,
    state: name === 'confirming' ? { name, since: 1, failures: 2 } : { name, since: 1 },
    active: 'primary',
    updatedAt: 2,
    provider: 'local',
    checks: [],
    standbyChecks: [],
  });

  it('round-trips, leaves no temp file behind, and a missing file is undefined', async () => {
    const d = tempDir('vigie-status-');
    cleanups.push(d.cleanup);
    const file = join(d.path, 'deep', 'status.json');
    expect(await readStatus(file)).toBeUndefined();
    await writeStatus(file, status('primary-active'));
    await Promise.all([writeStatus(file, status('confirming')), writeStatus(file, status('confirming'))]);
    expect((await readStatus(file))?.state).toEqual({ name: 'confirming', since: 1, failures: 2 });
    expect(readdirSync(join(d.path, 'deep'))).toEqual(['status.json']);
  });

  it('a corrupt file is an error that names it and says what to do', async () => {
    const d = tempDir('vigie-status-');
    cleanups.push(d.cleanup);
    const file = join(d.path, 'status.json');
    writeFileSync(file, '{"version":1,"sta');
    await expect(readStatus(file)).rejects.toMatchObject({ code: 'STANDBY_STATUS_UNREADABLE', message: expect.stringContaining(file) });
  });
});
