import { createHash } from 'node:crypto';
import { maskUrl } from '../observability/secrets.js';
import { SETTINGS, type Setting, type SettingKey } from './settings.js';

/**
 * A preview of a secret that proves which secret is set without revealing it: cookie names
 * (never values) for a cookie header, else the length and a short fingerprint.
 */
export function previewSecret(value: string): string {
  const fingerprint = createHash('sha256').update(value).digest('hex').slice(0, 8);
  const cookieNames = value
    .split(';')
    .map((part) => part.trim().split('=')[0]?.trim() ?? '')
    .filter((n) => /^[A-Za-z0-9_.-]{1,64}$/.test(n));
  if (value.includes('=') && cookieNames.length > 0) {
    return `${cookieNames.map((n) => `${n}=****`).join('; ')} (${value.length} chars, sha256:${fingerprint})`;
  }
  return `**** (${value.length} chars, sha256:${fingerprint})`;
}

/**
 * What `maskedConfig` reads of a config: the settings plus the file's sections. (Not the loader's
 * `VigieConfig` type, so that this module stays below the loader, which uses `maskUrl`.)
 */
type MaskableConfig = { readonly [K in SettingKey]?: unknown } & { workers: unknown; sources: Record<string, unknown>; refreshers: Record<string, unknown>; configFile?: string | undefined };

/** The effective config with every secret masked, for `vigie config check` and logs. */
export function maskedConfig(config: MaskableConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(SETTINGS) as SettingKey[]) {
    const s: Setting = SETTINGS[key];
    const v = config[key];
    if (v === undefined) out[key] = undefined;
    else if (s.secret === 'whole') out[key] = Array.isArray(v) ? v.map(() => '****') : '****';
    else if (s.secret === 'url') out[key] = maskUrl(String(v));
    else out[key] = v;
  }
  out.workers = config.workers;
  // Definitions may hold secrets (headers, form fields): only their names are shown.
  out.sources = Object.keys(config.sources);
  out.refreshers = Object.keys(config.refreshers);
  out.configFile = config.configFile;
  return out;
}
