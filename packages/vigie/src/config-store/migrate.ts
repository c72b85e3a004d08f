/**
 * `vigie config migrate`: copies run-time settings into Redis, as the seed's
 * migrate_configs_to_redis.py does, so that every coordinator reads them there. Sources: the
 * file store (`runtime-config.json`) and the static config (config file, env) where it differs
 * from the default. A value already in Redis is never overwritten by the static config (it is
 * an operator's run-time change), nor by the file in redis_first mode (Redis is the reference
 * there; the file is only its copy). In file_first mode the file wins: it is the reference.
 */
import { SETTINGS, type Setting } from '../config/settings.js';
import { VigieError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { isRuntimeKey, parseRuntimeValue, RUNTIME_KEYS, type RuntimeKey } from './runtime-keys.js';
import type { ConfigStoreMode } from './store.js';
import { CONFIG_STORE_UNAVAILABLE, sameValue, type ConfigBackend } from './types.js';

/** Code of the error `--require-redis` gives when Redis is not configured or not reachable. */
export const REDIS_REQUIRED = 'REDIS_REQUIRED';

export interface MigrateOptions {
  /** The file store being migrated. */
  file: ConfigBackend;
  /** The Redis store; undefined when REDIS_URL is unset. */
  redis: ConfigBackend | undefined;
  /** The static config (file < env over defaults): its run-time values that differ from the default are copied too. */
  config: Partial<Record<RuntimeKey, unknown>>;
  /** CONFIG_STORE_MODE: decides whether the file or Redis wins when both hold a value. */
  mode: ConfigStoreMode;
  /** Re-read Redis after the copy and compare every value. */
  verify?: boolean;
  /** Fail (REDIS_REQUIRED, exit 2) instead of doing nothing when Redis is unset or unreachable. */
  requireRedis?: boolean;
  logger?: Logger;
  /** Runs between the copy and the verification (tests change Redis here). */
  beforeVerify?: () => Promise<void>;
}

export interface CopiedSetting {
  key: RuntimeKey;
  value: unknown;
  from: 'file' | 'config';
}

export interface SkippedSetting {
  key: string;
  from: 'file' | 'config';
  reason: string;
}

export interface Mismatch {
  key: string;
  expected: unknown;
  /** What Redis holds (undefined: nothing). */
  actual: unknown;
}

export interface MigrateReport {
  /** `written`: Redis was reached; `not configured`: no REDIS_URL; `unavailable`: Redis did not answer. */
  redis: 'written' | 'not configured' | 'unavailable';
  copied: CopiedSetting[];
  skipped: SkippedSetting[];
  mismatches: Mismatch[];
  /** Whether the verification ran. */
  verified: boolean;
  /** False when the verification found a mismatch. */
  ok: boolean;
}

interface Candidate {
  key: RuntimeKey;
  value: unknown;
  from: 'file' | 'config';
}

/** Copies run-time settings into Redis and optionally verifies them; see the module comment for who wins. */
export async function migrateToRedis(opts: MigrateOptions): Promise<MigrateReport> {
  const report: MigrateReport = { redis: 'written', copied: [], skipped: [], mismatches: [], verified: false, ok: true };
  const { candidates, invalid } = await collectCandidates(opts);
  report.skipped.push(...invalid);

  if (!opts.redis) {
    if (opts.requireRedis) {
      throw new VigieError(REDIS_REQUIRED, 'REDIS_URL is not set, and --require-redis was given: set REDIS_URL to the Redis every coordinator uses.', 400);
    }
    opts.logger?.warn('config migrate: REDIS_URL is not set; nothing copied (pass --require-redis to make this an error)');
    report.redis = 'not configured';
    report.skipped.push(...candidates.map((c) => ({ key: c.key, from: c.from, reason: 'REDIS_URL is not set' })));
    return report;
  }

  let inRedis: Record<string, unknown>;
  try {
    inRedis = await opts.redis.getAll();
  } catch (err) {
    if (!(err instanceof VigieError && err.code === CONFIG_STORE_UNAVAILABLE)) throw err;
    if (opts.requireRedis) throw new VigieError(REDIS_REQUIRED, `${err.message} (--require-redis was given)`, 400, { cause: err });
    opts.logger?.warn({ err: err.message }, 'config migrate: Redis is unreachable; nothing copied (pass --require-redis to make this an error)');
    report.redis = 'unavailable';
    report.skipped.push(...candidates.map((c) => ({ key: c.key, from: c.from, reason: 'Redis is unreachable' })));
    return report;
  }

  const expected: Record<string, unknown> = {};
  for (const c of candidates) {
    const has = Object.hasOwn(inRedis, c.key);
    if (has && sameValue(inRedis[c.key], c.value)) {
      report.skipped.push({ key: c.key, from: c.from, reason: 'already in Redis with this value' });
      expected[c.key] = c.value;
    } else if (has && c.from === 'config') {
      report.skipped.push({ key: c.key, from: c.from, reason: `Redis holds a run-time value (${JSON.stringify(inRedis[c.key])}), which the static config does not overwrite` });
    } else if (has && opts.mode === 'redis_first') {
      report.skipped.push({ key: c.key, from: c.from, reason: `Redis holds ${JSON.stringify(inRedis[c.key])}; in redis_first mode Redis is the reference and the file only its copy` });
    } else {
      await opts.redis.set(c.key, c.value);
      report.copied.push(c);
      expected[c.key] = c.value;
    }
  }

  if (opts.verify) {
    await opts.beforeVerify?.();
    report.mismatches = await verifyInRedis(opts.redis, expected);
    report.verified = true;
    report.ok = report.mismatches.length === 0;
  }
  return report;
}

/** Re-reads Redis and lists every expected value it does not hold. */
export async function verifyInRedis(redis: ConfigBackend, expected: Record<string, unknown>): Promise<Mismatch[]> {
  const actual = await redis.getAll();
  const out: Mismatch[] = [];
  for (const [key, value] of Object.entries(expected)) {
    if (!sameValue(actual[key], value)) out.push({ key, expected: value, actual: actual[key] });
  }
  return out;
}

/** The file store's valid run-time values, then the static config's non-default ones for the other keys. */
async function collectCandidates(opts: MigrateOptions): Promise<{ candidates: Candidate[]; invalid: SkippedSetting[] }> {
  const candidates: Candidate[] = [];
  const invalid: SkippedSetting[] = [];
  const fromFile = await opts.file.getAll();
  for (const [key, raw] of Object.entries(fromFile)) {
    if (!isRuntimeKey(key)) {
      invalid.push({ key, from: 'file', reason: 'not a run-time setting' });
      continue;
    }
    try {
      candidates.push({ key, value: parseRuntimeValue(key, raw), from: 'file' });
    } catch (err) {
      invalid.push({ key, from: 'file', reason: (err as Error).message });
    }
  }
  // A key whose file value is invalid still gets the static config's value.
  const taken = new Set<string>(candidates.map((c) => c.key));
  for (const key of RUNTIME_KEYS) {
    if (taken.has(key)) continue;
    const value = opts.config[key];
    const s: Setting = SETTINGS[key];
    if (value === undefined || sameValue(value, s.default)) continue;
    candidates.push({ key, value, from: 'config' });
  }
  return { candidates, invalid };
}
