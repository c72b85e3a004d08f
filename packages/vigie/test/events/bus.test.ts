import { describe, expect, it, vi } from 'vitest';
import { EventBus } from '../../src/events/bus.js';

describe('EventBus', () => {
  it('numbers events in order and hands each to its listeners and to *', () => {
    const bus = new EventBus({ now: () => 42 });
    const health: unknown[] = [];
    const all: string[] = [];
    bus.on('worker.health', (e) => health.push(e));
    bus.on('*', (e) => all.push(`${e.id}:${e.type}`));
    bus.emit('worker.health', { workerId: 'w1', healthy: false, reason: 'ECONNREFUSED' });
    bus.emit('worker.removed', { workerId: 'w1', name: 'W1', url: 'http://127.0.0.2:8081' });
    expect(health).toEqual([{ id: 1, type: 'worker.health', at: 42, data: { workerId: 'w1', healthy: false, reason: 'ECONNREFUSED' } }]);
    expect(all).toEqual(['1:worker.health', '2:worker.removed']);
    expect(bus.lastId).toBe(2);
  });

  it('stops calling a listener once unsubscribed', () => {
    const bus = new EventBus();
    const fn = vi.fn();
    const off = bus.on('config.changed', fn);
    bus.emit('config.changed', { keys: ['lbStrategy'] });
    off();
    bus.emit('config.changed', { keys: ['logLevel'] });
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('keeps going when a listener throws, and logs it', () => {
    const error = vi.fn();
    const bus = new EventBus({ logger: { error } as never });
    const after = vi.fn();
    bus.on('leadership.lost', () => {
      throw new Error('boom');
    });
    bus.on('leadership.lost', after);
    bus.emit('leadership.lost', { reason: 'lease expired' });
    expect(after).toHaveBeenCalledOnce();
    expect(error).toHaveBeenCalledOnce();
  });

  it('replays what a reader missed, or says it cannot when the history has moved on', () => {
    const bus = new EventBus({ historySize: 3 });
    for (let i = 0; i < 5; i++) bus.emit('config.changed', { keys: [String(i)] });
    expect(bus.since(5)).toEqual([]);
    expect(bus.since(3)!.map((e) => e.id)).toEqual([4, 5]);
    expect(bus.since(2)!.map((e) => e.id)).toEqual([3, 4, 5]);
    expect(bus.since(1)).toBeNull();
    expect(bus.since(0)).toBeNull();
  });
});
