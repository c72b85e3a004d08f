import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseProcNetTcp, findPortHolder } from '../../src/util/ports.js';
import { isAlive, runVigie, spawnVigie, tempDir } from '../helpers/vigie-process.js';

/** A port for `vigie up --worker-port`, below Linux's ephemeral range (32768+), where other tests' outgoing connections take theirs. */
function randomPort(): number {
  return 20_000 + Math.floor(Math.random() * 12_000);
}

/** A server on a port the kernel picked (a random one could already be some connection's). */
function squat(host: string): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ host, port: 0 }, () => resolve({ server: s, port: (s.address() as AddressInfo).port }));
  });
}

describe('issue 17.1: no orphaned workers, no crash loop on a taken port', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('reads listening sockets from /proc/net/tcp and tcp6', () => {
    const tcp = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0200007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4869 1 0000 100 0 0 10 0',
      '   1: 0100007F:1F90 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000        0 4870 1 0000 100 0 0 10 0',
    ].join('\n');
    expect(parseProcNetTcp(tcp)).toEqual([{ address: '127.0.0.2', port: 8081, inode: '4869' }]);
    const tcp6 = [
      '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 777 1 0000 100 0 0 10 0',
      '   1: 0000000000000000FFFF00000300007F:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 778 1 0000 100 0 0 10 0',
    ].join('\n');
    expect(parseProcNetTcp(tcp6)).toEqual([
      { address: '::', port: 8080, inode: '777' },
      { address: '127.0.0.3', port: 8081, inode: '778' },
    ]);
  });

  it('finds the process that holds a port (this one)', async () => {
    const { server, port } = await squat('127.0.0.4');
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const holder = findPortHolder('127.0.0.4', port);
    if (process.platform !== 'linux') return; // no /proc: the message falls back to ss/lsof advice
    expect(holder?.pid).toBe(process.pid);
    expect(holder?.command).toContain('node');
  });

  it('the workers of a `vigie up` killed with SIGKILL exit by themselves within seconds', async () => {
    const dir = tempDir('vigie-orphans-');
    cleanups.push(dir.cleanup);
    const up = spawnVigie(['up', '--port', '0', '--worker-port', String(randomPort())], { VIGIE_DATA_DIR: dir.path });
    cleanups.push(async () => void (await up.stop('SIGKILL')));
    await up.waitForLog((l) => l.msg === 'coordinator listening', 30_000);
    const pids: number[] = [];
    for (const id of ['worker-1', 'worker-2', 'worker-3']) pids.push((await up.waitForLog((l) => l.worker === id && typeof l.pid === 'number')).pid as number);
    cleanups.push(() => pids.filter(isAlive).forEach((p) => process.kill(p, 'SIGKILL')));
    expect(pids.every(isAlive)).toBe(true);

    process.kill(up.child.pid!, 'SIGKILL');
    await up.exited;
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && pids.some(isAlive)) await new Promise((r) => setTimeout(r, 100));
    expect(pids.filter(isAlive)).toEqual([]);
  }, 60_000);

  it('`vigie up` with a worker port taken says who holds it and what to do, starts nothing, exits non-zero', async () => {
    const dir = tempDir('vigie-port-taken-');
    cleanups.push(dir.cleanup);
    const { server: squatter, port } = await squat('127.0.0.3');
    cleanups.push(() => new Promise<void>((r) => squatter.close(() => r())));
    const res = await runVigie(['up', '--port', '0', '--worker-port', String(port)], { VIGIE_DATA_DIR: dir.path });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`Cannot listen on 127.0.0.3:${port}`);
    expect(res.stderr).toContain('[PORT_IN_USE]');
    expect(res.stderr).toContain('Worker 2 needs it');
    expect(res.stderr).toContain('--worker-port');
    if (process.platform === 'linux') expect(res.stderr).toContain(`pid ${process.pid}`);
    expect(res.stderr).not.toMatch(/\n\s+at /); // no stack
    // Nothing started: no worker, no coordinator.
    expect(res.stdout).not.toContain('local worker');
    expect(res.stdout).not.toContain('coordinator listening');
  }, 30_000);

  it('`vigie up` with the coordinator port taken names --port', async () => {
    const dir = tempDir('vigie-port-coord-');
    cleanups.push(dir.cleanup);
    const { server: squatter, port } = await squat('127.0.0.1');
    cleanups.push(() => new Promise<void>((r) => squatter.close(() => r())));
    const res = await runVigie(['up', '--port', String(port), '--worker-port', String(randomPort())], { VIGIE_DATA_DIR: dir.path });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`Cannot listen on 127.0.0.1:${port}`);
    expect(res.stderr).toContain('the coordinator needs it');
    expect(res.stderr).toContain('`vigie up --port <port>`');
    expect(res.stdout).not.toContain('local worker');
  }, 30_000);

  it('a coordinator that cannot listen prints one PORT_IN_USE line, not a stack', async () => {
    const dir = tempDir('vigie-coord-port-');
    cleanups.push(dir.cleanup);
    const { server: squatter, port } = await squat('127.0.0.1');
    cleanups.push(() => new Promise<void>((r) => squatter.close(() => r())));
    const res = await runVigie(['coordinator', '--host', '127.0.0.1', '--port', String(port), '--insecure'], { VIGIE_DATA_DIR: dir.path });
    expect(res.code).toBe(1);
    const lines = res.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/\[PORT_IN_USE\]$/);
  }, 30_000);

  it('a worker that cannot listen prints one PORT_IN_USE line, not a stack', async () => {
    const dir = tempDir('vigie-worker-port-');
    cleanups.push(dir.cleanup);
    const { server: squatter, port } = await squat('127.0.0.1');
    cleanups.push(() => new Promise<void>((r) => squatter.close(() => r())));
    const res = await runVigie(['worker', '--host', '127.0.0.1', '--port', String(port), '--insecure'], { VIGIE_DATA_DIR: dir.path });
    expect(res.code).toBe(1);
    const lines = res.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^vigie: Cannot listen on 127\\.0\\.0\\.1:${port}: the port is held by .*\\[PORT_IN_USE\\]$`));
  }, 30_000);

  it('--exit-with-parent without an IPC channel is refused before anything starts', async () => {
    const dir = tempDir('vigie-worker-noipc-');
    cleanups.push(dir.cleanup);
    const res = await runVigie(['worker', '--port', '0', '--insecure', '--exit-with-parent'], { VIGIE_DATA_DIR: dir.path });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('IPC channel');
  });
});
