import { randomBytes } from 'node:crypto';
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { BusEvent, EventBus } from '../events/bus.js';

export interface EventFeedOptions {
  /** A comment line this often keeps proxies and idle timeouts from closing a quiet stream. Default 15 s. */
  heartbeatMs?: number;
  /**
   * Bytes a client may have waiting, in this process, while its socket does not drain. Past it
   * the client is dropped; it reconnects with `Last-Event-ID` and gets a replay or a reload
   * notice. Default 1 MiB.
   */
  maxQueuedBytes?: number;
  /** Sent as `retry:` so that clients reconnect after this long. Default 2 s. */
  retryMs?: number;
  /** Identifies this process's numbering in event ids; random by default (tests may fix it). */
  epoch?: string;
}

/** What the feed has done, for tests and metrics. */
export interface EventFeedStats {
  clients: number;
  dropped: number;
  /** The most bytes any client had queued at once. */
  peakQueuedBytes: number;
}

/** Why the page must reload its snapshot instead of waiting for a replay. */
export type ReloadReason = 'gap' | 'other-process';

/**
 * The live feed: writes the bus's events to Server-Sent Events clients. Ids are
 * `<epoch>-<n>`, `n` the bus's number and `epoch` this process's, so that a client resuming on
 * another coordinator (failover) or after a restart is told to reload rather than given events
 * of the wrong numbering. Each client has a bounded queue: a socket that stops draining is
 * dropped once its queue exceeds `maxQueuedBytes`, so a slow reader cannot grow this process.
 */
export class EventFeed {
  readonly epoch: string;
  private readonly heartbeatMs: number;
  private readonly maxQueuedBytes: number;
  private readonly retryMs: number;
  private readonly connections = new Set<Connection>();
  private dropped = 0;
  private peakQueuedBytes = 0;
  private lastFrame: { id: number; text: string } | undefined;

  constructor(
    private readonly bus: EventBus,
    opts: EventFeedOptions = {},
  ) {
    this.epoch = opts.epoch ?? randomBytes(4).toString('hex');
    this.heartbeatMs = opts.heartbeatMs ?? 15_000;
    this.maxQueuedBytes = opts.maxQueuedBytes ?? 1024 * 1024;
    this.retryMs = opts.retryMs ?? 2000;
  }

  /**
   * Streams events to `res` (headers not sent yet) until it closes. `lastEventId` is the
   * client's `Last-Event-ID`: the events after it are replayed first. A new reader gets a
   * `hello` first, a reader that cannot be replayed to a `reload`. `headers` are those set
   * before (CORS), which a hijacked reply would not send.
   */
  attach(res: ServerResponse, lastEventId: string | undefined, headers: OutgoingHttpHeaders = {}): void {
    // The socket is not reused after a stream: when the stream ends (server closing), the
    // connection goes too, rather than idling until the keep-alive timeout holds up close().
    res.shouldKeepAlive = false;
    res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // nginx buffers responses unless told not to; a buffered feed is not live.
      'x-accel-buffering': 'no',
    });
    const conn = new Connection(res, this.maxQueuedBytes, (bytes) => {
      if (bytes > this.peakQueuedBytes) this.peakQueuedBytes = bytes;
    });
    this.connections.add(conn);
    conn.write(`retry: ${this.retryMs}\n\n`);
    // since() and on() in the same tick: no event can fall between the replay and the live feed.
    const resume = this.parseId(lastEventId);
    if (resume === undefined) conn.write(this.noticeFrame('hello', {}));
    else if (resume === 'foreign') conn.write(this.noticeFrame('reload', { reason: 'other-process' }));
    else {
      const missed = this.bus.since(resume);
      if (missed === null) conn.write(this.noticeFrame('reload', { reason: 'gap' }));
      else for (const e of missed) conn.write(this.frame(e));
    }
    const off = this.bus.on('*', (e) => conn.write(this.frame(e)));
    const heartbeat = setInterval(() => conn.write(': heartbeat\n\n'), this.heartbeatMs);
    heartbeat.unref();
    const socket = res.socket;
    res.once('close', () => {
      // A stream's socket is never reused: close it with the stream, or a client that went
      // away half-way (an aborted fetch) holds it open and the server's close() waits for it.
      socket?.destroy();
      off();
      clearInterval(heartbeat);
      this.connections.delete(conn);
      if (conn.droppedForSlowness) this.dropped++;
    });
  }

  /** Cuts every stream (the server is closing: open streams would keep it waiting). */
  closeAll(): void {
    for (const c of this.connections) c.cut();
  }

  /** Counts for tests and metrics. */
  stats(): EventFeedStats {
    return { clients: this.connections.size, dropped: this.dropped, peakQueuedBytes: this.peakQueuedBytes };
  }

  /** The SSE frame of one bus event, serialised once however many clients read it. */
  frame(e: BusEvent): string {
    if (this.lastFrame?.id !== e.id) {
      this.lastFrame = { id: e.id, text: `id: ${this.epoch}-${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify({ at: e.at, ...e.data })}\n\n` };
    }
    return this.lastFrame.text;
  }

  /**
   * `hello` (a new reader) or `reload` (replay impossible): load the snapshot now, then apply
   * the events that follow. Its id is the newest, so the next resume starts from here.
   */
  private noticeFrame(type: 'hello' | 'reload', data: { reason?: ReloadReason }): string {
    return `id: ${this.epoch}-${this.bus.lastId}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
  }

  /** The bus number to resume after; `foreign` for another process's id; undefined for none. */
  private parseId(raw: string | undefined): number | 'foreign' | undefined {
    if (raw === undefined || raw === '') return undefined;
    const m = /^([0-9a-f]+)-(\d+)$/.exec(raw);
    if (!m || m[1] !== this.epoch) return 'foreign';
    const n = Number(m[2]);
    // An id ahead of the bus cannot come from this process's numbering either.
    return n > this.bus.lastId ? 'foreign' : n;
  }
}

/** One client: writes while the socket drains, queues (bounded) while it does not. */
class Connection {
  private readonly queue: string[] = [];
  private queuedBytes = 0;
  private waitingForDrain = false;
  private closed = false;
  droppedForSlowness = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly maxQueuedBytes: number,
    private readonly onQueued: (bytes: number) => void,
  ) {
    res.on('drain', this.flush);
    res.once('close', () => {
      this.closed = true;
      this.queue.length = 0;
      this.queuedBytes = 0;
    });
  }

  write(frame: string): void {
    if (this.closed) return;
    if (this.waitingForDrain) {
      this.queue.push(frame);
      this.queuedBytes += Buffer.byteLength(frame);
      this.onQueued(this.queuedBytes);
      if (this.queuedBytes > this.maxQueuedBytes) this.drop();
      return;
    }
    // false: the socket's buffer is full; the frame is kept by it, later ones wait here.
    if (!this.res.write(frame)) this.waitingForDrain = true;
  }

  /**
   * Closes the connection at once. Not a clean end: the client should take it as this node
   * going away (it is: the server is closing) and move to another coordinator, not wait here.
   */
  cut(): void {
    if (!this.closed) this.res.destroy();
  }

  private readonly flush = (): void => {
    this.waitingForDrain = false;
    while (this.queue.length > 0 && !this.closed) {
      const frame = this.queue.shift()!;
      this.queuedBytes -= Buffer.byteLength(frame);
      if (!this.res.write(frame)) {
        this.waitingForDrain = true;
        return;
      }
    }
  };

  private drop(): void {
    this.droppedForSlowness = true;
    this.closed = true;
    this.queue.length = 0;
    this.queuedBytes = 0;
    // destroy, not end: end would wait to flush what the client is not reading.
    this.res.destroy();
  }
}
