import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfigTable } from '../../src/config/docs.js';
import { ERROR_CATALOGUE, renderErrorTable } from '../../src/errors.js';
import { SETTINGS } from '../../src/config/settings.js';

const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');

/** The text between a generated section's markers. */
function section(name: string): string {
  const begin = readme.indexOf('-->', readme.indexOf(`<!-- ${name}:begin`)) + 3;
  const end = readme.indexOf(`<!-- ${name}:end -->`);
  expect(end).toBeGreaterThan(begin);
  return readme.slice(begin, end).trim();
}

describe('README error codes', () => {
  it('are the ones generated from the catalogue (run scripts/update-readme-config.mjs after a change)', () => {
    expect(section('error-codes')).toBe(renderErrorTable().trim());
    for (const code of Object.keys(ERROR_CATALOGUE)) expect(section('error-codes')).toContain(`\`${code}\``);
  });
});

describe('README config table', () => {

  it('is the one generated from the settings (run scripts/update-readme-config.mjs after a change)', () => {
    expect(section('config-table')).toBe(renderConfigTable().trim());
  });

  it('documents every seed env name', () => {
    for (const s of Object.values(SETTINGS)) expect(readme).toContain(`\`${s.env}\``);
    for (const env of ['HEALTH_CHECK_INTERVAL_MS', 'ALERT_CHECK_INTERVAL_MS', 'LB_STRATEGY', 'MAX_RETRIES', 'WORKER_BAN_DURATION_MS', 'WORKER_REQUEST_TIMEOUT_MS', 'AUTO_RUN_CYCLE', 'ENABLE_FAILOVER', 'MAX_403_BEFORE_FAILOVER', 'FAILOVER_REGIONS', 'FAILOVER_APPS', 'FAILOVER_COOLDOWN_MS', 'REDIS_URL', 'REDIS_LOCK_TTL_SECONDS', 'CONFIG_STORE_MODE', 'CONFIG_STORE_REDIS_PREFIX', 'FLY_API_TOKEN', 'LOCAL_HEALTH_URL', 'CHECK_INTERVAL', 'FAILURE_THRESHOLD', 'RCLONE_REMOTE', 'RCLONE_PATH', 'FLY_APP', 'FLY_HEALTH_URL', 'TELEGRAM_BOT_TOKEN', 'TELEGRAM_CHAT_ID']) {
      expect(readme).toContain(`\`${env}\``);
    }
  });
});
