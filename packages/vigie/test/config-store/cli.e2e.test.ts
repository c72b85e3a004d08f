// `vigie config get|set|unset|migrate` as an operator runs them: a real process, real Redis.
// Needs `npm run build` first (as every CLI test). Until cli/main.ts registers
// registerConfigStoreCommands, the commands run through cli-harness.mjs (the built program plus
// that registration); once it does, through bin/vigie.js itself.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { RUNTIME_CONFIG_FILE } from '../../src/config-store/file-backend.js';
import { redisUrl } from '../helpers/services.js';
import { runVigie, tempDir } from '../helpers/vigie-process.js';
import { DEAD_REDIS, rawRedis, uniquePrefix } from './helpers.js';

const REDIS = await redisUrl();
const HARNESS = fileURLToPath(new URL('./cli-harness.mjs', import.meta.url));

/** Whether the built `vigie` registers the config store commands itself (its `config --help` lists `set`). */
async function registeredInMain(): Promise<boolean> {
  const help = await runVigie(['config', '--help']);
  return /^\s+set \[options\] <key> <value>|^\s+set <key> <value>/m.test(help.stdout);
}
const USE_BIN = await registeredInMain();

type Result = { code: number | null; stdout: string; stderr: string };

/** Runs `vigie <args>` (the real bin once it has the commands, else the harness) with only `env`. */
async function vigie(args: string[], env: Record<string, string | undefined>): Promise<Result> {
  if (USE_BIN) return runVigie(args, env);
  const child = spawn(process.execPath, [HARNESS, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_FORMAT: 'json', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin.end();
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function dataDir(): string {
  const d = tempDir('vigie-config-cli-');
  cleanups.push(d.cleanup);
  return d.path;
}

describe.skipIf(!REDIS)('vigie config get|set|unset with Redis', () => {
  function env() {
    const prefix = uniquePrefix();
    const raw = rawRedis(REDIS!, prefix);
    cleanups.push(raw.cleanup);
    return { raw: raw.redis, hash: `${prefix}settings`, env: { REDIS_URL: REDIS, CONFIG_STORE_REDIS_PREFIX: prefix, VIGIE_DATA_DIR: dataDir() } };
  }

  it('set lbStrategy p2c-ewma, then get shows it from the store, in Redis', async () => {
    const { raw, hash, env: e } = env();
    const set = await vigie(['config', 'set', 'lbStrategy', 'p2c-ewma'], e);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual({
      key: 'lbStrategy',
      value: 'p2c-ewma',
      applies: 'live',
      effect: 'running coordinators apply it from their next action, without a restart',
      backend: 'redis',
    });
    expect(await raw.hget(hash, 'lbStrategy')).toBe('"p2c-ewma"');

    const get = await vigie(['config', 'get', 'lbStrategy'], e);
    expect(get.code).toBe(0);
    expect(JSON.parse(get.stdout)).toEqual({ key: 'lbStrategy', value: 'p2c-ewma', source: 'store', backend: 'redis' });

    const all = await vigie(['config', 'get'], { ...e, MAX_RETRIES: '4' });
    expect(all.code).toBe(0);
    const out = JSON.parse(all.stdout) as { mode: string; settings: Record<string, { value: unknown; source: string }> };
    expect(out.mode).toBe('redis_first');
    expect(out.settings.lbStrategy).toEqual({ value: 'p2c-ewma', source: 'store' });
    expect(out.settings.maxRetries).toEqual({ value: 4, source: 'config' });
    expect(out.settings.healthCheckIntervalMs).toEqual({ value: 60_000, source: 'default' });
    expect(out.settings.telegramChatId).toEqual({ value: null, source: 'unset' });

    const unset = await vigie(['config', 'unset', 'LB_STRATEGY'], e);
    expect(unset.code).toBe(0);
    expect(JSON.parse(unset.stdout).now).toEqual({ value: 'random', source: 'default' });
    expect(await raw.hexists(hash, 'lbStrategy')).toBe(0);
  });

  it('set maxRetries lots exits 2 naming maxRetries and what is allowed, and stores nothing', async () => {
    const { raw, hash, env: e } = env();
    const r = await vigie(['config', 'set', 'maxRetries', 'lots'], e);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('maxRetries');
    expect(r.stderr).toContain('lots');
    expect(r.stderr).toContain('integer 1–20');
    expect(r.stdout).toBe('');
    expect(await raw.exists(hash)).toBe(0);
  });

  it('refuses a secret or unknown key with exit 2', async () => {
    const { env: e } = env();
    const secret = await vigie(['config', 'set', 'TELEGRAM_BOT_TOKEN', '123456:abcdef'], e);
    expect(secret.code).toBe(2);
    expect(secret.stderr).toContain('secret');
    expect(secret.stderr).not.toContain('123456:abcdef');
    const unknown = await vigie(['config', 'get', 'lbStrategyy'], e);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('lbStrategyy');
  });

  it('migrate --verify copies the static config into Redis', async () => {
    const { raw, hash, env: e } = env();
    const r = await vigie(['config', 'migrate', '--verify', '--require-redis'], { ...e, LB_STRATEGY: 'least-used' });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { copied: unknown[]; ok: boolean; verified: boolean };
    expect(report.copied).toEqual([{ key: 'lbStrategy', value: 'least-used', from: 'config' }]);
    expect(report).toMatchObject({ ok: true, verified: true });
    expect(await raw.hget(hash, 'lbStrategy')).toBe('"least-used"');
  });
});

describe('vigie config without Redis', () => {
  it('set keeps the value in the data folder and says it is local to this host', async () => {
    const dir = dataDir();
    const r = await vigie(['config', 'set', 'failoverRegions', 'ams,fra'], { VIGIE_DATA_DIR: dir });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { value: unknown; backend: string; note: string };
    expect(out.value).toEqual(['ams', 'fra']);
    expect(out.backend).toBe('file');
    // Nothing reads the failover settings yet (the failover ladder will): set says so.
    expect(out).toMatchObject({ applies: 'unread', effect: 'stored, but nothing in this version reads FAILOVER_REGIONS yet: it changes nothing' });
    expect(out.note).toContain('this host');
    expect(JSON.parse(readFileSync(join(dir, RUNTIME_CONFIG_FILE), 'utf8')).settings).toEqual({ failoverRegions: ['ams', 'fra'] });
  });

  it('set of a setting read only at start says so', async () => {
    const r = await vigie(['config', 'set', 'REQUEST_DELAY_MIN_MS', '1000'], { VIGIE_DATA_DIR: dataDir() });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      key: 'requestDelayMinMs',
      applies: 'restart',
      effect: 'stored, but running coordinators do not apply it: REQUEST_DELAY_MIN_MS is read when a process starts (docs/config-store.md says which process); set it in the environment or config file and restart',
    });
  });

  it('redis_first with Redis down: get answers from the file copy with a WARNING, set exits 1, no password shown', async () => {
    const dir = dataDir();
    await vigie(['config', 'set', 'maxRetries', '6'], { VIGIE_DATA_DIR: dir });
    const env = { VIGIE_DATA_DIR: dir, REDIS_URL: DEAD_REDIS };
    const get = await vigie(['config', 'get', 'maxRetries'], env);
    expect(get.code).toBe(0);
    expect(JSON.parse(get.stdout)).toEqual({ key: 'maxRetries', value: 6, source: 'store', backend: 'file' });
    expect(get.stderr).toContain('Redis is unreachable');
    const set = await vigie(['config', 'set', 'maxRetries', '7'], env);
    expect(set.code).toBe(1);
    expect(set.stderr).toContain('CONFIG_STORE_UNAVAILABLE');
    expect(set.stderr).toContain('REDIS_URL');
    expect(get.stderr + set.stderr).not.toContain('s3cret-pass-word');
  });

  it('migrate --require-redis exits 2 with REDIS_REQUIRED', async () => {
    const r = await vigie(['config', 'migrate', '--require-redis'], { VIGIE_DATA_DIR: dataDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('REDIS_REQUIRED');
    expect(r.stderr).toContain('REDIS_URL');
  });

  it('migrate without --require-redis does nothing, exit 0', async () => {
    const r = await vigie(['config', 'migrate'], { VIGIE_DATA_DIR: dataDir(), LB_STRATEGY: 'least-used' });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ redis: 'not configured', copied: [] });
  });
});
