import type { Logger } from '../observability/logger.js';
import type { OutboxEntry } from '../store/index.js';
import { delivered, describeFailover, formatPrice, permanent, readFailoverPayload, readMatchPayload, readStandbyPayload, standbyLines, type Notifier, type SendResult } from './types.js';

/** Logs each match at info ("notifications in the log"): the demo's channel, and a dry run of the others; standby events too, and failovers (warn when not healed). */
export function createLogNotifier(logger: Logger): Notifier {
  return {
    channel: 'log',
    async send(entry: OutboxEntry): Promise<SendResult> {
      const standby = readStandbyPayload(entry.payload);
      if (standby) {
        const { title, lines } = standbyLines(standby);
        logger.info({ notification: entry.id, standby }, `${title}. ${lines.join(' ')}`);
        return delivered;
      }
      const failover = readFailoverPayload(entry.payload);
      if (failover) {
        const line = `🛠 ${describeFailover(failover)}`;
        if (failover.ok && failover.kind === 'step') logger.info({ notification: entry.id, failover }, line);
        else logger.warn({ notification: entry.id, failover }, line);
        return delivered;
      }
      const p = readMatchPayload(entry.payload);
      if (!p) return permanent('log: the outbox entry holds no match, standby event or failover to log');
      const price = formatPrice(p.item.price, p.item.currency);
      logger.info(
        { notification: entry.id, matchId: p.matchId, alertId: p.alert.id, item: p.item },
        `🔔 Match for "${p.alert.name}": ${p.item.title}${price ? ` - ${price}` : ''}${p.item.url ? ` ${p.item.url}` : ''}`,
      );
      return delivered;
    },
  };
}
