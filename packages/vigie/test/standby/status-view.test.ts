import { describe, expect, it } from 'vitest';
import { standbyStatusView } from '../../src/cli/standby.js';
import { renderTable } from '../../src/cli/output.js';

describe('vigie standby status for a person', () => {
  it('shows the state, the standby, each check with its reason and the last syncs', () => {
    const text = renderTable(
      standbyStatusView({
        state: 'standby-active',
        since: '2026-12-04T02:00:00.000Z',
        active: 'standby',
        monitor: 'running',
        endpoint: 'http://127.0.0.1:8090',
        provider: 'fly',
        machine: { provider: 'fly', id: 'e784079b449483', state: 'started' },
        lastChecks: [{ at: '2026-12-04T02:00:01.000Z', ok: false, latencyMs: 3, reason: 'HTTP 503' }],
        lastSync: { ok: false, direction: 'to-remote', at: 2000, error: 'rclone exited with 1' },
        lastGoodSync: { ok: true, direction: 'to-remote', at: 1000 },
      }),
    );
    expect(text).toContain('standby-active');
    expect(text).toContain('running at http://127.0.0.1:8090');
    expect(text).toContain('fly e784079b449483 (started)');
    expect(text).toMatch(/check\s+2026-12-04T02:00:01.000Z\s+FAILED: HTTP 503\s+3 ms/);
    expect(text).toMatch(/last sync\s+1970-01-01T00:00:02.000Z\s+to-remote\s+FAILED: rclone exited with 1/);
    expect(text).toMatch(/last good sync\s+1970-01-01T00:00:01.000Z/);
  });

  it('says when the monitor never ran', () => {
    const text = renderTable(standbyStatusView({ state: 'primary-active', monitor: 'not running', note: 'no status file yet: the monitor has never run here', statusFile: '/x/status.json' }));
    expect(text).toContain('never run here');
    expect(text).not.toContain('standby ');
  });
});
