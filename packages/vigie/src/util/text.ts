/**
 * NUL (\u0000) in text: PostgreSQL refuses it in a text column ("invalid byte sequence"), SQLite
 * stores it, C-based tools cut the string at it. Vigie refuses it wherever text comes in, so that
 * a request fails the same way, with a 400, on every store.
 */

/** True when `s` holds a NUL character. */
export function hasNul(s: string): boolean {
  return s.includes('\u0000');
}

/** The validation message for a NUL character. */
export const NUL_MESSAGE = 'must not contain a NUL character (\\u0000)';
