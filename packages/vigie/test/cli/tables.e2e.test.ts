import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestFleet, FLEET_KEY, get, post, type TestFleet } from '../helpers/fleet.js';
import { runVigie, VIGIE_BIN } from '../helpers/vigie-process.js';

/** util-linux's `script` runs a command on a real pseudo-terminal (Debian: bsdutils, always installed). */
const SCRIPT = ['/usr/bin/script', '/bin/script'].find((p) => existsSync(p));
if (!SCRIPT) {
  // CI must never skip silently: under VIGIE_REQUIRE_SERVICES=1 a missing `script` fails the run.
  if (process.env.VIGIE_REQUIRE_SERVICES === '1') throw new Error('VIGIE_REQUIRE_SERVICES=1 but `script` (util-linux, Debian package bsdutils) is not installed: the CLI table tests need it for a pseudo-terminal.');
  console.warn('[CLI table tests on a terminal] skipped: `script` (util-linux, Debian package bsdutils) not found, no pseudo-terminal to run the CLI on');
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs `vigie <args>` on a pseudo-terminal: stdout is a TTY, as when a person types the command. */
function onTerminal(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  const cmd = [process.execPath, VIGIE_BIN, ...args].map(quote).join(' ');
  return new Promise((resolve) => {
    execFile(SCRIPT!, ['-qec', cmd, '/dev/null'], { env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_FORMAT: 'json', ...env } }, (err, stdout) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout.replace(/\r\n/g, '\n') });
    });
  });
}

describe('issue 17.7: tables on a terminal, JSON otherwise', () => {
  let fleet: TestFleet;
  let url: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    fleet = createTestFleet();
    await fleet.startWorker('w1', '127.0.0.2');
    url = (await fleet.startCoordinator({ ALERT_INITIAL_DELAY_MS: '3600000' })).url;
    env = { VIGIE_URL: url, VIGIE_API_KEY: FLEET_KEY, VIGIE_DATA_DIR: fleet.dataDir };
    await post(`${url}/api/v1/alerts`, { name: 'Nike under 120 €', source: 'market', query: 'nike', priceMax: 120 });
  }, 60_000);
  afterAll(async () => fleet?.stopAll());

  const routes: Array<[args: string[], route: string]> = [
    [['stats'], '/api/v1/worker/main/stats'],
    [['workers', 'list'], '/api/v1/worker/main/workers'],
    [['alerts', 'list'], '/api/v1/alerts'],
    [['matches'], '/api/v1/matches?limit=20'],
    [['cycle', 'list'], '/api/v1/alerts/runs?limit=20'],
  ];

  it('piped (not a terminal), every list command prints the API answer as JSON, exactly', async () => {
    for (const [args, route] of routes) {
      const res = await runVigie(args, env);
      expect(res.code, args.join(' ')).toBe(0);
      const api = await get(`${url}${route}`);
      // Same bytes as the answer, pretty-printed with 2 spaces (counters may move between the two reads).
      expect(res.stdout.startsWith('{\n  "')).toBe(true);
      expect(Object.keys(JSON.parse(res.stdout) as object)).toEqual(Object.keys(api));
    }
    const alerts = await runVigie(['alerts', 'list'], env);
    expect(alerts.stdout).toBe(`${JSON.stringify(await get(`${url}/api/v1/alerts`), null, 2)}\n`);
  });

  it.skipIf(!SCRIPT)('on a terminal, aligned tables with the columns a person reads; --json keeps the JSON', async () => {
    const stats = await onTerminal(['stats'], env);
    expect(stats.code).toBe(0);
    const lines = stats.out.trimEnd().split('\n');
    expect(lines[0]).toBe('1 worker(s): 1 available, 0 banned, 0 unhealthy');
    expect(lines[1]).toMatch(/^ID\s+NAME\s+REGION\s+STATE\s+REQUESTS\s+SUCCESS\s+LAST ERROR$/);
    expect(lines[2]).toMatch(/^w1\s+w1\s+test\s+healthy\s+\d+\s+100%$/);
    // Aligned: each column starts at the same offset on every row.
    expect(lines[2]!.indexOf('healthy')).toBe(lines[1]!.indexOf('STATE'));

    const alerts = await onTerminal(['alerts', 'list'], env);
    const [head, row] = alerts.out.trimEnd().split('\n');
    expect(head).toMatch(/^ID\s+NAME\s+SOURCE\s+QUERY\s+PRICE\s+STATE\s+NOTIFY$/);
    expect(row).toContain('Nike under 120 €');
    expect(row).toContain('≤ 120');
    // The wide € does not shift the next columns.
    expect(row!.indexOf('market')).toBe(head!.indexOf('SOURCE'));

    expect((await onTerminal(['cycle', 'list'], env)).out).toContain('No cycle has run yet. Run one: vigie cycle run');
    expect((await onTerminal(['workers', 'list'], env)).out).toMatch(/^ID\s+NAME\s+REGION\s+URL\s+FROM\n/);

    const json = await onTerminal(['alerts', 'list', '--json'], env);
    expect(JSON.parse(json.out)).toEqual(await get(`${url}/api/v1/alerts`));
  });

  it.skipIf(!SCRIPT)('`lock status`: no warning line before its output, a table on a terminal, JSON when piped', async () => {
    const piped = await runVigie(['lock', 'status'], env);
    expect(piped.code).toBe(0);
    expect(piped.stderr).toBe('');
    expect(JSON.parse(piped.stdout)).toMatchObject({ key: 'leader', backend: 'file', held: true });
    const tty = await onTerminal(['lock', 'status'], env);
    const [head, row] = tty.out.trimEnd().split('\n');
    expect(head).toMatch(/^LOCK\s+BACKEND\s+HOLDER\s+FENCING\s+TTL LEFT$/);
    expect(row).toMatch(/^leader\s+file\s+\S+ pid \d+\s+\d+\s+[\d.]+ s$/);
  });
});
