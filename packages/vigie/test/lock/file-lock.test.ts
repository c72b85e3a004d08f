// File-lock specifics: the seed's WARNING, the grant files on disk, takeover of an expired or
// unreadable grant, clean-up of old grants, and an unusable lock folder.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VigieError } from '../../src/errors.js';
import { FILE_LOCK_WARNING, FileLock } from '../../src/lock/file-lock.js';
import { captureLogger, sleep } from './helpers.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'vigie-filelock-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('file lock', () => {
  it("logs the seed's WARNING: unsafe for multi-container deployments", async () => {
    const { logger, lines } = captureLogger();
    const lock = new FileLock({ dataDir: await tempDir(), logger });
    const warn = lines().find((l) => String(l.msg).includes('unsafe for multi-container deployments'));
    expect(warn).toBeDefined();
    expect(warn!.level).toBe(40);
    expect(String(warn!.msg)).toContain('Using file-based lock (unsafe for multi-container deployments)');
    expect(String(warn!.msg)).toContain('REDIS_URL');
    expect(FILE_LOCK_WARNING).toBe('Using file-based lock (unsafe for multi-container deployments)');
    await lock.close();
  });

  it('keeps one file per grant, named by its fencing number, holding token and expiry', async () => {
    const dataDir = await tempDir();
    const { logger } = captureLogger();
    const lock = new FileLock({ dataDir, logger });
    const before = Date.now();
    const g = (await lock.acquire('poller_lock', 60_000))!;
    const dir = join(dataDir, 'locks', 'poller_lock');
    expect(lock.dirOf('poller_lock')).toBe(dir);
    expect(await readdir(dir)).toEqual(['000000000001.lock']);
    const content = JSON.parse(await readFile(join(dir, '000000000001.lock'), 'utf8'));
    expect(content).toMatchObject({ token: g.token, fencing: 1, released: false });
    expect(content.expiresAt).toBeGreaterThanOrEqual(before + 60_000);
    expect(await lock.release(g)).toBe(true);
    expect(JSON.parse(await readFile(join(dir, '000000000001.lock'), 'utf8')).released).toBe(true);
  });

  it('lets exactly one of many contenders take over an expired grant', async () => {
    const dataDir = await tempDir();
    const { logger } = captureLogger();
    const locks = Array.from({ length: 8 }, () => new FileLock({ dataDir, logger }));
    const first = (await locks[0]!.acquire('leader', 400))!;
    for (let round = 0; round < 3; round++) {
      await sleep(450);
      const won = (await Promise.all(locks.map((l) => l.acquire('leader', 400)))).filter((g) => g !== null);
      expect(won).toHaveLength(1);
      expect(won[0]!.fencing).toBe(first.fencing + round + 1);
    }
  });

  it('takes over a grant file that cannot be read (a disk that lost its content)', async () => {
    const dataDir = await tempDir();
    const { logger } = captureLogger();
    const lock = new FileLock({ dataDir, logger });
    const g = (await lock.acquire('leader', 60_000))!;
    await writeFile(join(lock.dirOf('leader'), '000000000001.lock'), '');
    expect((await lock.inspect('leader')).holder).toBeNull();
    const next = (await lock.acquire('leader', 60_000))!;
    expect(next.fencing).toBe(g.fencing + 1);
    expect(await lock.extend(g, 60_000)).toBeNull();
  });

  it('ignores files that are not grants, and cleans up old grants', async () => {
    const dataDir = await tempDir();
    const { logger } = captureLogger();
    const lock = new FileLock({ dataDir, logger });
    const first = (await lock.acquire('leader', 60_000))!;
    await lock.release(first);
    await writeFile(join(lock.dirOf('leader'), 'README'), 'not a grant');
    await writeFile(join(lock.dirOf('leader'), '99.lock.bak'), '{}');
    let last = first;
    for (let i = 0; i < 20; i++) {
      last = (await lock.acquire('leader', 60_000))!;
      await lock.release(last);
    }
    expect(last.fencing).toBe(21);
    const grants = (await readdir(lock.dirOf('leader'))).filter((n) => /^\d+\.lock$/.test(n));
    expect(grants.length).toBeLessThanOrEqual(6);
    expect(grants).toContain('000000000021.lock');
    expect(await readdir(lock.dirOf('leader'))).not.toContain(expect.stringMatching(/^\.tmp-/));
  });

  it('refuses a renewal too close to the end of the lease (a takeover may already be under way)', async () => {
    const dataDir = await tempDir();
    const { logger } = captureLogger();
    const lock = new FileLock({ dataDir, logger });
    const g = (await lock.acquire('leader', 200))!;
    await sleep(190); // 10 ms left; the margin for a 200 ms lease is 25 ms
    expect(await lock.extend(g, 200)).toBeNull();
    const h = (await lock.acquire('other', 1000))!;
    expect(await lock.extend(h, 1000)).not.toBeNull();
  });

  it('reports an unusable lock folder as LOCK_BACKEND_UNAVAILABLE, naming it', async () => {
    const dataDir = await tempDir();
    const notADir = join(dataDir, 'file');
    await writeFile(notADir, 'x');
    const { logger } = captureLogger();
    const lock = new FileLock({ dataDir: notADir, logger });
    const err = await lock.acquire('leader', 1000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VigieError);
    expect((err as VigieError).code).toBe('LOCK_BACKEND_UNAVAILABLE');
    expect((err as VigieError).message).toContain(join(notADir, 'locks', 'leader'));
  });
});
