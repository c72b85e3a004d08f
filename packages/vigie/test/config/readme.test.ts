import { readFileSync } from 'node:fs';
import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import { APPLIES_LABEL, renderConfigTable } from '../../src/config/docs.js';
import { SETTINGS, type Setting } from '../../src/config/settings.js';

/** The README's tables as a GitHub-style renderer sees them: rows of cell texts (header row first). */
function tables(markdown: string): string[][][] {
  const tokens = new MarkdownIt().parse(markdown, {});
  const out: string[][][] = [];
  let rows: string[][] | undefined;
  let row: string[] | undefined;
  for (const t of tokens) {
    if (t.type === 'table_open') rows = [];
    else if (t.type === 'table_close') out.push(rows!);
    else if (t.type === 'tr_open') row = [];
    else if (t.type === 'tr_close') {
      rows!.push(row!);
      row = undefined;
    }
    else if (t.type === 'inline' && row) row.push(t.content);
  }
  return out;
}

describe('README config table', () => {
  const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');

  it('is the one generated from the settings (run scripts/update-readme-config.mjs after a change)', () => {
    const begin = readme.indexOf('-->', readme.indexOf('<!-- config-table:begin')) + 3;
    const end = readme.indexOf('<!-- config-table:end -->');
    expect(readme.slice(begin, end).trim()).toBe(renderConfigTable().trim());
  });

  it('renders as tables whose every row has its 6 cells (a bare | would split a row)', () => {
    const begin = readme.indexOf('<!-- config-table:begin');
    const found = tables(readme.slice(begin, readme.indexOf('<!-- config-table:end -->')));
    const rows = found.flatMap((t) => t.slice(1));
    expect(found.length).toBe(7);
    expect(rows.length).toBe(Object.keys(SETTINGS).length);
    for (const t of found) expect(t[0]).toEqual(['env', 'file key', 'default', 'allowed', 'applies', 'what it does']);
    for (const r of rows) expect(r.length, r.join(' ‖ ')).toBe(6);
    // The cells hold what the settings say, pipes included: nothing was cut at a `|`.
    for (const [key, s] of Object.entries(SETTINGS) as Array<[string, Setting]>) {
      const r = rows.find((x) => x[1] === `\`${key}\``);
      expect(r, key).toBeDefined();
      expect(r![0]).toBe(`\`${s.env}\``);
      expect(r![3]).toBe(s.kind.allowed);
      expect(r![4]).toBe(APPLIES_LABEL[s.applies]);
    }
  });

  it('says a setting nothing reads is not read yet, and does not present it as working', () => {
    const rows = tables(renderConfigTable()).flatMap((t) => t.slice(1));
    const failover = rows.find((r) => r[0] === '`ENABLE_FAILOVER`')!;
    expect(failover[4]).toBe('not read yet');
    expect(failover[5]).toMatch(/^Not read yet: setting it changes nothing/);
    const strategy = rows.find((r) => r[0] === '`LB_STRATEGY`')!;
    expect(strategy[3]).toBe('random | round-robin | least-used | health-based | p2c-ewma');
    expect(strategy[4]).toBe('live');
  });

  it('documents every seed env name', () => {
    for (const s of Object.values(SETTINGS)) expect(readme).toContain(`\`${s.env}\``);
    for (const env of ['HEALTH_CHECK_INTERVAL_MS', 'ALERT_CHECK_INTERVAL_MS', 'LB_STRATEGY', 'MAX_RETRIES', 'WORKER_BAN_DURATION_MS', 'WORKER_REQUEST_TIMEOUT_MS', 'AUTO_RUN_CYCLE', 'ENABLE_FAILOVER', 'MAX_403_BEFORE_FAILOVER', 'FAILOVER_REGIONS', 'FAILOVER_APPS', 'FAILOVER_COOLDOWN_MS', 'REDIS_URL', 'REDIS_LOCK_TTL_SECONDS', 'CONFIG_STORE_MODE', 'CONFIG_STORE_REDIS_PREFIX', 'FLY_API_TOKEN', 'LOCAL_HEALTH_URL', 'CHECK_INTERVAL', 'FAILURE_THRESHOLD', 'RCLONE_REMOTE', 'RCLONE_PATH', 'FLY_APP', 'FLY_HEALTH_URL', 'TELEGRAM_BOT_TOKEN', 'TELEGRAM_CHAT_ID']) {
      expect(readme).toContain(`\`${env}\``);
    }
  });
});
