// Builds packages/client (tsc -b, incremental) once even when several test files ask at the same
// time in parallel workers: a lock directory serialises the builds, so no test reads a half-written
// dist file. `npm test` builds first, in which case this is a quick no-op.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));
export const DIST_DIR = join(PACKAGE_DIR, 'dist');

export async function ensureBuilt(): Promise<void> {
  const lock = join(tmpdir(), `vigie-client-build-${Buffer.from(PACKAGE_DIR).toString('hex').slice(-40)}.lock`);
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Held by another worker; a lock older than 2 minutes is left over from a killed run.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 120_000) rmdirSync(lock);
      } catch {
        // Released meanwhile.
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for the build lock ${lock}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-b', PACKAGE_DIR], { stdio: 'inherit' });
  } finally {
    rmdirSync(lock);
  }
}
