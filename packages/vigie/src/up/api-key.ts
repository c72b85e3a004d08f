import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The API key of a local fleet: VIGIE_API_KEY when set, else one generated once and kept in
 * the data folder (mode 0600), so that `vigie up` twice gives the same key and scripts keep working.
 */
export function localApiKey(dataDir: string, configured: readonly string[] | undefined): { key: string; generated: boolean; file?: string } {
  if (configured && configured.length > 0) return { key: configured[0]!, generated: false };
  const file = join(dataDir, 'api-key');
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim();
    if (key.length > 0) return { key, generated: false, file };
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(24).toString('base64url');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { key, generated: true, file };
}
