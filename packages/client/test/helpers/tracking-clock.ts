// The real clock, but counting live timers, so a test can check that close() leaves none.
import { systemClock, type Clock, type TimerHandle } from '../../src/clock.js';

export function trackingClock(): { clock: Clock; live: Set<TimerHandle> } {
  const live = new Set<TimerHandle>();
  const clock: Clock = {
    now: () => systemClock.now(),
    setTimeout(fn, ms, background) {
      const handle: TimerHandle = systemClock.setTimeout(
        () => {
          live.delete(handle);
          fn();
        },
        ms,
        background,
      );
      live.add(handle);
      return handle;
    },
    clearTimeout(handle) {
      live.delete(handle);
      systemClock.clearTimeout(handle);
    },
  };
  return { clock, live };
}
