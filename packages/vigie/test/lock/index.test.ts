// createLockBackend: Redis when REDIS_URL is set, else the file lock with its WARNING.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hasCode } from '../../src/errors.js';
import { hostname } from 'node:os';
import { createLockBackend, FileLock, lockStatus, parseToken, RedisLock } from '../../src/lock/index.js';
import { captureLogger } from './helpers.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('createLockBackend', () => {
  it('uses the file lock without a Redis URL, and warns that it is unsafe across containers', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'vigie-lockidx-'));
    dirs.push(dataDir);
    const { logger, text } = captureLogger();
    const backend = createLockBackend({ dataDir, logger });
    expect(backend).toBeInstanceOf(FileLock);
    expect(backend.kind).toBe('file');
    expect(text()).toContain('unsafe for multi-container deployments');
    await backend.close();
  });

  it('uses Redis when a URL is given, without the warning', async () => {
    const { logger, text } = captureLogger();
    const backend = createLockBackend({ redisUrl: 'redis://127.0.0.1:1', dataDir: '/nonexistent', logger });
    expect(backend).toBeInstanceOf(RedisLock);
    expect(backend.kind).toBe('redis');
    expect((backend as RedisLock).lockKey('leader')).toBe('vigie:leader');
    expect(text()).not.toContain('unsafe');
    await backend.close();
  });

  it('honours an explicit mode: file despite a URL; redis without one is a configuration error', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'vigie-lockidx-'));
    dirs.push(dataDir);
    const { logger } = captureLogger();
    const file = createLockBackend({ redisUrl: 'redis://127.0.0.1:1', dataDir, logger, mode: 'file' });
    expect(file.kind).toBe('file');
    await file.close();
    let err: unknown;
    try {
      createLockBackend({ dataDir, logger, mode: 'redis' });
    } catch (e) {
      err = e;
    }
    expect(hasCode(err, 'CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toContain('REDIS_URL');
  });

  it('uses the prefix for Redis keys', async () => {
    const { logger } = captureLogger();
    const backend = createLockBackend({ redisUrl: 'redis://127.0.0.1:1', prefix: 'render_signal', dataDir: '/x', logger }) as RedisLock;
    expect(backend.lockKey('poller_lock')).toBe('render_signal:poller_lock');
    expect(backend.fencingKey('poller_lock')).toBe('render_signal:poller_lock:fencing');
    await backend.close();
  });

  it('lockStatus names the holder by host and pid, with fencing number and lease left', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'vigie-lockidx-'));
    dirs.push(dataDir);
    const { logger } = captureLogger();
    const backend = createLockBackend({ dataDir, logger });
    expect(await lockStatus(backend, 'leader')).toEqual({
      key: 'leader', backend: 'file', held: false, holder: null, host: null, pid: null, fencing: null, ttlMs: null,
    });
    const g = (await backend.acquire('leader', 10_000))!;
    const view = await lockStatus(backend, 'leader');
    expect(view).toMatchObject({ key: 'leader', held: true, holder: g.token, host: hostname(), pid: process.pid, fencing: 1 });
    expect(view.ttlMs!).toBeGreaterThan(9000);
    await backend.release(g);
    expect(await lockStatus(backend, 'leader')).toMatchObject({ held: false, fencing: 1 });
    expect(parseToken('web-1:42:00ff')).toEqual({ host: 'web-1', pid: 42 });
    expect(parseToken('pid=12345')).toBeNull();
  });
});
