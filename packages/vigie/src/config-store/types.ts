/**
 * The interface every config store backend implements (Redis, file), so that one conformance
 * suite checks them all. Backends store and notify; they do not validate (the store does).
 */

/** Code of the error a backend throws when it cannot answer (Redis down, disk unreadable). */
export const CONFIG_STORE_UNAVAILABLE = 'CONFIG_STORE_UNAVAILABLE';

/** Code of the error the file backend throws when its file is not valid JSON. */
export const CONFIG_STORE_CORRUPT = 'CONFIG_STORE_CORRUPT';

/** Where run-time settings live: a Redis hash shared by every host, or a file on this host. */
export interface ConfigBackend {
  readonly kind: 'redis' | 'file';
  /** Every stored setting, decoded from JSON (text that is not JSON comes back as a string). */
  getAll(): Promise<Record<string, unknown>>;
  /** Stores one value (JSON-encoded) and tells subscribers. */
  set(key: string, value: unknown): Promise<void>;
  /** Removes one value and tells subscribers. */
  unset(key: string): Promise<void>;
  /**
   * Calls `onChange` whenever the stored settings may have changed, including changes made by
   * other processes. Returns the function that stops it.
   */
  subscribe(onChange: () => void): Promise<() => void>;
  /** Releases connections and watchers. */
  close(): Promise<void>;
}

/** Same stored value (numbers, booleans, strings, lists of strings). */
export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A stored text decoded as JSON, or kept as text when it is not JSON (a value set by hand with redis-cli). */
export function decodeValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
