/**
 * The `local` standby: STANDBY_START_COMMAND run by `/bin/sh -c`, detached in a process group of
 * its own. Unlike Vigie's other children it outlives the monitor on purpose: it is the site doing
 * the work while the primary is down, as a Fly machine would be, and restarting the monitor
 * (upgrade, crash) must not take it down. Its pid is written to a pid file synchronously, right
 * after the spawn, so a monitor restarted even after kill -9 finds it, and `activate` never starts
 * a second one. Fail-back and `vigie standby deactivate` stop the whole group (SIGTERM, then
 * SIGKILL after a grace period).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { VigieError } from '../../errors.js';
import type { Activator, StandbyMachine } from './types.js';

export interface LocalActivatorOptions {
  /** STANDBY_START_COMMAND. */
  command: string;
  /** Where the standby's pid is kept (beside the status file). */
  pidFile: string;
  /** The standby's stdout and stderr go here. */
  logFile: string;
  /** Grace between SIGTERM and SIGKILL on stop; default 10 s. */
  stopGraceMs?: number;
  clock?: () => number;
}

interface PidRecord {
  pid: number;
  startedAt: number;
  /** Linux: the process's start time in clock ticks (/proc/<pid>/stat field 22), to tell a reused pid apart. */
  procStart?: string;
}

/** Did the child die within this long of the spawn: the command is broken, not slow. */
const EARLY_EXIT_MS = 300;

/** A standby started from a shell command on this host. */
export function createLocalActivator(opts: LocalActivatorOptions): Activator {
  const clock = opts.clock ?? Date.now;
  const grace = opts.stopGraceMs ?? 10_000;

  const inspect = async (): Promise<StandbyMachine | undefined> => {
    const rec = readPid(opts.pidFile);
    if (!rec || !groupAlive(rec)) return undefined;
    return view(rec);
  };

  return {
    provider: 'local',
    inspect,

    async activate(signal) {
      signal.throwIfAborted();
      const running = await inspect();
      if (running) return running;
      await mkdir(dirname(opts.pidFile), { recursive: true });
      const out = openSync(opts.logFile, 'a');
      let child;
      try {
        child = spawn('/bin/sh', ['-c', opts.command], { detached: true, stdio: ['ignore', out, out] });
      } finally {
        closeSync(out);
      }
      const pid = child.pid;
      if (pid === undefined) {
        throw new VigieError('STANDBY_START_FAILED', 'STANDBY_START_COMMAND could not be started (/bin/sh missing?).', 500);
      }
      // Synchronously, before anything else can run: a monitor killed after this line finds the standby.
      const rec: PidRecord = { pid, startedAt: clock(), procStart: procStart(pid) };
      writePid(opts.pidFile, rec);
      child.unref();
      let exit: number | string | null | undefined;
      child.once('exit', (code, sig) => (exit = code ?? sig));
      await sleep(EARLY_EXIT_MS);
      if (exit !== undefined) {
        removePid(opts.pidFile);
        throw new VigieError(
          'STANDBY_START_FAILED',
          `STANDBY_START_COMMAND exited at once (${exit}); see ${opts.logFile}. Fix the command, then the monitor retries.`,
          500,
        );
      }
      return view(rec);
    },

    async deactivate(signal) {
      const rec = readPid(opts.pidFile);
      if (!rec || !groupAlive(rec)) {
        removePid(opts.pidFile);
        return;
      }
      signalGroup(rec.pid, 'SIGTERM');
      const deadline = clock() + grace;
      while (groupAlive(rec) && clock() < deadline) {
        signal.throwIfAborted();
        await sleep(50);
      }
      if (groupAlive(rec)) {
        signalGroup(rec.pid, 'SIGKILL');
        for (let i = 0; i < 40 && groupAlive(rec); i++) await sleep(50);
      }
      if (groupAlive(rec)) {
        throw new VigieError('STANDBY_STOP_FAILED', `The standby process group ${rec.pid} survived SIGKILL; stop it by hand.`, 500);
      }
      removePid(opts.pidFile);
    },
  };
}

/** What the status file and the log show: the pid, never the command (it may carry a secret inline). */
function view(rec: PidRecord): StandbyMachine {
  return { provider: 'local', id: String(rec.pid), state: 'running', startedAt: rec.startedAt };
}

function readPid(file: string): PidRecord | undefined {
  try {
    const rec = JSON.parse(readFileSync(file, 'utf8')) as PidRecord;
    return Number.isInteger(rec.pid) && rec.pid > 1 ? rec : undefined;
  } catch {
    return undefined;
  }
}

function writePid(file: string, rec: PidRecord): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(rec), { mode: 0o600 });
  renameSync(tmp, file);
}

function removePid(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Already gone.
  }
}

/** True while some process of the standby's group lives (and the leader's pid was not reused). */
function groupAlive(rec: PidRecord): boolean {
  if (rec.procStart !== undefined) {
    const now = procStart(rec.pid);
    // The leader is gone or its pid is someone else's now; the group may still have members.
    if (now !== undefined && now !== rec.procStart) return false;
  }
  try {
    // An exited leader is reaped by Node (this monitor) or by init, so it does not linger as a zombie.
    process.kill(-rec.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // Gone in the meantime.
  }
}

/** Linux: the process's start time (field 22 of /proc/<pid>/stat; the fields after the command name start at 3). */
function procStart(pid: number): string | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
