import type { Alert } from '../store/index.js';
import type { Item } from '../wire/check-alerts.js';

/** Why an item passed or not; `reason` is for debug logs and tests. */
export type FilterVerdict = { ok: true } | { ok: false; reason: string };

/** Letters that Unicode decomposition leaves whole, spelled the way people type them. */
const LIGATURES: Record<string, string> = { œ: 'oe', æ: 'ae', ß: 'ss', ø: 'o', ł: 'l', đ: 'd' };

/** `text` lower-cased, without accents or ligatures: "Très Bon ÉTAT" → "tres bon etat". */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[œæßøłđ]/g, (c) => LIGATURES[c] ?? c);
}

/** The words of `text`, normalized: runs of letters and digits. */
export function words(text: string): string[] {
  return normalizeText(text).match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** True when the word sequence `needle` appears in `haystack` as whole words, in order. */
function containsPhrase(haystack: string[], needle: string[]): boolean {
  if (needle.length === 0 || needle.length > haystack.length) return false;
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/**
 * Whether `item` satisfies `alert`'s filters. Bounds are inclusive and null means unbounded;
 * an item without a price fails a bounded range (its price is unknown, not free). Words match
 * whole words, ignoring case and accents; an include or exclude "word" may be a phrase
 * ("air max"), matched as consecutive words.
 */
export function filterItem(item: Item, alert: Alert): FilterVerdict {
  const { priceMin, priceMax } = alert;
  if (priceMin !== null || priceMax !== null) {
    if (item.price === null || !Number.isFinite(item.price)) return { ok: false, reason: 'no price, and the alert has a price range' };
    if (priceMin !== null && item.price < priceMin) return { ok: false, reason: `price ${item.price} below ${priceMin}` };
    if (priceMax !== null && item.price > priceMax) return { ok: false, reason: `price ${item.price} above ${priceMax}` };
  }

  const conditions = alert.conditions.map((c) => normalizeText(c).trim()).filter((c) => c !== '');
  if (conditions.length > 0) {
    if (item.condition === null) return { ok: false, reason: 'no condition, and the alert lists conditions' };
    const condition = normalizeText(item.condition).trim();
    if (!conditions.includes(condition)) return { ok: false, reason: `condition "${item.condition}" not in ${alert.conditions.join(', ')}` };
  }

  const title = words(item.title);
  for (const w of alert.includeWords) {
    const needle = words(w);
    if (needle.length > 0 && !containsPhrase(title, needle)) return { ok: false, reason: `title lacks "${w}"` };
  }
  for (const w of alert.excludeWords) {
    const needle = words(w);
    if (needle.length > 0 && containsPhrase(title, needle)) return { ok: false, reason: `title has excluded "${w}"` };
  }
  return { ok: true };
}
