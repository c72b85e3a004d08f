import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { SETTINGS } from '../../src/config/settings.js';

/**
 * examples/fly/ is what a user copies to deploy on Fly.io: every env name it sets must be a
 * real setting (a typo would be silently ignored by Fly and by Vigie), every value must pass the
 * setting's validation, and the coordinator's config file must load.
 */
const EXAMPLES = fileURLToPath(new URL('../../../../examples/fly/', import.meta.url));
const ENV_NAMES = new Set<string>(Object.values(SETTINGS).map((s) => s.env));

function envOf(file: string): Record<string, string> {
  const toml = parse(readFileSync(`${EXAMPLES}${file}`, 'utf8')) as { env?: Record<string, string>; app?: string };
  expect(toml.app, `${file} names its app`).toBeTruthy();
  return toml.env ?? {};
}

describe('examples/fly', () => {
  for (const file of ['fly.coordinator.toml', 'fly.worker.toml']) {
    it(`${file}: every [env] name is a Vigie setting, and the values are valid`, () => {
      const env = envOf(file);
      expect(Object.keys(env).length).toBeGreaterThan(0);
      expect(Object.keys(env).filter((k) => !ENV_NAMES.has(k))).toEqual([]);
      // The loader validates each value with its setting's kind (throws ConfigError on a bad one).
      expect(() => loadConfig({ env: { ...env, VIGIE_API_KEY: 'x'.repeat(32) }, cwd: EXAMPLES })).not.toThrow();
    });
  }

  it('the coordinator runs the fly provider with failover on, and its config file loads with flyApp and machineId', () => {
    const env = envOf('fly.coordinator.toml');
    expect(env).toMatchObject({ ENABLE_FAILOVER: 'true', MACHINE_PROVIDER: 'fly' });
    const config = loadConfig({ configFile: `${EXAMPLES}vigie.coordinator.json`, env: { ...env, VIGIE_API_KEY: 'x'.repeat(32) }, cwd: EXAMPLES });
    expect(config.enableFailover).toBe(true);
    expect(config.workers.every((w) => w.flyApp && w.machineId)).toBe(true);
  });

  it('the Dockerfile builds both roles from one image (the vigie bin as entrypoint)', () => {
    const docker = readFileSync(`${EXAMPLES}Dockerfile`, 'utf8');
    expect(docker).toMatch(/ENTRYPOINT \["node", "packages\/vigie\/bin\/vigie\.js"\]/);
    expect(docker).toMatch(/npm run build/);
  });
});
