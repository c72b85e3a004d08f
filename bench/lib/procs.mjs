// Process plumbing shared by the benchmarks (bench/dispatch, bench/scale): children that are
// always stopped, log waits, /proc readings, and finding binaries. Plain Node ESM.

import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants as fsConstants, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Every child a bench started: killed at the end, on error, on Ctrl-C, on the time bound, and
 * (SIGKILL, synchronous) from the 'exit' handler whatever the way out.
 */
export class Children {
  constructor(label) {
    this.label = label;
    this.set = new Set();
    this.cleaning = undefined;
    this.onCleanup = [];
  }

  /** Spawns `cmd args` with stdout+stderr appended to `logFile` (never read under load). */
  start(name, cmd, args, { env = {}, logFile, cwd, ipc = false }) {
    const fd = openSync(logFile, 'a');
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ipc ? ['ignore', fd, fd, 'ipc'] : ['ignore', fd, fd] });
    closeSync(fd);
    const entry = { name, child, logFile, exited: false, exit: undefined };
    child.on('exit', (code, signal) => {
      entry.exited = true;
      entry.exit = signal ?? code;
    });
    child.on('error', (err) => {
      entry.exited = true;
      entry.exit = err.message;
    });
    this.set.add(entry);
    return entry;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(entry, graceMs = 1500) {
    if (entry.exited) {
      this.set.delete(entry);
      return;
    }
    const gone = new Promise((r) => entry.child.once('exit', r));
    try { entry.child.kill('SIGTERM'); } catch {}
    const timer = setTimeout(() => { try { entry.child.kill('SIGKILL'); } catch {} }, graceMs);
    await Promise.race([gone, sleep(graceMs + 1000)]);
    clearTimeout(timer);
    this.set.delete(entry);
  }

  /** Stops every child, then runs the registered cleanups (temp dirs…); once. */
  cleanup() {
    this.cleaning ??= (async () => {
      await Promise.allSettled([...this.set].map((c) => this.stop(c)));
      for (const f of this.onCleanup) try { await f(); } catch {}
    })();
    return this.cleaning;
  }

  /** Signals, crashes and a closed stdout all stop the children before the process exits. */
  installExitHandlers() {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
      process.on(sig, () => {
        process.stderr.write(`\n${this.label}: ${sig}: stopping every process it started\n`);
        void this.cleanup().finally(() => process.exit(130));
      });
    }
    const abort = (what) => (err) => {
      try { process.stderr.write(`${this.label}: ${what}: ${err?.stack ?? err}\n`); } catch {}
      void this.cleanup().finally(() => process.exit(1));
    };
    process.on('uncaughtException', abort('uncaught exception'));
    process.on('unhandledRejection', abort('unhandled rejection'));
    process.stdout.on('error', abort('stdout'));
    process.on('exit', () => {
      for (const c of this.set) if (!c.exited) try { c.child.kill('SIGKILL'); } catch {}
    });
  }
}

/** The last lines of a log file, for error messages. */
export function tailOf(file, lines = 15) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Waits for a JSON log line whose msg is `msg` in the child's log file, returns it parsed. */
export async function waitForLog(entry, msg, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let text = '';
    try { text = readFileSync(entry.logFile, 'utf8'); } catch {}
    for (const line of text.split('\n')) {
      if (!line.includes(msg)) continue;
      try {
        const j = JSON.parse(line);
        if (j.msg === msg) return j;
      } catch {}
    }
    if (entry.exited) throw new Error(`${entry.name} exited (${entry.exit}) before logging "${msg}":\n${tailOf(entry.logFile)}`);
    if (Date.now() > deadline) throw new Error(`${entry.name} did not log "${msg}" within ${timeoutMs} ms:\n${tailOf(entry.logFile)}`);
    await sleep(50);
  }
}

/** Polls `check` until it is truthy, or throws after `timeoutMs`. */
export async function waitUntil(check, timeoutMs, onPoll = () => {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    onPoll();
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`not ready within ${timeoutMs} ms${last ? ` (${last.message})` : ''}`);
    await sleep(100);
  }
}

/** A port free on `host` right now. */
export function freePort(host) {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** A source file of packages/vigie newer than the last build (dist/.tsbuildinfo), or undefined. */
export function staleBuild(root) {
  const info = path.join(root, 'packages', 'vigie', 'dist', '.tsbuildinfo');
  let built;
  try { built = statSync(info).mtimeMs; } catch { return undefined; }
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) { const r = walk(p); if (r) return r; }
      else if (e.name.endsWith('.ts') && statSync(p).mtimeMs > built) return path.relative(root, p);
    }
    return undefined;
  };
  try { return walk(path.join(root, 'packages', 'vigie', 'src')); } catch { return undefined; }
}

/** The path of an executable, from PATH plus the sbin folders Debian puts haproxy in. */
export function findOnPath(cmd) {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const d of [...dirs, '/usr/sbin', '/usr/local/sbin', '/sbin']) {
    const p = path.join(d, cmd);
    try {
      accessSync(p, fsConstants.X_OK);
      return p;
    } catch {}
  }
  return undefined;
}

/** `haproxy -v`'s first line, without the URL. */
export function haproxyVersion(bin) {
  return new Promise((resolve) => {
    const p = spawn(bin, ['-v'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('close', () => resolve(out.split('\n')[0].replace(/ - https?:\/\/\S+/, '').trim()));
    p.on('error', () => resolve('haproxy ?'));
  });
}

const CLK_TCK = 100; // sysconf(_SC_CLK_TCK) on every Linux this runs on

/** user+system CPU seconds from the text of /proc/PID/stat (the command name may hold spaces and parentheses). */
export function parseProcStatCpu(stat) {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** user+system CPU seconds of a process so far, from /proc (undefined off Linux or once it is gone). */
export function cpuSeconds(pid) {
  try {
    return parseProcStatCpu(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds of a process so far, to the nanosecond: the sum of its threads' run time from
 * /proc/PID/task/TID/schedstat (cpuSeconds counts in 10 ms ticks, too coarse for sub-second
 * rounds). Threads that ended are not counted, so read it over windows where the threads live
 * on (Node's and V8's pools do). cpuSeconds where schedstat is missing.
 */
export function cpuSecondsPrecise(pid) {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread ended between the listing and the read
      }
    }
    return ns > 0 ? ns / 1e9 : cpuSeconds(pid);
  } catch {
    return cpuSeconds(pid);
  }
}

/** Resident set size in bytes from the text of /proc/PID/status. */
export function parseVmRss(status) {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** Resident set size of a process in bytes, from /proc (undefined off Linux or once it is gone). */
export function rssBytes(pid) {
  try {
    return parseVmRss(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return undefined;
  }
}
