// Where the benches find the built project, and the arguments they share.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The server package's build (`npm run build` first). */
export const DIST = path.join(ROOT, 'packages', 'vigie', 'dist');
export const VIGIE_BIN = path.join(ROOT, 'packages', 'vigie', 'bin', 'vigie.js');
/** The seed's fixed rest after a failover (seed 000), the peer of the failover benches. */
export const SEED_FIXED_WAIT_MS = 30_000;

/** `--rounds N` from the command line (default `fallback`). */
export function roundsArg(fallback = 5) {
  const args = process.argv.slice(2);
  return Number(args[args.indexOf('--rounds') + 1] || fallback) || fallback;
}
