import { readFileSync } from 'node:fs';
import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import { APPLIES_LABEL, describeSetting, renderConfigTable, renderErrorTable } from '../../src/config/docs.js';
import { SETTINGS, type Setting } from '../../src/config/settings.js';
import { ERROR_CATALOGUE } from '../../src/errors.js';

/** A table row as a GitHub-style renderer sees it: its cells' texts, and the source line. */
interface Row {
  cells: string[];
  line: string;
}

/**
 * The tables of `markdown` as markdown-it renders them (header row first). Like every GFM
 * renderer it pads a short row and drops the cells past the header's count: a bare `|` in a cell
 * shows as text lost from the row's end, or as cells holding the wrong text.
 */
function tables(markdown: string): Row[][] {
  const lines = markdown.split('\n');
  const out: Row[][] = [];
  let rows: Row[] | undefined;
  let row: Row | undefined;
  for (const t of new MarkdownIt().parse(markdown, {})) {
    if (t.type === 'table_open') rows = [];
    else if (t.type === 'table_close') out.push(rows!);
    else if (t.type === 'tr_open') row = { cells: [], line: lines[t.map![0]]! };
    else if (t.type === 'tr_close') {
      rows!.push(row!);
      row = undefined;
    } else if (t.type === 'inline' && row) row.cells.push(t.content);
  }
  return out;
}

/** The text of a row without the table's punctuation, to compare source and rendering. */
function words(text: string): string {
  return text.replace(/[\\|\s]/g, '');
}

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

  it('every table row of the README renders whole: no text dropped past the last cell', () => {
    const found = tables(readme);
    expect(found.length).toBeGreaterThan(8);
    for (const t of found) for (const r of t) expect(words(r.cells.join('')), r.line).toBe(words(r.line));
  });

  it('renders as tables whose every row has its 6 cells (a bare | would split a row)', () => {
    const begin = readme.indexOf('<!-- config-table:begin');
    const found = tables(readme.slice(begin, readme.indexOf('<!-- config-table:end -->')));
    const rows = found.flatMap((t) => t.slice(1)).map((r) => r.cells);
    expect(found.length).toBe(7);
    expect(rows.length).toBe(Object.keys(SETTINGS).length);
    for (const t of found) expect(t[0]!.cells).toEqual(['env', 'file key', 'default', 'allowed', 'applies', 'what it does']);
    // Each source row holds 6 cells: its text is all in the rendered cells, none dropped.
    for (const r of found.flatMap((t) => t)) expect(words(r.cells.join('')), r.line).toBe(words(r.line));
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
    const rows = tables(renderConfigTable()).flatMap((t) => t.slice(1)).map((r) => r.cells);
    // Every setting is read in this version; one that is not would be documented so.
    expect(describeSetting({ ...SETTINGS.checkInterval, applies: 'unread' })).toMatch(/^Not read yet: setting it changes nothing in this version\. Planned: /);
    for (const r of rows) if (r[4] !== 'not read yet') expect(r[5]).not.toMatch(/^Not read yet/);
    expect(rows.find((r) => r[0] === '`CHECK_INTERVAL`')![4]).toBe('restart');
    expect(rows.find((r) => r[0] === '`ENABLE_FAILOVER`')![4]).toBe('live');
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
