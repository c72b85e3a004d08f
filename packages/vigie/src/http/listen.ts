import type { FastifyInstance } from 'fastify';
import { VigieError } from '../errors.js';
import { describePortHolder, findPortHolder, type PortHolder } from '../util/ports.js';

/** The PORT_IN_USE error for host:port, naming the holder when this host lets us see it; `hint` says what to do. */
export function portInUseError(host: string, port: number, hint: string | ((holder: PortHolder | undefined) => string)): VigieError {
  const holder = findPortHolder(host, port);
  const todo = typeof hint === 'string' ? hint : hint(holder);
  return new VigieError('PORT_IN_USE', `Cannot listen on ${host}:${port}: the port is ${describePortHolder(host, port, holder)}. ${todo}`, 409);
}

/**
 * `app.listen`, with a port already taken reported as one actionable PORT_IN_USE error
 * instead of the raw EADDRINUSE stack.
 */
export async function listenOn(app: FastifyInstance, host: string, port: number, hint: string): Promise<void> {
  try {
    await app.listen({ host, port });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw portInUseError(host, port, hint);
    throw err;
  }
}
