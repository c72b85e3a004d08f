import { Agent, buildConnector } from 'undici';
import type { VigieConfig } from '../config/load.js';
import { isLoopback } from '../http/auth.js';

/**
 * The local address a worker's outbound requests leave from. A worker's "region" on one
 * machine is its address (127.0.0.2, .3 …): a source that blocks an address must see each
 * worker's own, as it would see each Fly.io region's. SOURCE_ADDRESS wins; else a specific
 * HOST; a wildcard host (0.0.0.0, ::) leaves the choice to the system.
 */
export function sourceAddressOf(config: VigieConfig): string | undefined {
  if (config.sourceAddress) return config.sourceAddress;
  const host = config.host;
  if (!host || host === '0.0.0.0' || host === '::' || host === 'localhost') return undefined;
  return host.replace(/^\[|\]$/g, '');
}

/**
 * The keep-alive pool for outbound requests (sources, scrape, refreshers), leaving from
 * `localAddress` when given. A loopback source address can only reach loopback, so it is used
 * for loopback destinations only (a worker on 127.0.0.2 still reaches the internet).
 */
export function outboundAgent(localAddress: string | undefined): Agent {
  if (!localAddress) return new Agent({ keepAliveTimeout: 10_000 });
  const connector = buildConnector({});
  const loopbackOnly = isLoopback(localAddress);
  return new Agent({
    keepAliveTimeout: 10_000,
    // undici passes the client's own (unset) localAddress to the connector on every connect,
    // overriding connector options: the address is set here, per connection.
    connect: (opts, callback) =>
      connector(!loopbackOnly || isLoopback(opts.hostname) ? { ...opts, localAddress } : opts, callback),
  });
}
