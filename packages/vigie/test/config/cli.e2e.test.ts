// `vigie config docs|check` as a user runs them (the built CLI): how each setting applies, strict
// booleans, and "did you mean" for a mistyped VIGIE_* variable.
import { afterAll, describe, expect, it } from 'vitest';
import { renderConfigTable } from '../../src/config/docs.js';
import { runVigie, tempDir } from '../helpers/vigie-process.js';

describe('vigie config docs|check', () => {
  const dir = tempDir('vigie-config-cli-');
  afterAll(() => dir.cleanup());
  const env = { VIGIE_DATA_DIR: dir.path };

  it('docs prints the README table, which says what nothing reads yet', async () => {
    const r = await runVigie(['config', 'docs'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${renderConfigTable()}\n`);
    expect(r.stdout).toMatch(/^\| `CHECK_INTERVAL` \| `checkInterval` \| `60` \| integer ≥ 1 \| restart \| /m);
    expect(r.stdout).toMatch(/^\| `ENABLE_FAILOVER` \| `enableFailover` \| `false` \| true \\\| false \\\| 1 \\\| 0 \| live \| Heal workers /m);
    expect(r.stdout).toMatch(/^\| `LB_STRATEGY` \| .* \| live \| /m);
    expect(r.stdout).toMatch(/^\| `PORT` \| .* \| restart \| /m);
  });

  it('check refuses ENABLE_FAILOVER=yes with exit 2, naming the setting, the value and what is allowed', async () => {
    const r = await runVigie(['config', 'check'], { ...env, ENABLE_FAILOVER: 'yes' });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('vigie: Invalid setting ENABLE_FAILOVER (environment): "yes" — expected true or false (or 1 or 0). Allowed: true | false | 1 | 0.\n');
  });

  it('check warns about a mistyped VIGIE_* variable with the setting it meant, and still runs', async () => {
    const r = await runVigie(['config', 'check'], { ...env, VIGIE_API_KYE: 'k-0123456789abcdef-never-printed' });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('vigie: warning: VIGIE_API_KYE is not a Vigie setting and is ignored. Did you mean "VIGIE_API_KEY"?');
    expect(`${r.stdout}${r.stderr}`).not.toContain('never-printed');
  });
});
