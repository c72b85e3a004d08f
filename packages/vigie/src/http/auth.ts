import { hash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { VigieConfig } from '../config/load.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { registerSecret } from '../observability/secrets.js';

/**
 * Checks an `x-api-key` against the configured keys in constant time. Keys are hashed first
 * so that the comparison does not leak their length, and every key is compared (no early exit)
 * so that the time does not tell which one almost matched.
 */
export function createKeyCheck(keys: readonly string[]): (provided: string | undefined) => boolean {
  const digests = keys.map((k) => sha256(k));
  return (provided) => {
    if (provided === undefined || provided.length === 0 || digests.length === 0) return false;
    const candidate = sha256(provided);
    let ok = false;
    for (const d of digests) ok = timingSafeEqual(d, candidate) || ok;
    return ok;
  };
}

/**
 * The key a request carries: `x-api-key`, else an `authorization: Bearer <key>` header (what
 * Prometheus sends with a scrape config's `authorization: { credentials: … }`).
 */
export function providedKey(headers: IncomingHttpHeaders): string | undefined {
  const key = headers['x-api-key'];
  if (typeof key === 'string') return key;
  const auth = headers.authorization;
  const bearer = auth === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(auth);
  return bearer?.[1];
}

/** One-shot digest: no Hash object per request (this runs on every authenticated call). */
function sha256(s: string): Buffer {
  return hash('sha256', s, 'buffer');
}

/** True for an address that only this host can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Checks the API key settings of a server (worker or coordinator) and registers the keys as
 * secrets to scrub from logs. Without a key a server would run commands for anyone: refused
 * unless `--insecure` on a loopback address. Reads without a key (VIGIE_PUBLIC_READ) likewise
 * only on loopback.
 */
export function checkApiKeyConfig(config: VigieConfig, logger: Logger): void {
  const host = config.host ?? '127.0.0.1';
  const keys = config.apiKey ?? [];
  if (keys.length === 0 && !config.insecure) {
    throw new ConfigError(
      'VIGIE_API_KEY is not set: a server without a key would run commands for anyone. ' +
        'Set it (e.g. `export VIGIE_API_KEY=$(openssl rand -hex 32)`), or pass --insecure to run without one on loopback.',
    );
  }
  if (keys.length === 0 && !isLoopback(host)) {
    throw new ConfigError(`--insecure is only allowed on a loopback address, and HOST is ${host}. Set VIGIE_API_KEY to listen on ${host}.`);
  }
  if (config.publicRead && !isLoopback(host)) {
    throw new ConfigError(
      `VIGIE_PUBLIC_READ is only allowed on a loopback address, and HOST is ${host}: reads return the fleet, alerts, matches and credential state. ` +
        'Unset VIGIE_PUBLIC_READ (clients send the key in x-api-key), or listen on 127.0.0.1.',
    );
  }
  for (const k of keys) registerSecret(k);
  if (keys.some((k) => k.length < 16)) logger.warn('VIGIE_API_KEY is shorter than 16 characters; use a long random key (openssl rand -hex 32)');
}
