import type { VigieConfig } from './load.js';

/**
 * The configuration of a running process, changeable at run time (the config store pushes
 * operator changes here). Components read `current()` when they act, not once at start, so a
 * change applies from the next action on, without a restart.
 */
export class LiveConfig {
  private value: VigieConfig;
  private readonly listeners = new Set<(next: VigieConfig, changed: ReadonlySet<keyof VigieConfig>) => void>();

  constructor(initial: VigieConfig) {
    this.value = initial;
  }

  /** The configuration now. */
  current(): VigieConfig {
    return this.value;
  }

  /** Applies `patch` (already validated); listeners hear which keys really changed. */
  update(patch: Partial<VigieConfig>): ReadonlySet<keyof VigieConfig> {
    const changed = new Set<keyof VigieConfig>();
    for (const [k, v] of Object.entries(patch) as Array<[keyof VigieConfig, unknown]>) {
      if (JSON.stringify(this.value[k]) !== JSON.stringify(v)) changed.add(k);
    }
    if (changed.size === 0) return changed;
    this.value = { ...this.value, ...patch };
    for (const l of this.listeners) l(this.value, changed);
    return changed;
  }

  /** Calls `listener` after each change; returns the unsubscribe function. */
  onChange(listener: (next: VigieConfig, changed: ReadonlySet<keyof VigieConfig>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
