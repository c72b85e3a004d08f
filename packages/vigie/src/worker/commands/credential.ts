import { VigieError } from '../../errors.js';
import { registerSecret } from '../../observability/secrets.js';
import type { CommandContext } from './types.js';

/**
 * Reads the scraping credential from the store, the single source of truth: never from the
 * payload, never silently from an env fallback (the seed's expired-cookie 401/403s came from
 * exactly such fallbacks). No credential → 503 `NO_SCRAPING_COOKIES`.
 */
export async function requireScrapingCredential(ctx: CommandContext): Promise<string> {
  const name = ctx.config.scrapingCredential;
  const cred = await ctx.store.credentials.get(name);
  if (!cred) {
    throw new VigieError(
      'NO_SCRAPING_COOKIES',
      `No scraping credential "${name}" in the store. Set one with \`vigie credentials set ${name} --from-file <file>\` (or --stdin), then retry.`,
      503,
    );
  }
  registerSecret(cred.value);
  return cred.value;
}
