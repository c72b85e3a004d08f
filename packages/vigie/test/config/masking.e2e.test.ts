// Secrets in a URL's query string (`?password=`, which the pg and Redis drivers both honour) are
// masked wherever the CLI shows a URL or an error about one (issue 18 §4), by the one masker.
import { describe, expect, it } from 'vitest';
import { runVigie, tempDir } from '../helpers/vigie-process.js';

const SECRETS = ['pg-Query-Secret-1', 'redis-Query-Secret-2', 'tok-Query-Secret-3', 'userinfo-Secret-4'];
// Port 1: nothing listens there, so the commands that connect fail, and their errors name the URL.
const env = (dir: string) => ({
  VIGIE_DATA_DIR: dir,
  DATABASE_URL: `postgres://vigie:${SECRETS[3]}@127.0.0.1:1/vigie?sslmode=disable&password=${SECRETS[0]}`,
  REDIS_URL: `redis://127.0.0.1:1/0?Password=${SECRETS[1]}&token=${SECRETS[2]}`,
});

function expectNoSecret(out: { stdout: string; stderr: string }): void {
  for (const s of SECRETS) {
    expect(out.stdout).not.toContain(s);
    expect(out.stderr).not.toContain(s);
  }
}

describe('URL secrets in CLI output', () => {
  it('vigie config check masks the password and the secret query parameters', async () => {
    const dir = tempDir();
    try {
      const out = await runVigie(['config', 'check'], env(dir.path));
      expect(out.code, out.stderr).toBe(0);
      expectNoSecret(out);
      expect(out.stdout).toContain('postgres://vigie:****@127.0.0.1:1/vigie?sslmode=disable&password=****');
      expect(out.stdout).toContain('redis://127.0.0.1:1/0?Password=****&token=****');
    } finally {
      dir.cleanup();
    }
  });

  it('vigie lock status and vigie config get name an unreachable Redis without showing its secrets', async () => {
    const dir = tempDir();
    try {
      // lock status fails; config get falls back to the file copy with a WARN line naming Redis.
      for (const [args, code] of [[['lock', 'status'], 1], [['config', 'get'], 0]] as const) {
        const out = await runVigie([...args], { ...env(dir.path), LOG_LEVEL: 'warn' });
        expect(out.code, `${args.join(' ')}: ${out.stdout}${out.stderr}`).toBe(code);
        expectNoSecret(out);
        expect(out.stdout + out.stderr).toContain('redis://127.0.0.1:1/0?Password=****&token=****');
      }
    } finally {
      dir.cleanup();
    }
  }, 30_000);
});
