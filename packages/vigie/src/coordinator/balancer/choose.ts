import type { Random } from './types.js';

/** A uniform index in [0, n) from `random`, clamped so a generator returning 1 cannot overflow. */
export function randomIndex(n: number, random: Random): number {
  return Math.min(n - 1, Math.max(0, Math.floor(random() * n)));
}

/** One uniformly random element of a non-empty array. */
export function chooseOne<T>(items: readonly T[], random: Random): T {
  return items[randomIndex(items.length, random)] as T;
}

/** Two distinct uniformly random elements of an array of length ≥ 2. */
export function chooseTwo<T>(items: readonly T[], random: Random): [T, T] {
  const i = randomIndex(items.length, random);
  // Draw from the n-1 others and skip over i, so the pair is distinct without a retry loop.
  let j = randomIndex(items.length - 1, random);
  if (j >= i) j += 1;
  return [items[i] as T, items[j] as T];
}

/**
 * What `distinct` and `memberSet` derive from a frozen candidate list: the dispatcher passes the
 * fleet's selection (Fleet.selection), the same frozen array for every command until the fleet
 * changes, so with 5000 workers the O(n) work is done once per change, not once per command.
 * A list that is not frozen may change between calls: it is derived afresh each time.
 */
const derived = new WeakMap<readonly string[], { distinct?: readonly string[]; members?: ReadonlySet<string> }>();

function cacheFor(candidates: readonly string[]): { distinct?: readonly string[]; members?: ReadonlySet<string> } | undefined {
  if (!Object.isFrozen(candidates)) return undefined;
  let cache = derived.get(candidates);
  if (!cache) derived.set(candidates, (cache = {}));
  return cache;
}

/** Candidates without duplicates, first occurrence kept, so a repeated id does not weigh double. */
export function distinct(candidates: readonly string[]): readonly string[] {
  const cache = cacheFor(candidates);
  if (cache?.distinct) return cache.distinct;
  const set = new Set(candidates);
  const result = set.size === candidates.length ? candidates : [...set];
  if (cache) cache.distinct = result;
  return result;
}

/** The candidates as a set, for membership tests. */
export function memberSet(candidates: readonly string[]): ReadonlySet<string> {
  const cache = cacheFor(candidates);
  if (cache?.members) return cache.members;
  const set = new Set(candidates);
  if (cache) cache.members = set;
  return set;
}
