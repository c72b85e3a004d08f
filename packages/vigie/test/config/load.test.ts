import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { maskedConfig, previewSecret } from '../../src/config/mask.js';
import { maskUrl } from '../../src/observability/secrets.js';
import { ConfigError } from '../../src/errors.js';
import { tempDir } from '../helpers/vigie-process.js';

const dirs: Array<{ cleanup: () => void }> = [];
function folder(files: Record<string, string> = {}): string {
  const d = tempDir('vigie-config-');
  dirs.push(d);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d.path, name), text);
  return d.path;
}
afterEach(() => dirs.splice(0).forEach((d) => d.cleanup()));

function fail(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('gives the seed defaults when nothing is set', () => {
    const c = loadConfig({ env: {}, cwd: folder() });
    expect(c).toMatchObject({
      healthCheckIntervalMs: 60000,
      alertCheckIntervalMs: 300000,
      lbStrategy: 'random',
      maxRetries: 3,
      workerBanDurationMs: 1800000,
      workerRequestTimeoutMs: 30000,
      autoRunCycle: false,
      enableFailover: false,
      max403BeforeFailover: 3,
      failoverRegions: ['cdg', 'iad', 'lhr'],
      failoverCooldownMs: 300000,
      redisLockTtlSeconds: 300,
      configStoreMode: 'redis_first',
      dataDir: '.vigie',
      workers: [],
    });
    expect(c.redisUrl).toBeUndefined();
  });

  it('layers defaults < file < env < flags', () => {
    const cwd = folder({ 'vigie.config.yaml': 'maxRetries: 5\nlbStrategy: round-robin\nworkerBanDurationMs: 1000\n' });
    const c = loadConfig({ cwd, env: { MAX_RETRIES: '7', WORKER_BAN_DURATION_MS: '2000' }, flags: { maxRetries: '9' } });
    expect(c.lbStrategy).toBe('round-robin'); // file over default
    expect(c.workerBanDurationMs).toBe(2000); // env over file
    expect(c.maxRetries).toBe(9); // flag over env
  });

  it('parses env booleans and lists', () => {
    const c = loadConfig({ cwd: folder(), env: { AUTO_RUN_CYCLE: 'false', ENABLE_FAILOVER: 'TRUE', VIGIE_INSECURE: '1', FAILOVER_REGIONS: 'ams, fra ,,sin' } });
    expect(c.autoRunCycle).toBe(false);
    expect(c.enableFailover).toBe(true);
    expect(c.insecure).toBe(true);
    expect(c.failoverRegions).toEqual(['ams', 'fra', 'sin']);
    expect(loadConfig({ cwd: folder(), env: { AUTO_RUN_CYCLE: '0' } }).autoRunCycle).toBe(false);
    // A config file may hold 1/0 as numbers.
    expect(loadConfig({ cwd: folder({ 'vigie.config.json': '{"enableFailover": 1, "autoRunCycle": 0}' }), env: {} })).toMatchObject({ enableFailover: true, autoRunCycle: false });
  });

  it('accepts only true/false/1/0 for a boolean, naming the setting, the value and what is allowed', () => {
    for (const word of ['yes', 'no', 'on', 'off', 'enabled', '2', 'tru']) {
      const message = fail(() => loadConfig({ cwd: folder(), env: { ENABLE_FAILOVER: word } }));
      expect(message).toBe(`Invalid setting ENABLE_FAILOVER (environment): "${word}" — expected true or false (or 1 or 0). Allowed: true | false | 1 | 0.`);
    }
    expect(fail(() => loadConfig({ cwd: folder({ 'vigie.config.yaml': 'insecure: yes\n' }), env: {} }))).toMatch(/^Invalid setting insecure in .*vigie\.config\.yaml: "yes" — expected true or false/);
    expect(fail(() => loadConfig({ cwd: folder({ 'vigie.config.json': '{"autoRunCycle": 2}' }), env: {} }))).toMatch(/autoRunCycle in .*: 2 — expected true or false \(or 1 or 0\)/);
    expect(fail(() => loadConfig({ cwd: folder(), env: {}, flags: { insecure: 'on' } }))).toMatch(/^Invalid setting --insecure: "on"/);
  });

  it('suggests the closest setting for an unknown file key or flag, spelled the same way', () => {
    const unknown = (content: Record<string, unknown>) => fail(() => loadConfig({ cwd: folder({ 'vigie.config.json': JSON.stringify(content) }), env: {} }));
    expect(unknown({ lbStrategie: 'random' })).toMatch(/Unknown setting "lbStrategie" in .*\. Did you mean "lbStrategy"\?$/);
    expect(unknown({ HEALTH_CHECK_INTERVAL: 1000 })).toContain('Did you mean "HEALTH_CHECK_INTERVAL_MS"?');
    expect(unknown({ 'worker-region': 'cdg' })).toContain('Did you mean "workerRegion"?');
    expect(unknown({ somethingElse: 1 })).toContain('Run `vigie config docs`');
    expect(fail(() => loadConfig({ cwd: folder(), env: {}, flags: { maxRetry: 2 } as never }))).toContain('Did you mean "maxRetries"?');
  });

  it('warns about a VIGIE_* env name close to a setting, and leaves other VIGIE_* names alone', () => {
    const warnings: string[] = [];
    const c = loadConfig({
      cwd: folder(),
      env: { VIGIE_API_KYE: 'secret-value-never-shown', VIGIE_DATADIR: '/x', VIGIE_REQUIRE_SERVICES: '1', VIGIE_BIN: 'b', VIGIE_ENTRY: 'e', LB_STRATEGYY: 'x' },
      warn: (m) => warnings.push(m),
    });
    expect(warnings.sort()).toEqual([
      'VIGIE_API_KYE is not a Vigie setting and is ignored. Did you mean "VIGIE_API_KEY"?',
      'VIGIE_DATADIR is not a Vigie setting and is ignored. Did you mean "VIGIE_DATA_DIR"?',
    ]);
    expect(c.apiKey).toBeUndefined();
    expect(warnings.join('\n')).not.toContain('secret-value-never-shown');
  });

  it('reads JSON files with a workers list, and env names as keys', () => {
    const cwd = folder({
      'w.json': JSON.stringify({ LB_STRATEGY: 'p2c-ewma', workers: [{ id: 'worker-fr', name: 'Worker FR', region: 'cdg', url: 'http://127.0.0.2:8081' }] }),
    });
    const c = loadConfig({ cwd, env: {}, configFile: 'w.json' });
    expect(c.lbStrategy).toBe('p2c-ewma');
    expect(c.workers).toEqual([{ id: 'worker-fr', name: 'Worker FR', region: 'cdg', url: 'http://127.0.0.2:8081' }]);
    expect(c.configFile).toBe(join(cwd, 'w.json'));
  });

  it('reads a worker\'s Fly app and machine id, and rejects malformed ones', () => {
    const entry = { id: 'w1', url: 'http://127.0.0.2:8081', flyApp: 'vigie-workers', machineId: '3d8d9014b32058' };
    const c = loadConfig({ cwd: folder({ 'vigie.config.json': JSON.stringify({ workers: [entry] }) }), env: {} });
    expect(c.workers).toEqual([entry]);
    const bad = folder({ 'vigie.config.json': JSON.stringify({ workers: [{ ...entry, flyApp: 'Vigie Workers' }] }) });
    expect(fail(() => loadConfig({ cwd: bad, env: {} }))).toMatch(/workers\[0\.flyApp\].*Fly app name/);
    const badId = folder({ 'vigie.config.json': JSON.stringify({ workers: [{ ...entry, machineId: 'x/../y' }] }) });
    expect(fail(() => loadConfig({ cwd: badId, env: {} }))).toMatch(/workers\[0\.machineId\]/);
  });

  it('names the key, the value and what is allowed for a bad env value', () => {
    const msg = fail(() => loadConfig({ cwd: folder(), env: { LB_STRATEGY: 'fastest' } }));
    expect(msg).toContain('LB_STRATEGY');
    expect(msg).toContain('"fastest"');
    expect(msg).toContain('random | round-robin | least-used | health-based | p2c-ewma');
  });

  it('rejects a non-number, a negative and an out-of-range number', () => {
    expect(fail(() => loadConfig({ cwd: folder(), env: { MAX_RETRIES: 'three' } }))).toMatch(/MAX_RETRIES.*"three".*integer/);
    expect(fail(() => loadConfig({ cwd: folder(), env: { HEALTH_CHECK_INTERVAL_MS: '-5' } }))).toContain('HEALTH_CHECK_INTERVAL_MS');
    expect(fail(() => loadConfig({ cwd: folder(), env: { PORT: '70000' } }))).toContain('0–65535');
  });

  it('points at the file for a bad file value and for an unknown key', () => {
    const cwd = folder({ 'vigie.config.json': '{"maxRetries": "lots"}' });
    expect(fail(() => loadConfig({ cwd, env: {} }))).toMatch(/maxRetries in .*vigie\.config\.json/);
    const cwd2 = folder({ 'vigie.config.json': '{"maxretries": 3}' });
    expect(fail(() => loadConfig({ cwd: cwd2, env: {} }))).toContain('Did you mean "maxRetries"?');
  });

  it('reports a broken file, a missing explicit file and bad workers', () => {
    expect(fail(() => loadConfig({ cwd: folder({ 'vigie.config.json': '{oops' }), env: {} }))).toMatch(/Cannot read config file/);
    expect(fail(() => loadConfig({ cwd: folder(), env: {}, configFile: 'nope.yaml' }))).toMatch(/does not exist/);
    const dup = folder({ 'vigie.config.json': JSON.stringify({ workers: [{ id: 'a', url: 'http://127.0.0.2:1' }, { id: 'a', url: 'http://127.0.0.3:1' }] }) });
    expect(fail(() => loadConfig({ cwd: dup, env: {} }))).toContain('appears twice');
    const badUrl = folder({ 'vigie.config.json': JSON.stringify({ workers: [{ id: 'a', url: 'ftp://x' }] }) });
    expect(fail(() => loadConfig({ cwd: badUrl, env: {} }))).toMatch(/workers\[0\.url\]/);
  });

  it('refuses a worker URL with a password, a query or a fragment (dropped when calling it), without showing the password', () => {
    const withUrl = (url: string) => folder({ 'vigie.config.json': JSON.stringify({ workers: [{ id: 'a', url }] }) });
    const creds = fail(() => loadConfig({ cwd: withUrl('http://user:hunter2secret@127.0.0.2:8081'), env: {} }));
    expect(creds).toMatch(/workers\[0\.url\].*user or password/);
    expect(creds).not.toContain('hunter2secret');
    expect(fail(() => loadConfig({ cwd: withUrl('http://user@127.0.0.2:8081'), env: {} }))).toMatch(/user or password/);
    expect(fail(() => loadConfig({ cwd: withUrl('http://127.0.0.2:8081/?token=abc'), env: {} }))).toMatch(/query or fragment/);
    expect(fail(() => loadConfig({ cwd: withUrl('http://127.0.0.2:8081/#x'), env: {} }))).toMatch(/query or fragment/);
    // A path stays allowed: it is kept as the prefix of the worker's routes.
    expect(loadConfig({ cwd: withUrl('http://127.0.0.2:8081/vigie/'), env: {} }).workers[0]!.url).toBe('http://127.0.0.2:8081/vigie/');
  });

  it('checks that the pacing window is not inverted', () => {
    expect(fail(() => loadConfig({ cwd: folder(), env: { REQUEST_DELAY_MIN_MS: '5000', REQUEST_DELAY_MAX_MS: '1000' } }))).toContain('REQUEST_DELAY_MIN_MS');
  });

  it('never shows a secret value in an error', () => {
    const msg = fail(() => loadConfig({ cwd: folder(), env: { DATABASE_URL: 'mysql://u:hunter2secret@h/db' } }));
    expect(msg).toContain('DATABASE_URL');
    // url secrets are shown only through the error's value: the password must not be there either
    expect(msg).not.toContain('hunter2secret');
  });
});

describe('masking', () => {
  it('masks whole secrets and URL passwords', () => {
    const c = loadConfig({
      cwd: folder(),
      env: { VIGIE_API_KEY: 'k1-aaaaaaaaaaaa,k2-bbbbbbbbbbbb', DATABASE_URL: 'postgres://vigie:pw-s3cret@127.0.0.1:5432/vigie', TELEGRAM_BOT_TOKEN: '123:tok-s3cret' },
    });
    const shown = JSON.stringify(maskedConfig(c));
    for (const s of ['k1-aaaaaaaaaaaa', 'k2-bbbbbbbbbbbb', 'pw-s3cret', 'tok-s3cret']) expect(shown).not.toContain(s);
    expect(shown).toContain('postgres://vigie:****@127.0.0.1:5432/vigie');
    expect(maskUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });

  it('previews cookies by name only, and other secrets by length and fingerprint', () => {
    const p = previewSecret('session=abc123secret; csrf=zzz999');
    expect(p).toMatch(/^session=\*\*\*\*; csrf=\*\*\*\* \(\d+ chars, sha256:[0-9a-f]{8}\)$/);
    expect(p).not.toContain('abc123secret');
    expect(previewSecret('opaque-bearer-token')).toMatch(/^\*\*\*\* \(19 chars, sha256:[0-9a-f]{8}\)$/);
  });
});
