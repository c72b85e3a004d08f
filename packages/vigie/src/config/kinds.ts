import { z } from 'zod';

/**
 * The value kinds a setting can have. Each kind pairs a Zod schema (for values from the config
 * file or code, already typed) with a parser for strings (env vars and flags are always
 * strings), so that `"false"` from the environment is false and not a truthy string.
 */
export interface Kind<T> {
  readonly schema: z.ZodType<T>;
  /** Turns a string from env or a flag into the raw value that `schema` then checks. */
  fromString(raw: string): unknown;
  /** Shown in the docs' "allowed" column. */
  readonly allowed: string;
}

// Only these spellings: tools disagree on "yes", "on" or "y", and a switch such as
// ENABLE_FAILOVER or VIGIE_INSECURE is better refused with the allowed values than guessed.
const TRUE = new Set(['true', '1']);
const FALSE = new Set(['false', '0']);

/** An integer in [min, max]. */
export function int(min: number, max = Number.MAX_SAFE_INTEGER): Kind<number> {
  return {
    schema: z.number().int().min(min).max(max),
    fromString: (raw) => (/^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw),
    allowed: max === Number.MAX_SAFE_INTEGER ? `integer ≥ ${min}` : `integer ${min}–${max}`,
  };
}

/** A boolean; env and flags accept true/false or 1/0 (any case), nothing else. */
export function bool(): Kind<boolean> {
  return {
    // A config file may hold 1/0 as numbers too.
    schema: z.union([z.boolean(), z.literal(1).transform(() => true), z.literal(0).transform(() => false)], {
      error: 'expected true or false (or 1 or 0)',
    }),
    fromString: (raw) => {
      const v = raw.trim().toLowerCase();
      return TRUE.has(v) ? true : FALSE.has(v) ? false : raw;
    },
    allowed: 'true | false | 1 | 0',
  };
}

/** A non-empty string. */
export function str(): Kind<string> {
  return { schema: z.string().min(1), fromString: (raw) => raw, allowed: 'text' };
}

/** One of the given words. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T): Kind<T[number]> {
  return {
    schema: z.enum(values) as unknown as z.ZodType<T[number]>,
    fromString: (raw) => raw.trim(),
    allowed: values.join(' | '),
  };
}

/** A list; env gives it comma-separated. */
export function list(): Kind<string[]> {
  return {
    schema: z.array(z.string().min(1)),
    fromString: (raw) =>
      raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    allowed: 'comma-separated list',
  };
}

/** An absolute URL with one of the given schemes. */
export function url(schemes: readonly string[]): Kind<string> {
  return {
    schema: z.string().refine(
      (v) => {
        try {
          return schemes.includes(new URL(v).protocol.replace(/:$/, ''));
        } catch {
          return false;
        }
      },
      { message: `expected a URL (${schemes.join(', ')})` },
    ),
    fromString: (raw) => raw.trim(),
    allowed: `URL (${schemes.join(', ')})`,
  };
}
