import { createHash, timingSafeEqual } from 'node:crypto';

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

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** True for an address that only this host can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
