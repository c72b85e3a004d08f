import net from 'node:net';
import tls from 'node:tls';

/** What one health probe gave. `unsupported`: the answer's framing is not one this probe reads (see below). */
export type ProbeOutcome =
  | { kind: 'answer'; statusCode: number; text: string }
  | { kind: 'timeout' }
  | { kind: 'network'; code?: string; message: string }
  | { kind: 'unsupported'; reason: string };

/** Longest answer head (status line + headers) and body a probe reads; more is the worker's fault. */
const MAX_HEAD_BYTES = 16 * 1024;
const MAX_BODY_BYTES = 256 * 1024;
/** An idle connection older than this is not trusted (a NAT or proxy may have dropped it silently): reconnect. */
const DEFAULT_IDLE_MS = 30_000;
const HEAD_END = '\r\n\r\n';

interface Pending {
  resolve: (o: ProbeOutcome) => void;
  timer: NodeJS.Timeout;
  signal: AbortSignal | undefined;
  /** Whether the connection carried an exchange before this one (a reset then may be the server's idle close). */
  reused: boolean;
}

/**
 * One worker's health probe over its own keep-alive connection: a fixed `GET …/health` request
 * written as one buffer, and an answer read as HAProxy's checks read it (status line, headers,
 * a `content-length` or `chunked` body). Why not the general HTTP client (undici): a probe needs
 * none of its request machinery, which costs more CPU per probe than this whole path on the same
 * workers (bench/scale/probe-micro.mjs), and 5000 probes every interval are the coordinator's
 * steady load. The health checker calls this once per worker at a time; what this probe does
 * not read (a close-delimited body, a 1xx, an ambiguous or malformed head) comes back as
 * `unsupported`, and the worker client asks the general client instead, so no answer is misread.
 */
export class HealthProbe {
  private socket: net.Socket | null = null;
  private idleSince = 0;
  private idleLimitMs = DEFAULT_IDLE_MS;
  private pending: Pending | null = null;
  private chunks: Buffer[] = [];
  private received = 0;
  private readonly request: Buffer;
  private readonly onAbort = () => this.settle({ kind: 'network', code: 'ABORT_ERR', message: 'the probe was aborted' }, true);

  private readonly host: string;
  private readonly port: number;
  private readonly tls: boolean;

  constructor(url: URL, path: string, private readonly now: () => number = Date.now) {
    this.tls = url.protocol === 'https:';
    this.host = url.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(url.port) || (this.tls ? 443 : 80);
    this.request = Buffer.from(`GET ${path} HTTP/1.1\r\nhost: ${url.host}\r\naccept: application/json\r\nuser-agent: vigie-health\r\n\r\n`, 'latin1');
  }

  /** True while a probe is in flight on this connection (a second caller uses the general client). */
  get busy(): boolean {
    return this.pending !== null;
  }

  /** Sends one probe and reads its answer, within `timeoutMs`. Never throws. */
  probe(timeoutMs: number, signal?: AbortSignal): Promise<ProbeOutcome> {
    if (signal?.aborted) return Promise.resolve({ kind: 'network', code: 'ABORT_ERR', message: 'the probe was aborted' });
    if (this.pending) return Promise.resolve({ kind: 'unsupported', reason: 'a probe is already in flight' });
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle({ kind: 'timeout' }, true), timeoutMs);
      this.pending = { resolve, timer, signal, reused: false };
      signal?.addEventListener('abort', this.onAbort, { once: true });
      this.send();
    });
  }

  /** Closes the connection; a probe in flight ends as a network failure. */
  close(): void {
    this.settle({ kind: 'network', code: 'ECONNABORTED', message: 'the connection was closed by the coordinator' }, true);
    this.drop();
  }

  private send(): void {
    const p = this.pending!;
    if (this.socket && this.now() - this.idleSince > this.idleLimitMs) this.drop();
    p.reused = this.socket !== null;
    this.chunks = [];
    this.received = 0;
    (this.socket ?? this.connect()).write(this.request);
  }

  private connect(): net.Socket {
    const { host, port } = this;
    const socket = this.tls
      ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ALPNProtocols: ['http/1.1'] })
      : net.connect({ host, port });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(socket, chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => this.onGone(socket, err.code, err.message));
    socket.on('end', () => this.onGone(socket, 'ECONNRESET', 'the worker closed the connection'));
    socket.on('close', () => this.onGone(socket, 'ECONNRESET', 'the connection closed'));
    this.socket = socket;
    this.idleLimitMs = DEFAULT_IDLE_MS;
    return socket;
  }

  private onGone(socket: net.Socket, code: string | undefined, message: string): void {
    if (socket !== this.socket) return;
    this.socket = null;
    socket.destroy();
    const p = this.pending;
    if (!p) return;
    // A kept-alive connection the worker closed as we reused it, before any byte of the answer:
    // the request was not handled (it was idle on the worker's side); try once on a new one.
    if (p.reused && this.received === 0) {
      p.reused = false;
      this.send();
      return;
    }
    this.settle({ kind: 'network', ...(code ? { code } : {}), message: code ? `${code}: ${message}` : message }, false);
  }

  private onData(socket: net.Socket, chunk: Buffer): void {
    if (socket !== this.socket) return;
    if (!this.pending) return this.drop(); // bytes nobody asked for: the connection is not in a known state
    this.received += chunk.length;
    this.chunks.push(chunk);
    const data = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks, this.received);
    if (this.chunks.length > 1) this.chunks = [data];
    const headEnd = data.indexOf(HEAD_END, 0, 'latin1');
    if (headEnd < 0) {
      if (data.length > MAX_HEAD_BYTES) this.settle({ kind: 'unsupported', reason: 'answer head larger than 16 KB' }, true);
      return;
    }
    const head = readHead(data.toString('latin1', 0, headEnd));
    if (typeof head === 'string') return this.settle({ kind: 'unsupported', reason: head }, true);
    const body = readBody(data, headEnd + HEAD_END.length, head);
    if (body === null) return; // more to come
    if (typeof body !== 'string') return this.settle({ kind: 'unsupported', reason: body.error }, true);
    if (head.keepAliveMs !== undefined) this.idleLimitMs = Math.min(DEFAULT_IDLE_MS, Math.max(0, head.keepAliveMs - 1000));
    this.settle({ kind: 'answer', statusCode: head.statusCode, text: body }, head.close);
  }

  private settle(outcome: ProbeOutcome, dropConnection: boolean): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    this.chunks = [];
    clearTimeout(p.timer);
    p.signal?.removeEventListener('abort', this.onAbort);
    if (dropConnection) this.drop();
    else if (outcome.kind === 'answer') this.idleSince = this.now();
    p.resolve(outcome);
  }

  private drop(): void {
    const s = this.socket;
    this.socket = null;
    s?.destroy();
  }
}

interface Head {
  statusCode: number;
  /** The body's length, or `chunked`. */
  length: number | 'chunked';
  close: boolean;
  keepAliveMs?: number;
}

/**
 * Reads an answer head; a string says why this probe does not read such an answer. Only a final
 * status (2xx–5xx) with a `content-length` or `chunked` body (or none: 204, 304) is read here.
 */
export function readHead(head: string): Head | string {
  const lines = head.split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(lines[0]!);
  if (!status) return 'not an HTTP/1.x status line';
  const statusCode = Number(status[1]);
  if (statusCode < 200) return `informational answer ${statusCode}`;
  let length: number | 'chunked' | undefined;
  let close = lines[0]!.startsWith('HTTP/1.0');
  let keepAliveMs: number | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) return 'malformed header line';
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') {
      if (!/^\d{1,9}$/.test(value) || (length !== undefined && length !== Number(value))) return 'invalid content-length';
      length = Number(value);
    } else if (name === 'transfer-encoding') {
      // Only a plain chunked body, never beside a content-length (an ambiguous frame).
      if (value.toLowerCase() !== 'chunked' || length !== undefined) return `transfer-encoding ${value}`;
      length = 'chunked';
    } else if (name === 'connection') {
      const v = value.toLowerCase();
      if (v.includes('close')) close = true;
      else if (v.includes('keep-alive')) close = false;
    } else if (name === 'keep-alive') {
      const t = /timeout=(\d+)/i.exec(value);
      if (t) keepAliveMs = Number(t[1]) * 1000;
    }
  }
  if (length === undefined) {
    if (statusCode === 204 || statusCode === 304) length = 0;
    else return 'body without content-length';
  }
  if (typeof length === 'number' && length > MAX_BODY_BYTES) return 'answer body larger than 256 KB';
  return { statusCode, length, close, ...(keepAliveMs !== undefined ? { keepAliveMs } : {}) };
}

/**
 * The body that starts at `start` in `data`: its text once whole, `null` while more is to come,
 * or why it cannot be read (bytes after the answer, a malformed chunk, too large).
 */
export function readBody(data: Buffer, start: number, head: Head): string | null | { error: string } {
  if (head.length !== 'chunked') {
    const have = data.length - start;
    if (have < head.length) return null;
    if (have > head.length) return { error: 'bytes after the answer' };
    return data.toString('utf8', start);
  }
  const parts: Buffer[] = [];
  let total = 0;
  let pos = start;
  for (;;) {
    const eol = data.indexOf('\r\n', pos, 'latin1');
    if (eol < 0) return data.length - pos > 1024 ? { error: 'malformed chunk size line' } : null;
    const sizeText = data.toString('latin1', pos, eol).split(';')[0]!.trim();
    if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) return { error: 'malformed chunk size line' };
    const size = parseInt(sizeText, 16);
    if (size === 0) {
      // The last chunk, then trailer lines (usually none) and an empty line.
      const end = data.indexOf(HEAD_END, eol, 'latin1');
      if (end < 0) return data.length - eol > MAX_HEAD_BYTES ? { error: 'trailers larger than 16 KB' } : null;
      if (end + HEAD_END.length !== data.length) return { error: 'bytes after the answer' };
      return parts.length === 1 ? parts[0]!.toString('utf8') : Buffer.concat(parts, total).toString('utf8');
    }
    total += size;
    if (total > MAX_BODY_BYTES) return { error: 'answer body larger than 256 KB' };
    const from = eol + 2;
    if (data.length < from + size + 2) return null;
    if (data[from + size] !== 13 || data[from + size + 1] !== 10) return { error: 'malformed chunk' };
    parts.push(data.subarray(from, from + size));
    pos = from + size + 2;
  }
}
