import type { Logger } from '../observability/logger.js';
import type { FleetEventMap } from './types.js';

/** One event as listeners, the log and the live feed see it: a numbered, timestamped fact. */
export type BusEvent<K extends keyof FleetEventMap = keyof FleetEventMap> = {
  [T in K]: { id: number; type: T; at: number; data: FleetEventMap[T] };
}[K];

export type Listener<K extends keyof FleetEventMap> = (event: BusEvent<K>) => void;

export interface EventBusOptions {
  logger?: Logger;
  /** How many past events `since()` can replay (the live feed's reconnect window). Default 1000. */
  historySize?: number;
  now?: () => number;
}

/**
 * The coordinator's one event bus: the fleet, the cycle runner, the elector and the config
 * store say here what happened; metrics, logs and the dashboard's live feed read it. Each event
 * gets the next id (1, 2, 3 … per process) so a reader that reconnects can ask for what it
 * missed. Listeners run synchronously in emit order; one that throws is logged and skipped, so a
 * broken reader cannot stop the writer (the fleet must not fail a ban because a metric threw).
 * Events carry no secret: they are shown to any holder of the API key.
 */
export class EventBus {
  private readonly listeners = new Map<string, Set<(event: BusEvent) => void>>();
  private readonly history: BusEvent[] = [];
  private readonly historySize: number;
  private readonly now: () => number;
  private nextId = 1;

  constructor(private readonly opts: EventBusOptions = {}) {
    this.historySize = Math.max(0, opts.historySize ?? 1000);
    this.now = opts.now ?? Date.now;
  }

  /** Publishes one event to every listener of its type and of `*`; returns it. */
  emit<K extends keyof FleetEventMap>(type: K, data: FleetEventMap[K]): BusEvent<K> {
    const event = { id: this.nextId++, type, at: this.now(), data } as BusEvent<K>;
    if (this.historySize > 0) {
      this.history.push(event as BusEvent);
      if (this.history.length > this.historySize) this.history.shift();
    }
    for (const key of [type, '*']) {
      const set = this.listeners.get(key);
      if (!set) continue;
      for (const fn of set) {
        try {
          fn(event as BusEvent);
        } catch (err) {
          this.opts.logger?.error({ err, event: type }, `event listener failed on ${type}`);
        }
      }
    }
    return event;
  }

  /** Subscribes to one type of event, or to every event with `*`; returns the unsubscribe. */
  on<K extends keyof FleetEventMap>(type: K, fn: Listener<K>): () => void;
  on(type: '*', fn: (event: BusEvent) => void): () => void;
  on(type: string, fn: (event: BusEvent) => void): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
    };
  }

  /**
   * The events after `lastId`, oldest first, for a reader that reconnects; `null` when some of
   * them have already left the bounded history (the reader must reload its snapshot instead).
   */
  since(lastId: number): BusEvent[] | null {
    if (lastId >= this.nextId - 1) return [];
    const first = this.history[0];
    if (!first || first.id > lastId + 1) return null;
    return this.history.slice(lastId + 1 - first.id);
  }

  /** The id of the newest event (0 before the first). */
  get lastId(): number {
    return this.nextId - 1;
  }
}
