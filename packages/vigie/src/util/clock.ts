import type { Clock as ClientClock } from '@vigie/client';

/**
 * The one clock type of the project: the client's `Clock`, of which server code needs only
 * `now()` (timers are Node's own there). Injected so that decision logic runs on a fake clock in
 * tests. Wall-clock milliseconds: leases and bans are compared across processes and hosts.
 */
export type Clock = Pick<ClientClock, 'now'>;

/** The real clock. */
export const systemClock: Clock = { now: () => Date.now() };
