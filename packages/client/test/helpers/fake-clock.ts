// A deterministic clock for the pure modules: time moves only when the test says so.
import type { Clock, TimerHandle } from '../../src/clock.js';

interface Timer {
  id: number;
  at: number;
  fn: () => void;
  background: boolean;
}

export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(start = 1_000_000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number, background = false): TimerHandle {
    const timer = { id: ++this.seq, at: this.t + Math.max(0, ms), fn, background };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Timers still armed. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward, firing due timers in order (timers armed meanwhile fire too if due). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.t = due.at;
      due.fn();
    }
    this.t = end;
  }
}

/** A deterministic random source cycling through `values`. */
export function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length] ?? 0;
}
