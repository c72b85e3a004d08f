import type { onRequestHookHandler } from 'fastify';
import { VigieError } from '../errors.js';
import { createKeyCheck } from '../http/auth.js';
import { sendError } from '../http/errors.js';

/**
 * An onRequest hook that needs `x-api-key` on every method, reads included: the dashboard's
 * routes show the fleet, matches and settings. No key configured (insecure mode, loopback
 * only) lets everything through, as the app's own check does.
 */
export function requireKey(apiKeys: readonly string[]): onRequestHookHandler {
  const check = createKeyCheck(apiKeys);
  const required = apiKeys.length > 0;
  return (request, reply, done) => {
    const provided = request.headers['x-api-key'];
    if (!required || check(typeof provided === 'string' ? provided : undefined)) return done();
    request.log.warn({ route: request.url, ip: request.ip }, 'rejected: missing or wrong x-api-key');
    void sendError(reply, new VigieError('UNAUTHORIZED', 'Missing or wrong x-api-key header. Send the key set in VIGIE_API_KEY.', 401));
  };
}
