// The reserve of AbortControllers made ahead of time: each controller goes to one attempt only,
// the refill waits for a later macrotask, and stop() leaves nothing scheduled.
import { describe, expect, it } from 'vitest';
import { ControllerReserve, macrotask, type Later } from '../src/controller-reserve.js';
import { createClient } from '../src/index.js';

/** A Later that runs nothing until the test says so. */
function manualLater() {
  const queued = new Map<number, () => void>();
  let next = 0;
  const later: Later = {
    schedule(fn) {
      queued.set(++next, fn);
      return next;
    },
    cancel(handle) {
      queued.delete(handle as number);
    },
  };
  const runAll = (): void => {
    const fns = [...queued.values()];
    queued.clear();
    for (const fn of fns) fn();
  };
  return { later, queued, runAll };
}

const immediates = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Immediate').length;

describe('ControllerReserve', () => {
  it('hands out a new controller on every take when no spare is waiting', () => {
    const reserve = new ControllerReserve(manualLater().later);
    const a = reserve.take();
    const b = reserve.take();
    expect(a).not.toBe(b);
    expect(a.signal.aborted).toBe(false);
    a.abort();
    expect(b.signal.aborted).toBe(false);
  });

  it('makes the spare in a later task, once, and gives it to one taker only', () => {
    const { later, queued, runAll } = manualLater();
    const reserve = new ControllerReserve(later);
    reserve.refillSoon();
    reserve.refillSoon();
    expect(queued.size).toBe(1);
    expect(reserve.ready).toBe(false);
    runAll();
    expect(reserve.ready).toBe(true);
    reserve.refillSoon(); // a spare is already waiting: nothing to schedule
    expect(queued.size).toBe(0);
    const first = reserve.take();
    expect(reserve.ready).toBe(false);
    first.abort(new Error('timed out'));
    const second = reserve.take();
    expect(second).not.toBe(first);
    expect(second.signal.aborted).toBe(false);
  });

  it('stop() cancels a pending refill and drops the spare; take() still works', () => {
    const { later, queued, runAll } = manualLater();
    const reserve = new ControllerReserve(later);
    reserve.refillSoon();
    runAll();
    reserve.take();
    reserve.refillSoon();
    expect(queued.size).toBe(1);
    reserve.stop();
    expect(queued.size).toBe(0);
    expect(reserve.ready).toBe(false);
    reserve.refillSoon();
    expect(queued.size).toBe(0);
    expect(reserve.take().signal.aborted).toBe(false);
  });

  it('with the real scheduler, refills after the current task and leaves nothing behind once stopped', async () => {
    const reserve = new ControllerReserve(macrotask);
    reserve.refillSoon();
    await Promise.resolve();
    expect(reserve.ready).toBe(false); // not within the microtasks of the current task
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(reserve.ready).toBe(true);
    reserve.take();
    const before = immediates();
    reserve.refillSoon();
    expect(immediates()).toBe(before + 1);
    reserve.stop();
    expect(immediates()).toBe(before);
  });
});

describe('client and its controller reserve', () => {
  it('gives every attempt its own signal, and close() cancels the pending refill', async () => {
    const signals: AbortSignal[] = [];
    const fetch = async (_url: string, init: RequestInit): Promise<Response> => {
      if (init.signal) signals.push(init.signal);
      return new Response('ok');
    };
    const client = createClient({ nodes: ['http://127.0.0.1:1'], fetch, healthCheckIntervalMs: 0 });
    for (let i = 0; i < 3; i++) {
      await (await client.request('/ping')).text();
      await new Promise((resolve) => setTimeout(resolve, 1)); // lets the spare be made
    }
    await client.request('/ping');
    expect(new Set(signals).size).toBe(4);
    expect(signals.every((s) => !s.aborted)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1)); // the spare is made, nothing pending
    const before = immediates();
    const pending = client.request('/ping'); // takes the spare and schedules the next one
    expect(immediates()).toBe(before + 1);
    client.close();
    expect(immediates()).toBe(before);
    await pending.catch(() => undefined);
  });
});
