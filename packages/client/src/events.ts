/** A minimal typed event emitter (no Node `events` dependency, so it runs in browsers). */
export class Emitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<(payload: never) => void>>();

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(name: K, listener: (payload: Events[K]) => void): () => void {
    let set = this.listeners.get(name);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener as (payload: never) => void);
    return () => this.off(name, listener);
  }

  /** Removes a listener added with `on`. */
  off<K extends keyof Events>(name: K, listener: (payload: Events[K]) => void): void {
    this.listeners.get(name)?.delete(listener as (payload: never) => void);
  }

  /** True when someone listens, so callers can skip building payloads. */
  has(name: keyof Events): boolean {
    return (this.listeners.get(name)?.size ?? 0) > 0;
  }

  /**
   * Calls every listener. A throwing listener must not break a request under way nor starve the
   * other listeners, so its error is reported (reportError / console) instead of propagated.
   */
  emit<K extends keyof Events>(name: K, payload: Events[K]): void {
    const set = this.listeners.get(name);
    if (set === undefined || set.size === 0) return;
    for (const listener of [...set]) {
      try {
        (listener as (payload: Events[K]) => void)(payload);
      } catch (error) {
        reportListenerError(error);
      }
    }
  }

  /** Drops every listener. */
  clear(): void {
    this.listeners.clear();
  }
}

/** Reports an error thrown by user code we called (listener, stream callback). */
export function reportListenerError(error: unknown): void {
  const report = (globalThis as { reportError?: (e: unknown) => void }).reportError;
  if (typeof report === 'function') report(error);
  else console.error('[@vigie/client] listener threw:', error);
}
