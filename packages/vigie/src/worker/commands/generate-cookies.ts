import { z } from 'zod';
import type { Refresher } from '../../alerts/refreshers/types.js';
import { previewSecret } from '../../config/mask.js';
import { VigieError } from '../../errors.js';
import { registerSecret } from '../../observability/secrets.js';
import type { CommandHandler } from './types.js';

export interface GenerateCookiesDeps {
  /** Refreshers by name (from `createRefreshers(config.refreshers)`). */
  refreshers: Map<string, Refresher>;
  /** Used when the payload names none (GENERATE_COOKIES_REFRESHER); with a single refresher, that one. */
  defaultRefresher?: string | undefined;
  /** Where `$ENV:NAME` references are read (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** What generate-cookies answers: which credential was stored, and a preview that proves it without revealing it. */
export interface GenerateCookiesResult {
  credential: string;
  source: string;
  refreshedAt: number;
  preview: string;
}

const payloadSchema = z.object({ refresher: z.string().min(1).optional() }).strict();

/**
 * `generate-cookies`: runs a refresher (e.g. a login form) and stores the credential it returns
 * under SCRAPING_CREDENTIAL (or the refresher's own credentialName), where every worker's
 * check-alerts reads it. The answer holds a preview, never the value.
 */
export function createGenerateCookiesHandler(deps: GenerateCookiesDeps): CommandHandler {
  return async (payload, ctx): Promise<GenerateCookiesResult> => {
    const parsed = payloadSchema.safeParse(payload ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const msg = issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : `${issue.path.length ? `payload.${issue.path.join('.')}: ` : 'payload: '}${issue.message}`;
      throw new VigieError('INVALID_COMMAND', `Invalid generate-cookies command: ${msg}. Expected { "refresher": "<name>" } or {}.`, 400);
    }
    const names = [...deps.refreshers.keys()];
    if (names.length === 0) {
      // The seed's contract for a known command this worker cannot run: 501 COMMAND_NOT_SUPPORTED.
      throw new VigieError('COMMAND_NOT_SUPPORTED', 'This worker has no credential refresher configured; add one under "refreshers" in the config file (see docs/sources.md), or set the credential with `vigie credentials set`.', 501);
    }
    const wanted = parsed.data.refresher ?? deps.defaultRefresher ?? (names.length === 1 ? names[0] : undefined);
    if (wanted === undefined) {
      throw new VigieError('INVALID_COMMAND', `Invalid generate-cookies command: payload.refresher is required, this worker has several (${names.join(', ')}).`, 400);
    }
    const refresher = deps.refreshers.get(wanted);
    if (!refresher) {
      throw new VigieError('UNKNOWN_REFRESHER', `No refresher named "${wanted}" on this worker. Configured: ${names.join(', ')}.`, 400);
    }

    const { value } = await refresher.refresh({ signal: ctx.signal, ...(deps.env && { env: deps.env }) });
    registerSecret(value);
    ctx.signal.throwIfAborted();
    const credential = refresher.credentialName ?? ctx.config.scrapingCredential;
    const info = await ctx.store.credentials.set(credential, value, `refresher:${refresher.name}`);
    const preview = previewSecret(value);
    ctx.logger.info({ refresher: refresher.name, credentialName: credential, preview }, 'credential refreshed');
    return { credential, source: info.source, refreshedAt: info.lastRefreshAt, preview };
  };
}
