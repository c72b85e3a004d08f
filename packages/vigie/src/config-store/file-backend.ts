/**
 * Run-time settings in `<dataDir>/runtime-config.json`: the store without Redis, and the copy a
 * Redis-first store falls back to when Redis is down. Written whole to a temp file then renamed,
 * so a reader never sees half a file. Other processes on this host see changes by watching the
 * file; other hosts never do (that is what Redis is for).
 *
 * Writes from this process are serialised; two processes writing at the same instant may lose
 * one change (last rename wins), which is acceptable for an operator's occasional `config set`.
 */
import { randomBytes } from 'node:crypto';
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { VigieError } from '../errors.js';
import { withDeadline } from '../util/deadline.js';
import { CONFIG_STORE_CORRUPT, CONFIG_STORE_UNAVAILABLE, sameValue, type ConfigBackend } from './types.js';

/** Name of the settings file inside the data folder. */
export const RUNTIME_CONFIG_FILE = 'runtime-config.json';

export interface FileBackendOptions {
  /** The file is `<dataDir>/runtime-config.json`. */
  dataDir: string;
  /** How often subscribers look at the file. Default 500 ms. */
  watchIntervalMs?: number;
  /** Bound on every call (a hung network file system must not hang a coordinator). Default 5000 ms. */
  timeoutMs?: number;
}

interface FileContent {
  settings: Record<string, unknown>;
  updatedAt: string;
}

/** A `ConfigBackend` on one JSON file. */
export class FileConfigBackend implements ConfigBackend {
  readonly kind = 'file' as const;
  /** Absolute path of the settings file. */
  readonly path: string;
  private readonly watchIntervalMs: number;
  private readonly timeoutMs: number;
  private readonly watchers = new Set<(curr: Stats, prev: Stats) => void>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(opts: FileBackendOptions) {
    this.path = resolve(opts.dataDir, RUNTIME_CONFIG_FILE);
    this.watchIntervalMs = opts.watchIntervalMs ?? 500;
    this.timeoutMs = opts.timeoutMs ?? 5000;
  }

  getAll(): Promise<Record<string, unknown>> {
    return this.bounded('read', () => this.read());
  }

  set(key: string, value: unknown): Promise<void> {
    return this.serial('write', async () => {
      const settings = await this.read();
      settings[key] = value;
      await this.write(settings);
    });
  }

  unset(key: string): Promise<void> {
    return this.serial('write', async () => {
      const settings = await this.read();
      if (!Object.hasOwn(settings, key)) return;
      delete settings[key];
      await this.write(settings);
    });
  }

  /**
   * Makes the file hold exactly `settings` (the Redis-first store's last known values); leaves it
   * untouched when it already does, so that watchers are not woken for nothing. True if written.
   */
  replace(settings: Record<string, unknown>): Promise<boolean> {
    return this.serial('write', async () => {
      let current: Record<string, unknown> | undefined;
      try {
        current = await this.read();
      } catch {
        // A corrupt copy is simply overwritten with good values.
      }
      if (current && sameSettings(current, settings)) return false;
      await this.write({ ...settings });
      return true;
    });
  }

  async subscribe(onChange: () => void): Promise<() => void> {
    if (this.closed) throw this.unavailable('subscribe', new Error('the backend is closed'));
    // A rename gives the file a new inode even when mtime and size look the same.
    const listener = (curr: Stats, prev: Stats) => {
      if (curr.mtimeMs !== prev.mtimeMs || curr.ino !== prev.ino || curr.size !== prev.size) onChange();
    };
    watchFile(this.path, { interval: this.watchIntervalMs, persistent: false }, listener);
    this.watchers.add(listener);
    return () => {
      if (this.watchers.delete(listener)) unwatchFile(this.path, listener);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const listener of this.watchers) unwatchFile(this.path, listener);
    this.watchers.clear();
    await this.queue.catch(() => undefined);
  }

  private async read(): Promise<Record<string, unknown>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw this.corrupt((err as Error).message);
    }
    const settings = (parsed as Partial<FileContent> | null)?.settings;
    if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
      throw this.corrupt('expected { "settings": { … } }');
    }
    return { ...(settings as Record<string, unknown>) };
  }

  private async write(settings: Record<string, unknown>): Promise<void> {
    const content: FileContent = { settings, updatedAt: new Date().toISOString() };
    const dir = resolve(this.path, '..');
    await mkdir(dir, { recursive: true });
    const temp = join(dir, `.${RUNTIME_CONFIG_FILE}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await writeFile(temp, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
      await rename(temp, this.path);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    }
  }

  /** Runs `fn` after this process's previous writes (read-modify-write must not interleave). */
  private serial<T>(op: string, fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => this.bounded(op, fn));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async bounded<T>(op: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw this.unavailable(op, new Error('the backend is closed'));
    try {
      return await withDeadline(this.timeoutMs, fn, () => new Error(`no answer within ${this.timeoutMs} ms`));
    } catch (err) {
      if (err instanceof VigieError) throw err;
      throw this.unavailable(op, err);
    }
  }

  private unavailable(op: string, err: unknown): VigieError {
    return new VigieError(
      CONFIG_STORE_UNAVAILABLE,
      `Config store ${op} failed: ${this.path} is not usable: ${(err as Error | undefined)?.message ?? String(err)}. ` +
        'Check that the data folder (VIGIE_DATA_DIR) exists and is writable.',
      503,
    );
  }

  private corrupt(reason: string): VigieError {
    return new VigieError(
      CONFIG_STORE_CORRUPT,
      `Config store file ${this.path} is not valid (${reason}). Fix it, or delete it to start from the config file's values.`,
      500,
    );
  }
}

/** A file backend for `<dataDir>/runtime-config.json`. */
export function createFileBackend(opts: FileBackendOptions): FileConfigBackend {
  return new FileConfigBackend(opts);
}

function sameSettings(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if (!sameValue(a[k], b[k])) return false;
  return true;
}
