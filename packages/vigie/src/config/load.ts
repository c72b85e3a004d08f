import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { Kind } from './kinds.js';
import { maskUrl } from '../observability/secrets.js';
import { lazyModule } from '../lazy-module.js';
import { hasNul, NUL_MESSAGE } from '../util/text.js';
import { HTTP_URL_MESSAGE, isHttpUrl } from '../util/url.js';
import { SETTINGS, type Setting, type SettingKey } from './settings.js';
import { didYouMean, unknownEnvWarnings } from './suggest.js';

const yaml = lazyModule<typeof import('yaml')>('yaml');

type ValueOf<K extends SettingKey> = (typeof SETTINGS)[K]['kind'] extends Kind<infer T> ? T : never;
type HasDefault<K extends SettingKey> = (typeof SETTINGS)[K] extends { default: unknown } ? K : never;

/** A worker as listed in the config file's `workers` (the coordinator's static registry). */
const RESERVED_IDS = new Set(['__proto__', 'constructor', 'prototype']);

export const workerEntrySchema = z
  .object({
    id: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, dot, dash, underscore; 1–64 characters')
      // Ids key objects and maps in the fleet and the balancers: these would hit Object.prototype.
      .refine((id) => !RESERVED_IDS.has(id), 'is a reserved name (__proto__, constructor, prototype); choose another id'),
    name: z.string().min(1).max(200).refine((s) => !hasNul(s), NUL_MESSAGE).optional(),
    region: z.string().min(1).max(64).refine((s) => !hasNul(s), NUL_MESSAGE).optional(),
    url: z.string().superRefine((u, ctx) => {
      const problem = workerUrlProblem(u);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    /** Fly app of the worker's machine, for the `fly` failover provider (default FLY_APP). */
    flyApp: z.string().regex(/^[a-z0-9-]{1,63}$/, 'a Fly app name: lowercase letters, digits and dashes').optional(),
    /** Fly machine id of the worker; unset: the app's single machine. */
    machineId: z.string().regex(/^[0-9a-z]{1,32}$/, 'a Fly machine id: lowercase letters and digits (`fly machine list`)').optional(),
  })
  .strict();
export type WorkerEntry = z.infer<typeof workerEntrySchema>;

/**
 * Why `u` cannot be a worker's URL, or undefined. The coordinator reaches a worker at the URL's
 * origin and path, with VIGIE_API_KEY: a user, a password, a query or a fragment would be dropped
 * without a word, and a password would be shown wherever the worker is (lists, stats, logs, the
 * dashboard).
 */
function workerUrlProblem(u: string): string | undefined {
  if (hasNul(u)) return NUL_MESSAGE;
  if (!isHttpUrl(u)) return HTTP_URL_MESSAGE;
  const url = new URL(u);
  if (url.username || url.password) return 'carries a user or password, which the coordinator would drop (workers are reached with VIGIE_API_KEY); remove them from the URL';
  if (url.search || url.hash) return 'has a query or fragment, which the coordinator would drop: a worker URL is scheme, host, port and an optional path';
  return undefined;
}

/**
 * The effective configuration: every setting (those without default may be undefined) plus the
 * file's workers and sources. Mapped over `keyof typeof SETTINGS` written out (not the alias
 * SettingKey) so that each property keeps its SETTINGS entry as declaration: an editor jumps from
 * `config.host` to the setting's doc, and test/config/applies.test.ts finds who reads what.
 */
export type VigieConfig = { [K in keyof typeof SETTINGS]: K extends HasDefault<K> ? ValueOf<K> : ValueOf<K> | undefined } & {
  workers: WorkerEntry[];
  /** Source definitions by name (the file's `sources`), validated by the source adapters when a worker starts. */
  sources: Record<string, unknown>;
  /** Credential refreshers by name (the file's `refreshers`), validated when a worker starts. */
  refreshers: Record<string, unknown>;
  /** The config file that was read, if any. */
  configFile: string | undefined;
  /** Where each set value came from (for messages that say which one was used, never the value). */
  origins?: Partial<Record<SettingKey, Origin['kind']>>;
};

/** Where a value came from, for error messages that point at the right place. */
type Origin = { kind: 'default' } | { kind: 'file'; path: string } | { kind: 'env' } | { kind: 'flag' };

export interface LoadOptions {
  /** Explicit config file (`--config`); without it vigie.config.json|yaml|yml in `cwd` is read if present. */
  configFile?: string | undefined;
  /** Flags, as strings from the command line (or typed values from code). */
  flags?: Partial<Record<SettingKey, unknown>>;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Hears what is suspicious but not wrong (a `VIGIE_*` env name close to a setting's); default: stderr. */
  warn?: (message: string) => void;
}

const DEFAULT_FILES = ['vigie.config.json', 'vigie.config.yaml', 'vigie.config.yml'];

/** Loads defaults < file < env < flags and validates them; throws ConfigError naming the first bad key. */
export function loadConfig(opts: LoadOptions = {}): VigieConfig {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const raw = new Map<SettingKey, { value: unknown; origin: Origin }>();

  for (const [key, s] of entries()) {
    if (s.default !== undefined) raw.set(key, { value: s.default, origin: { kind: 'default' } });
  }

  const file = findConfigFile(opts.configFile, cwd);
  let workers: WorkerEntry[] = [];
  let sources: Record<string, unknown> = {};
  let refreshers: Record<string, unknown> = {};
  if (file) {
    const content = readConfigFile(file);
    for (const [name, value] of Object.entries(content)) {
      if (name === 'workers' || name === 'sources' || name === 'refreshers') continue;
      const key = keyForFileName(name);
      if (!key) throw new ConfigError(`Unknown setting "${name}" in ${file}. ${didYouMean(name)}`);
      raw.set(key, { value: typeof value === 'string' ? SETTINGS[key].kind.fromString(value) : value, origin: { kind: 'file', path: file } });
    }
    workers = parseWorkers(content.workers, file);
    sources = parseNamed('sources', content.sources, file);
    refreshers = parseNamed('refreshers', content.refreshers, file);
  }

  const warn = opts.warn ?? ((m: string) => process.stderr.write(`vigie: warning: ${m}\n`));
  for (const message of unknownEnvWarnings(env)) warn(message);
  for (const [key, s] of entries()) {
    const v = env[s.env];
    if (v !== undefined && v !== '') raw.set(key, { value: s.kind.fromString(v), origin: { kind: 'env' } });
  }

  for (const [name, v] of Object.entries(opts.flags ?? {})) {
    if (v === undefined) continue;
    const key = name as SettingKey;
    const s: Setting | undefined = Object.hasOwn(SETTINGS, key) ? SETTINGS[key] : undefined;
    if (!s) throw new ConfigError(`Unknown setting "${name}". ${didYouMean(name)}`);
    raw.set(key, { value: typeof v === 'string' ? s.kind.fromString(v) : v, origin: { kind: 'flag' } });
  }

  const out: Record<string, unknown> = {};
  const origins: Partial<Record<SettingKey, Origin['kind']>> = {};
  for (const [key, s] of entries()) {
    const entry = raw.get(key);
    if (!entry) continue;
    origins[key] = entry.origin.kind;
    const parsed = (s.kind.schema as z.ZodType).safeParse(entry.value);
    if (!parsed.success) throw new ConfigError(describeBadValue(key, s, entry.value, entry.origin, parsed.error));
    out[key] = parsed.data;
  }

  const config = { ...out, workers, sources, refreshers, configFile: file, origins } as VigieConfig;
  checkCrossFields(config);
  return config;
}

function entries(): Array<[SettingKey, Setting]> {
  return Object.entries(SETTINGS) as Array<[SettingKey, Setting]>;
}

function findConfigFile(explicit: string | undefined, cwd: string): string | undefined {
  if (explicit) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path)) throw new ConfigError(`Config file ${path} does not exist. Check the --config path.`);
    return path;
  }
  return DEFAULT_FILES.map((f) => resolve(cwd, f)).find((p) => existsSync(p));
}

function readConfigFile(path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    parsed = path.endsWith('.json') ? JSON.parse(text) : yaml().parse(text);
  } catch (err) {
    throw new ConfigError(`Cannot read config file ${path}: ${(err as Error).message}. Fix its syntax (JSON or YAML).`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`Config file ${path} must hold an object of settings (e.g. { "lbStrategy": "p2c-ewma" }).`);
  }
  return parsed as Record<string, unknown>;
}

function parseWorkers(value: unknown, file: string): WorkerEntry[] {
  if (value === undefined) return [];
  const parsed = z.array(workerEntrySchema).safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(
      `Invalid workers[${issue.path.join('.')}] in ${file}: ${issue.message}. ` +
        'Each worker is { "id": "worker-fr", "name": "Worker FR", "region": "cdg", "url": "http://127.0.0.2:8081" }, plus "flyApp" and "machineId" for a worker on Fly.io.',
    );
  }
  const seen = new Set<string>();
  for (const w of parsed.data) {
    if (seen.has(w.id)) throw new ConfigError(`Worker id "${w.id}" appears twice in ${file}; ids must be unique.`);
    seen.add(w.id);
  }
  return parsed.data;
}

/** `sources` or `refreshers`: an object of named definitions, each checked by its adapter later. */
function parseNamed(section: 'sources' | 'refreshers', value: unknown, file: string): Record<string, unknown> {
  if (value === undefined) return {};
  const example = section === 'sources' ? '{ "market": { "type": "http-json", ... } }' : '{ "login": { "type": "http-login", ... } }';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`"${section}" in ${file} must be an object of named definitions, e.g. ${example}.`);
  }
  for (const name of Object.keys(value)) {
    if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(name)) throw new ConfigError(`Name "${name}" in ${section} of ${file} is invalid: use lower-case letters, digits, ".", "_" or "-".`);
  }
  return value as Record<string, unknown>;
}

/** The file accepts the camelCase key or the env name (so an env file can be pasted as YAML). */
function keyForFileName(name: string): SettingKey | undefined {
  if (Object.hasOwn(SETTINGS, name)) return name as SettingKey;
  return entries().find(([, s]) => s.env === name)?.[0];
}

function describeBadValue(key: SettingKey, s: Setting, value: unknown, origin: Origin, error: z.ZodError): string {
  const where =
    origin.kind === 'env' ? `${s.env} (environment)` :
    origin.kind === 'file' ? `${key} in ${origin.path}` :
    origin.kind === 'flag' ? `--${kebab(key)}` : `${key} (default)`;
  const shown =
    s.secret === 'whole' ? '(secret, not shown)' :
    s.secret === 'url' ? JSON.stringify(maskUrl(String(value))) : JSON.stringify(value);
  const reason = error.issues[0]?.message ?? 'invalid';
  return `Invalid setting ${where}: ${shown} — ${reason}. Allowed: ${s.kind.allowed}.`;
}

function checkCrossFields(c: VigieConfig): void {
  if (c.requestDelayMinMs > c.requestDelayMaxMs) {
    throw new ConfigError(
      `Invalid setting REQUEST_DELAY_MIN_MS: ${c.requestDelayMinMs} is above REQUEST_DELAY_MAX_MS (${c.requestDelayMaxMs}). Allowed: min ≤ max.`,
    );
  }
}

/** `workerBanDurationMs` → `worker-ban-duration-ms`, the flag spelling. */
export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
