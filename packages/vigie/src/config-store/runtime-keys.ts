/**
 * The settings an operator may change while coordinators run (`vigie config set`), and the
 * validation of a run-time value. Each is a key of SETTINGS, checked with that setting's own
 * kind, so that a value accepted at run time is exactly one the config file would accept.
 */
import type { z } from 'zod';
import type { Kind } from '../config/kinds.js';
import { SETTINGS, type Setting, type SettingKey } from '../config/settings.js';
import { didYouMean } from '../config/suggest.js';
import { ConfigError } from '../errors.js';

/** The whitelist: intervals, strategy, retries and bans, pacing, the failover ladder, notifier targets, log level. */
export const RUNTIME_KEYS = [
  'healthCheckIntervalMs',
  'healthCheckTimeoutMs',
  'alertCheckIntervalMs',
  'lbStrategy',
  'maxRetries',
  'workerBanDurationMs',
  'workerBanMaxMs',
  'workerRequestTimeoutMs',
  'requestDelayMinMs',
  'requestDelayMaxMs',
  'enableFailover',
  'max403BeforeFailover',
  'failoverRegions',
  'failoverApps',
  'failoverCooldownMs',
  'failoverReadyWaitMs',
  'telegramChatId',
  'notifyMaxAttempts',
  'logLevel',
] as const satisfies readonly SettingKey[];

export type RuntimeKey = (typeof RUNTIME_KEYS)[number];

/** The typed value of a run-time setting (number, boolean, list, word). */
export type RuntimeValue<K extends RuntimeKey> = (typeof SETTINGS)[K]['kind'] extends Kind<infer T> ? T : never;

/** Run-time settings as stored: only the keys that were set. */
export type RuntimeSettings = { [K in RuntimeKey]?: RuntimeValue<K> };

/** Every run-time setting with a value (store over static config), `undefined` where neither has one. */
export type EffectiveRuntime = { [K in RuntimeKey]: RuntimeValue<K> | undefined };

const RUNTIME_SET: ReadonlySet<string> = new Set(RUNTIME_KEYS);

/** True when `key` is a run-time setting (camelCase key). */
export function isRuntimeKey(key: string): key is RuntimeKey {
  return RUNTIME_SET.has(key);
}

/**
 * The run-time key for `name` (the camelCase key or the env name, as the config file accepts);
 * throws ConfigError saying why a name is refused: unknown, a secret, or start-up only.
 */
export function runtimeKey(name: string): RuntimeKey {
  const key = settingKeyFor(name);
  if (key === undefined) {
    throw new ConfigError(`Unknown setting "${name}". ${didYouMean(name)} Run-time settings: ${RUNTIME_KEYS.join(', ')}.`);
  }
  const s: Setting = SETTINGS[key];
  if (s.secret) {
    throw new ConfigError(
      `Setting ${key} (${s.env}) is a secret and is never a run-time setting: secrets stay in the environment or the config file. ` +
        `Run-time settings: ${RUNTIME_KEYS.join(', ')}.`,
    );
  }
  if (!isRuntimeKey(key)) {
    throw new ConfigError(
      `Setting ${key} (${s.env}) cannot change at run time: set it in the config file or the environment and restart. ` +
        `Run-time settings: ${RUNTIME_KEYS.join(', ')}.`,
    );
  }
  return key;
}

/**
 * Checks a value for `key`: a string (from the CLI, or text stored by hand) goes through the
 * kind's string parser first, as an env var would; a typed value (from JSON) is checked as is.
 * Throws ConfigError naming the key, the value and what is allowed.
 */
export function parseRuntimeValue<K extends RuntimeKey>(key: K, raw: unknown): RuntimeValue<K> {
  const s: Setting = SETTINGS[key];
  const value = typeof raw === 'string' ? s.kind.fromString(raw) : raw;
  const parsed = (s.kind.schema as z.ZodType).safeParse(value);
  if (!parsed.success) {
    const reason = parsed.error.issues[0]?.message ?? 'invalid';
    throw new ConfigError(`Invalid run-time setting ${key} (${s.env}): ${JSON.stringify(raw)} — ${reason}. Allowed: ${s.kind.allowed}.`);
  }
  return parsed.data as RuntimeValue<K>;
}

/**
 * The cross-field rule load.ts applies at start-up, applied to the effective run-time values:
 * returns the message when it is broken, else undefined.
 */
export function crossFieldProblem(effective: Partial<Record<RuntimeKey, unknown>>): string | undefined {
  const min = effective.requestDelayMinMs;
  const max = effective.requestDelayMaxMs;
  if (typeof min === 'number' && typeof max === 'number' && min > max) {
    return `Invalid run-time settings: requestDelayMinMs (${min}) is above requestDelayMaxMs (${max}). Allowed: min ≤ max.`;
  }
  return undefined;
}

/** The run-time settings' values in `base` (the static config), the store's values over them. */
export function effectiveRuntime(base: Partial<Record<RuntimeKey, unknown>>, settings: RuntimeSettings): EffectiveRuntime {
  const out: Record<string, unknown> = {};
  for (const key of RUNTIME_KEYS) out[key] = key in settings ? settings[key] : base[key];
  return out as EffectiveRuntime;
}

/**
 * What a value written with `vigie config set` does, from the setting's `applies`: applied by
 * running coordinators, or stored but read only at a process start (from env or file), or read
 * by nothing yet.
 */
export function runtimeEffect(key: RuntimeKey): string {
  const s: Setting = SETTINGS[key];
  switch (s.applies) {
    case 'live':
      return 'running coordinators apply it from their next action, without a restart';
    case 'restart':
      return `stored, but running coordinators do not apply it: ${s.env} is read when a process starts (docs/config-store.md says which process); set it in the environment or config file and restart`;
    case 'unread':
      return `stored, but nothing in this version reads ${s.env} yet: it changes nothing`;
  }
}

/** The default of a run-time setting (SETTINGS), if it has one. */
export function runtimeDefault<K extends RuntimeKey>(key: K): RuntimeValue<K> | undefined {
  return (SETTINGS[key] as Setting).default as RuntimeValue<K> | undefined;
}

function settingKeyFor(name: string): SettingKey | undefined {
  if (Object.hasOwn(SETTINGS, name)) return name as SettingKey;
  return (Object.entries(SETTINGS) as Array<[SettingKey, Setting]>).find(([, s]) => s.env === name)?.[0];
}
