import { VigieError } from '../errors.js';
import { portInUseError } from '../http/listen.js';
import { probePort } from '../util/ports.js';

/** An address `vigie up` is about to listen on. */
export interface PlannedPort {
  host: string;
  port: number;
  /** Who will listen there, for the message ("Worker 2"). */
  what: string;
  /** The flag that changes it. */
  flag: string;
}

/**
 * Checks that every planned address is free before `vigie up` starts anything, so that a
 * taken one stops it with one message that says who holds it and what to do (PORT_IN_USE).
 */
export async function assertPortsFree(planned: readonly PlannedPort[]): Promise<void> {
  for (const p of planned) {
    const state = await probePort(p.host, p.port);
    if (state === 'free') continue;
    if (state === 'in-use') {
      throw portInUseError(
        p.host,
        p.port,
        (holder) =>
          `${p.what} needs it. If that is a worker or coordinator left by an earlier \`vigie up\`, stop it (\`kill ${holder?.pid ?? '<pid>'}\`); else run \`vigie up ${p.flag} <port>\` with a free port. Nothing was started.`,
      );
    }
    throw new VigieError('ADDRESS_UNAVAILABLE', `Cannot listen on ${p.host}:${p.port} (${state}) for ${p.what}. Local workers need the loopback addresses 127.0.0.2 upwards (on macOS: \`sudo ifconfig lo0 alias ${p.host}\`). Nothing was started.`, 500);
  }
}
