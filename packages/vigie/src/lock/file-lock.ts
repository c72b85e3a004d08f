/**
 * The lock for one host, without Redis: a folder per lock under `<dataDir>/locks/<name>/`, one
 * file per grant named by its fencing number (`000000000007.lock`, JSON {token, fencing,
 * expiresAt, released}). The highest number is the current grant.
 *
 * Taking the lock is creating the next number's file with `link()`, which fails if that file
 * exists: of two processes that both saw grant 7 expire, exactly one creates 8 (a rename over a
 * single lock file could not tell them apart). Files are written whole to a temp name first, so a
 * reader never sees half a grant. Only the holder rewrites its own file (extend, release), by
 * rename. Processes on other hosts (containers) do not see this folder: hence the WARNING.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VigieError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { withDeadline } from '../util/deadline.js';
import {
  assertLockName,
  assertTtl,
  conservativeExpiry,
  LOCK_BACKEND_UNAVAILABLE,
  newToken,
  systemClock,
  type AcquireOptions,
  type Clock,
  type LockBackend,
  type LockGrant,
  type LockInfo,
} from './types.js';

export interface FileLockOptions {
  /** Locks live in `<dataDir>/locks/`. */
  dataDir: string;
  logger: Logger;
  clock?: Clock;
  /** Bound on every call (a hung network file system must not hang a loop). Default 5000 ms. */
  timeoutMs?: number;
}

/** The WARNING logged when the file lock is used (the seed's line, grep-able). */
export const FILE_LOCK_WARNING = 'Using file-based lock (unsafe for multi-container deployments)';

interface GrantFile {
  token: string;
  fencing: number;
  expiresAt: number;
  released: boolean;
}

/** Grants older than the current one by more than this are deleted. */
const KEEP_GENERATIONS = 5;
/** Temp files older than this are leftovers of a crash. */
const STALE_TEMP_MS = 60_000;
const GEN_FILE = /^(\d{1,15})\.lock$/;

/** A `LockBackend` on the local file system: one host only. */
export class FileLock implements LockBackend {
  readonly kind = 'file' as const;
  readonly root: string;
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private closed = false;

  constructor(opts: FileLockOptions) {
    this.root = join(opts.dataDir, 'locks');
    this.clock = opts.clock ?? systemClock;
    this.timeoutMs = opts.timeoutMs ?? 5000;
    opts.logger.warn(
      { lock: 'file', dir: this.root },
      `${FILE_LOCK_WARNING}: only processes on this host see it; set REDIS_URL to share one lock between containers`,
    );
  }

  async acquire(key: string, ttlMs: number, opts: AcquireOptions = {}): Promise<LockGrant | null> {
    assertLockName(key);
    assertTtl(ttlMs);
    return this.call('acquire', key, async (dir) => {
      const token = newToken();
      const startedAt = this.clock.now();
      await mkdir(dir, { recursive: true });
      const top = (await generations(dir))[0];
      if (top !== undefined) {
        const current = await readGrant(dir, top);
        if (current && !current.released && current.expiresAt > startedAt) return null;
      }
      const fencing = Math.max(top ?? 0, Math.floor(opts.fencingFloor ?? 0)) + 1;
      const grant: GrantFile = { token, fencing, expiresAt: startedAt + ttlMs, released: false };
      const tmp = await writeTemp(dir, grant);
      try {
        await link(tmp, join(dir, fileName(fencing)));
      } catch (err) {
        if (errno(err) === 'EEXIST') return null; // another process took this number first
        throw err;
      } finally {
        await unlink(tmp).catch(() => undefined);
      }
      const after = await generations(dir);
      if (after[0] !== fencing) {
        // We were slow enough for old numbers to be cleaned up under us: a newer grant rules.
        await replace(dir, { ...grant, released: true, expiresAt: startedAt });
        return null;
      }
      await collectGarbage(dir, after, this.clock.now());
      return { key, token, fencing, expiresAt: conservativeExpiry(startedAt, ttlMs) };
    });
  }

  async extend(grant: LockGrant, ttlMs: number): Promise<LockGrant | null> {
    assertTtl(ttlMs);
    return this.call('extend', grant.key, async (dir) => {
      const startedAt = this.clock.now();
      const mine = await readGrant(dir, grant.fencing);
      if (!mine || mine.token !== grant.token || mine.released) return null;
      // Another process may take the lock as soon as it has expired; renewing this close to the
      // end could overlap its takeover, so a late renewal counts as lost.
      if (mine.expiresAt - startedAt < extendMargin(ttlMs)) return null;
      if ((await generations(dir))[0] !== grant.fencing) return null;
      const expiresAt = startedAt + ttlMs;
      await replace(dir, { ...mine, expiresAt });
      if ((await generations(dir))[0] !== grant.fencing) return null;
      return { ...grant, expiresAt: conservativeExpiry(startedAt, ttlMs) };
    });
  }

  async release(grant: LockGrant): Promise<boolean> {
    return this.call('release', grant.key, async (dir) => {
      const now = this.clock.now();
      const mine = await readGrant(dir, grant.fencing);
      if (!mine || mine.token !== grant.token || mine.released || mine.expiresAt <= now) return false;
      if ((await generations(dir))[0] !== grant.fencing) return false;
      await replace(dir, { ...mine, released: true, expiresAt: now });
      return (await generations(dir))[0] === grant.fencing;
    });
  }

  async inspect(key: string): Promise<LockInfo> {
    assertLockName(key);
    return this.call('inspect', key, async (dir) => {
      const top = (await generations(dir))[0];
      if (top === undefined) return { holder: null, ttlMs: null, fencing: null };
      const current = await readGrant(dir, top);
      const now = this.clock.now();
      if (!current || current.released || current.expiresAt <= now) return { holder: null, ttlMs: null, fencing: top };
      return { holder: current.token, ttlMs: current.expiresAt - now, fencing: top };
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** The folder of one lock's grant files. */
  dirOf(name: string): string {
    return join(this.root, name);
  }

  private async call<T>(op: string, key: string, fn: (dir: string) => Promise<T>): Promise<T> {
    const dir = this.dirOf(key);
    if (this.closed) throw this.unavailable(op, dir, new Error('the lock backend is closed'));
    try {
      return await withDeadline(this.timeoutMs, () => fn(dir), () => new Error(`no answer from the file system within ${this.timeoutMs} ms`));
    } catch (err) {
      if (err instanceof VigieError) throw err;
      throw this.unavailable(op, dir, err);
    }
  }

  private unavailable(op: string, dir: string, err: unknown): VigieError {
    return new VigieError(
      LOCK_BACKEND_UNAVAILABLE,
      `Lock ${op} failed: the lock folder ${dir} is not usable: ${(err as Error | undefined)?.message ?? String(err)}. ` +
        'Check that the data directory exists and is writable by this process.',
      503,
    );
  }
}

/** A file lock backend; logs the multi-container WARNING. */
export function createFileLock(opts: FileLockOptions): FileLock {
  return new FileLock(opts);
}

function fileName(fencing: number): string {
  return `${String(fencing).padStart(12, '0')}.lock`;
}

/** How early before expiry a renewal is refused: longer than any plausible check-then-write. */
function extendMargin(ttlMs: number): number {
  return Math.min(1000, Math.max(25, Math.floor(ttlMs / 10)));
}

/** Grant numbers present in `dir`, highest first (empty when the folder does not exist). */
async function generations(dir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (errno(err) === 'ENOENT') return [];
    throw err;
  }
  const out: number[] = [];
  for (const n of names) {
    const m = GEN_FILE.exec(n);
    if (m) out.push(Number(m[1]));
  }
  return out.sort((a, b) => b - a);
}

/** A grant file, or null when missing or unreadable (a crash leaves no half-written grant, but a disk may). */
async function readGrant(dir: string, fencing: number): Promise<GrantFile | null> {
  let text: string;
  try {
    text = await readFile(join(dir, fileName(fencing)), 'utf8');
  } catch (err) {
    if (errno(err) === 'ENOENT') return null;
    throw err;
  }
  try {
    const v = JSON.parse(text) as Partial<GrantFile>;
    if (typeof v.token !== 'string' || typeof v.expiresAt !== 'number') return null;
    return { token: v.token, fencing, expiresAt: v.expiresAt, released: v.released === true };
  } catch {
    return null;
  }
}

async function writeTemp(dir: string, grant: GrantFile): Promise<string> {
  const tmp = join(dir, `.tmp-${randomBytes(8).toString('hex')}`);
  await writeFile(tmp, JSON.stringify(grant), { flag: 'wx', mode: 0o644 });
  return tmp;
}

/** Atomically rewrites a grant file (temp + rename). */
async function replace(dir: string, grant: GrantFile): Promise<void> {
  const tmp = await writeTemp(dir, grant);
  try {
    await rename(tmp, join(dir, fileName(grant.fencing)));
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** Deletes old grants and leftover temp files; failures are harmless (the next grant retries). */
async function collectGarbage(dir: string, gens: number[], now: number): Promise<void> {
  const top = gens[0] ?? 0;
  const old = gens.filter((g) => g <= top - KEEP_GENERATIONS);
  await Promise.all(old.map((g) => unlink(join(dir, fileName(g))).catch(() => undefined)));
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const n of names) {
    if (!n.startsWith('.tmp-')) continue;
    const p = join(dir, n);
    const st = await stat(p).catch(() => null);
    if (st && now - st.mtimeMs > STALE_TEMP_MS) await unlink(p).catch(() => undefined);
  }
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}
