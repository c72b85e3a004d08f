import { Client, type Dispatcher } from 'undici';

/** What one exchange with a worker gave: its status and the whole body as text. */
export interface Exchange {
  statusCode: number;
  text: string;
}

/** One request to a worker. */
export interface ExchangeOptions {
  method: 'GET' | 'POST';
  /** Path and query, from the origin. */
  path: string;
  headers?: Record<string, string> | undefined;
  body?: string | undefined;
  /** Longest wait for the answer's headers, then between two chunks of its body (undici's timers; default 300 s). */
  headersTimeout?: number;
  bodyTimeout?: number;
  /** Aborts the exchange: the promise rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
}

/**
 * The keep-alive connections to one worker origin, opened on demand: the first call opens one,
 * a call that finds them all busy opens another, up to `max`, after which calls queue on the
 * least busy one. An idle connection is closed by undici after its keep-alive timeout and
 * reopened by the next call.
 *
 * Why not undici's Pool: a Pool allocates a 2048-slot request queue up front (16 KB), which
 * for 5000 workers was 78 MB of the coordinator's heap (bench/scale), while nearly all of them
 * only ever carry one health probe or one batch at a time. A Client's queue grows as needed.
 */
export class ConnectionSet {
  private readonly clients: Client[] = [];
  private readonly busy: number[] = [];

  constructor(
    private readonly origin: string,
    private readonly options: Client.Options,
    private readonly max: number,
  ) {}

  /**
   * Sends one request and reads the whole answer; the connection is counted busy until then.
   * Through undici's `dispatch` with a handler that gathers the body, not `request()`: no
   * response stream, no body mixin, no promise per chunk (about a quarter of a call's CPU on
   * the execute hot path, bench/dispatch).
   */
  exchange(opts: ExchangeOptions): Promise<Exchange> {
    const i = this.pick();
    this.busy[i]!++;
    return new Promise<Exchange>((resolve, reject) => {
      const handler = new ExchangeHandler((err, answer) => {
        this.busy[i]!--;
        if (err) reject(err);
        else resolve(answer!);
      }, opts.signal);
      // `opts` as it is: undici reads the fields it knows and ignores `signal`, which the handler watches.
      this.clients[i]!.dispatch(opts, handler);
    });
  }

  /** How many connections were opened (for tests). */
  get size(): number {
    return this.clients.length;
  }

  /** Closes every connection; calls in flight finish first. */
  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
  }

  private pick(): number {
    let least = -1;
    for (let i = 0; i < this.clients.length; i++) {
      if (this.busy[i] === 0) return i;
      if (least < 0 || this.busy[i]! < this.busy[least]!) least = i;
    }
    if (this.clients.length < this.max) {
      this.clients.push(new Client(this.origin, this.options));
      this.busy.push(0);
      return this.clients.length - 1;
    }
    return least;
  }
}

/**
 * Gathers one answer for `exchange`: its status, then its body chunks, decoded once at the end.
 * Settles exactly once: on the end of the answer, on an error, or on the signal's abort (at once,
 * even while the request still waits for its connection; the request is then dropped when it starts).
 *
 * It speaks the handler interface undici's client core calls (onConnect, onHeaders, onData,
 * onComplete, onError), the one undici's own `request()` implements: a handler of the newer
 * interface (onResponseStart…) is wrapped per request in an adapter that also parses every
 * header into an object, which this reader never looks at.
 */
class ExchangeHandler implements Dispatcher.DispatchHandler {
  private statusCode = 0;
  private readonly chunks: Buffer[] = [];
  private abortRequest: ((err?: Error) => void) | undefined;
  private settled = false;
  private readonly onAbort: (() => void) | undefined;

  constructor(
    private readonly settle: (err: Error | null, answer?: Exchange) => void,
    private readonly signal: AbortSignal | undefined,
  ) {
    if (signal) {
      this.onAbort = () => {
        this.abortRequest?.(abortReason(signal));
        this.finish(abortReason(signal));
      };
      if (signal.aborted) queueMicrotask(this.onAbort);
      else signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortRequest = abort;
    if (this.settled) abort(this.signal ? abortReason(this.signal) : new Error('aborted'));
  }

  onHeaders(statusCode: number): boolean {
    this.statusCode = statusCode;
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    const text = this.chunks.length === 1 ? this.chunks[0]!.toString('utf8') : Buffer.concat(this.chunks).toString('utf8');
    this.finish(null, { statusCode: this.statusCode, text });
  }

  onError(err: Error): void {
    this.finish(err);
  }

  private finish(err: Error | null, answer?: Exchange): void {
    if (this.settled) return;
    this.settled = true;
    if (this.onAbort) this.signal!.removeEventListener('abort', this.onAbort);
    this.settle(err, answer);
  }
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('This operation was aborted', 'AbortError');
}
