/** Opaque timer handle (a number in browsers, an object in Node). */
export type TimerHandle = unknown;

/** Time source and timers, injected so that decision logic can be tested with a fake clock. */
export interface Clock {
  /** Milliseconds, monotonic, comparable with `Date.now()` at start-up. */
  now(): number;
  /** `background` timers must not keep a Node process alive (health probes). */
  setTimeout(fn: () => void, ms: number, background?: boolean): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

// Read once: in Node 20 `performance.timeOrigin` is a getter that calls into C++, and now() runs
// several times per request.
const timeOrigin = performance.timeOrigin;

/** Real clock on `performance` and the global timers (browsers and Node alike). */
export const systemClock: Clock = {
  now: () => timeOrigin + performance.now(),
  setTimeout(fn, ms, background) {
    const handle: unknown = globalThis.setTimeout(fn, ms);
    // Node returns a Timeout object with unref(); browsers return a number. Feature-detect so the
    // package never needs Node typings.
    if (background) (handle as { unref?: () => void } | null)?.unref?.();
    return handle;
  },
  clearTimeout(handle) {
    globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]);
  },
};
