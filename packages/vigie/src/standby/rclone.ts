/**
 * State sync with the real `rclone` binary: `rclone copy <from> <to>`, bounded by a timeout.
 * `copy` (not `sync`) never deletes on the receiving side, so a half-written or empty source
 * cannot wipe the last good copy.
 */
import { spawn } from 'node:child_process';
import { scrub } from '../observability/secrets.js';

/** Where the state goes: `remote:path`, or the folder `path` when no remote is set. */
export function rcloneLocation(remote: string | undefined, path: string): string {
  return remote ? `${remote.replace(/:$/, '')}:${path}` : path;
}

export interface RcloneCopyOptions {
  /** The rclone program (RCLONE_BIN). */
  bin: string;
  /** SYNC_TIMEOUT in ms: rclone is killed past it. */
  timeoutMs: number;
  /** Aborts the copy (monitor stopping): rclone is killed. */
  signal?: AbortSignal;
  clock?: () => number;
}

/** How one copy went; `error` is the end of rclone's stderr, or why it could not run. */
export interface SyncResult {
  ok: boolean;
  from: string;
  to: string;
  at: number;
  durationMs: number;
  error?: string;
}

/** Grace between SIGTERM and SIGKILL for an rclone that overran or was aborted. */
const KILL_GRACE_MS = 2000;
const STDERR_KEEP = 2000;

/** Runs `rclone copy from to`; resolves (never rejects) with the outcome. */
export function rcloneCopy(from: string, to: string, opts: RcloneCopyOptions): Promise<SyncResult> {
  const clock = opts.clock ?? Date.now;
  const at = clock();
  const done = (ok: boolean, error?: string): SyncResult => ({ ok, from, to, at, durationMs: clock() - at, ...(error && { error: scrub(error) }) });
  if (opts.signal?.aborted) return Promise.resolve(done(false, 'aborted before it started'));

  return new Promise((resolve) => {
    // --retries 1: the timeout bounds the whole copy, rclone's own 3 retries would eat it.
    const child = spawn(opts.bin, ['copy', from, to, '--retries', '1', '--low-level-retries', '3'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: process.env,
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-STDERR_KEEP);
    });
    let why: string | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const kill = (reason: string) => {
      if (why || child.exitCode !== null) return;
      why = reason;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    };
    const timer = setTimeout(() => kill(`timed out after ${opts.timeoutMs} ms (rclone killed)`), opts.timeoutMs);
    const onAbort = () => kill('aborted (monitor stopping; rclone killed)');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (result: SyncResult) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    child.once('error', (err: NodeJS.ErrnoException) => {
      finish(done(false, err.code === 'ENOENT' ? `${opts.bin} not found: install rclone (https://rclone.org/install/) or set RCLONE_BIN` : err.message));
    });
    child.once('close', (code, signal) => {
      if (why) return finish(done(false, why));
      if (code === 0) return finish(done(true));
      const tail = lastLines(stderr, 3);
      finish(done(false, `rclone exited with ${code ?? signal}${tail ? `: ${tail}` : ''}`));
    });
  });
}

/** The last `n` non-empty lines of `text`, joined on one line. */
function lastLines(text: string, n: number): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-n)
    .join(' | ');
}
