import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';

/** A listening TCP socket as /proc/net/tcp{,6} shows it. */
export interface ProcListener {
  address: string;
  port: number;
  inode: string;
}

/** A process that holds a port, as far as this host lets us see. */
export interface PortHolder {
  pid: number;
  /** Its command line, shortened; empty when unreadable. */
  command: string;
}

const LISTEN = '0A';

/** The listening sockets in the text of /proc/net/tcp or /proc/net/tcp6 (addresses decoded). */
export function parseProcNetTcp(text: string): ProcListener[] {
  const out: ProcListener[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== LISTEN) continue;
    const [hexAddr, hexPort] = f[1]!.split(':') as [string, string];
    out.push({ address: decodeAddress(hexAddr), port: parseInt(hexPort, 16), inode: f[9]! });
  }
  return out;
}

/** /proc's address: IPv4 as one little-endian 32-bit word, IPv6 as four of them. */
function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => [w.slice(6, 8), w.slice(4, 6), w.slice(2, 4), w.slice(0, 2)].map((b) => parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join('.');
  // IPv4-mapped IPv6 (::ffff:a.b.c.d) reads as the IPv4 address it is.
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12).join('.');
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** True when a listener on `address` also takes connections for `host` (same address, or a wildcard). */
export function listenerCovers(listener: ProcListener, host: string, port: number): boolean {
  return listener.port === port && (listener.address === host || listener.address === '0.0.0.0' || listener.address === '::');
}

/**
 * Which process listens on host:port, read from /proc (Linux). Undefined when it cannot tell:
 * another OS, or a process of another user whose file descriptors we may not read.
 */
export function findPortHolder(host: string, port: number): PortHolder | undefined {
  let inodes: Set<string>;
  try {
    const listeners = ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((f) => {
      try {
        return parseProcNetTcp(readFileSync(f, 'utf8'));
      } catch {
        return [];
      }
    });
    inodes = new Set(listeners.filter((l) => listenerCovers(l, host, port)).map((l) => `socket:[${l.inode}]`));
    if (inodes.size === 0) return undefined;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let fds: string[];
      try {
        fds = readdirSync(`/proc/${entry}/fd`);
      } catch {
        continue; // another user's process, or gone
      }
      for (const fd of fds) {
        let target: string;
        try {
          target = readlinkSync(`/proc/${entry}/fd/${fd}`);
        } catch {
          continue;
        }
        if (inodes.has(target)) return { pid: Number(entry), command: commandOf(Number(entry)) };
      }
    }
  } catch {
    // no /proc: say nothing rather than guess
  }
  return undefined;
}

function commandOf(pid: number): string {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ').replace(/\s+/g, ' ');
    return cmd.length > 120 ? `${cmd.slice(0, 117)}...` : cmd;
  } catch {
    return '';
  }
}

/** Whether host:port can be listened on now: 'free', 'in-use', or the error code that prevented it. */
export function probePort(host: string, port: number): Promise<'free' | 'in-use' | string> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE' ? 'in-use' : (err.code ?? err.message)));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve('free')));
  });
}

/** One sentence naming who holds host:port, for an operator: "pid 123 (node vigie.js worker …)" or a way to find out. */
export function describePortHolder(host: string, port: number, holder = findPortHolder(host, port)): string {
  if (holder) return `held by pid ${holder.pid}${holder.command ? ` (${holder.command})` : ''}`;
  return `held by another process (find it with \`ss -ltnp 'sport = :${port}'\` or \`lsof -i :${port}\`)`;
}
