/**
 * Hands out AbortControllers whose signal was made ahead of time, while the process was waiting on
 * the network rather than while a request was being sent.
 *
 * Every attempt needs a signal for its timeout. In Node 20 making one costs several µs
 * (`AbortSignal` is an `EventTarget` whose prototype is swapped at creation), 2–3 % of a loopback
 * request (bench/client). Making the next controller right after a request has gone out moves
 * that cost into time the caller spends waiting anyway; the CPU spent is the same. Browsers make
 * signals cheaply: there it neither helps nor hurts.
 *
 * One spare at most: under concurrency the spare goes to the first taker and the others make
 * their own, which is what they would do without a reserve.
 */
export class ControllerReserve {
  private spare: AbortController | undefined;
  private pending: unknown;
  private stopped = false;

  constructor(private readonly later: Later = macrotask) {}

  /** True when a spare is waiting to be taken. */
  get ready(): boolean {
    return this.spare !== undefined;
  }

  /** A controller whose signal has not been handed to anyone (the spare if there is one). */
  take(): AbortController {
    const spare = this.spare;
    if (spare !== undefined) {
      this.spare = undefined;
      return spare;
    }
    return fresh();
  }

  /**
   * Makes the next spare in a later macrotask, that is after the request just started has been
   * written to its socket (fetch writes within the microtasks of the current turn).
   */
  refillSoon(): void {
    if (this.spare !== undefined || this.pending !== undefined || this.stopped) return;
    this.pending = this.later.schedule(() => {
      this.pending = undefined;
      if (!this.stopped) this.spare = fresh();
    });
  }

  /** Cancels a pending refill and drops the spare; `take()` still works, without a reserve. */
  stop(): void {
    this.stopped = true;
    this.spare = undefined;
    if (this.pending !== undefined) this.later.cancel(this.pending);
    this.pending = undefined;
  }
}

/**
 * Runs a function in a later macrotask; injectable for tests. Not part of the client's `Clock`: a
 * refill only makes an object, and nothing observable waits for it, so a fake clock need not
 * drive it.
 */
export interface Later {
  schedule(fn: () => void): unknown;
  cancel(handle: unknown): void;
}

function fresh(): AbortController {
  const controller = new AbortController();
  // The signal is made lazily on first read: reading it now is the point of the reserve.
  void controller.signal;
  return controller;
}

type Immediate = (fn: () => void) => unknown;

// Node's globalThis.setImmediate runs right after the current I/O phase; browsers have no such
// function and get a zero-delay timer. Read off globalThis so the package needs no Node typings.
const g = globalThis as { setImmediate?: Immediate; clearImmediate?: (handle: unknown) => void };

/** The real `Later`: globalThis.setImmediate where there is one (Node), else a zero-delay timer. */
export const macrotask: Later =
  typeof g.setImmediate === 'function' && typeof g.clearImmediate === 'function'
    ? { schedule: (fn) => (g.setImmediate as Immediate)(fn), cancel: (h) => (g.clearImmediate as (h: unknown) => void)(h) }
    : {
        schedule: (fn) => globalThis.setTimeout(fn, 0),
        cancel: (h) => globalThis.clearTimeout(h as Parameters<typeof globalThis.clearTimeout>[0]),
      };
