/**
 * "Did you mean …" for a setting name that is not one: the closest setting by Levenshtein
 * distance (fastest-levenshtein), spelled the way the name was (env style or camelCase).
 */
import { distance } from 'fastest-levenshtein';
import { SETTINGS, type Setting, type SettingKey } from './settings.js';

/** Case, `_` and `-` do not count: `LB_STRATEGY`, `lbStrategy` and `lb-strategy` are one name. */
function normal(name: string): string {
  return name.toLowerCase().replace(/[_-]/g, '');
}

/** An env-style name (`VIGIE_API_KEY`) rather than a file key (`apiKey`). */
function isEnvStyle(name: string): boolean {
  return /^[A-Z0-9_]+$/.test(name) && /[A-Z]/.test(name);
}

/**
 * The setting `name` most likely meant, spelled like `name` (env name or key), or undefined when
 * none is within `limit` edits (by default about one per three characters, at least two).
 */
export function closestSetting(name: string, limit = Math.max(2, Math.ceil(normal(name).length / 3))): string | undefined {
  const target = normal(name);
  let best: { key: SettingKey; d: number } | undefined;
  for (const [key, s] of Object.entries(SETTINGS) as Array<[SettingKey, Setting]>) {
    const d = Math.min(distance(target, normal(key)), distance(target, normal(s.env)));
    if (d <= limit && (!best || d < best.d)) best = { key, d };
  }
  if (!best) return undefined;
  return isEnvStyle(name) ? SETTINGS[best.key].env : best.key;
}

/** The sentence to append to an "unknown setting" error. */
export function didYouMean(name: string): string {
  const close = closestSetting(name);
  return close ? `Did you mean "${close}"?` : 'Run `vigie config docs` (or see the README\'s config table) for the settings there are.';
}

/**
 * Warnings for environment names that look like a mistyped Vigie setting: `VIGIE_*` names that
 * are no setting's env name but are close to one. The bar is stricter than for an unknown file
 * key (which is an error anyway): the environment holds other `VIGIE_*` variables too, such as
 * the test suite's VIGIE_BIN, three edits from VIGIE_URL.
 */
export function unknownEnvWarnings(env: NodeJS.ProcessEnv): string[] {
  const known = new Set(Object.values(SETTINGS).map((s: Setting) => s.env));
  const out: string[] = [];
  for (const name of Object.keys(env)) {
    if (!name.startsWith('VIGIE_') || known.has(name)) continue;
    const close = closestSetting(name, Math.max(1, Math.floor(normal(name).length / 4)));
    if (close) out.push(`${name} is not a Vigie setting and is ignored. Did you mean "${close}"?`);
  }
  return out;
}
