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

/** Candidates without duplicates, first occurrence kept, so a repeated id does not weigh double. */
export function distinct(candidates: readonly string[]): readonly string[] {
  return new Set(candidates).size === candidates.length ? candidates : [...new Set(candidates)];
}
