import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { VigieError } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import { sendError } from '../http/errors.js';
import { EventFeed, type EventFeedOptions } from './event-feed.js';

export interface EventsRouteOptions extends EventFeedOptions {
  bus: EventBus;
  /** Receives the feed, for its stats (tests, metrics). */
  onFeed?: (feed: EventFeed) => void;
}

/**
 * `GET /api/v1/events`: the coordinator's events as Server-Sent Events, behind `x-api-key` like
 * every read (the app's check; the page reads it with @vigie/client's stream, which sends
 * headers, where an EventSource cannot). Register with `app.register(eventsRoute, opts)`.
 */
export async function eventsRoute(app: FastifyInstance, opts: EventsRouteOptions): Promise<void> {
  const feed = new EventFeed(opts.bus, opts);
  opts.onFeed?.(feed);
  // Open streams never end by themselves: end them, or closing the server would wait forever.
  app.addHook('preClose', (done) => {
    feed.closeAll();
    done();
  });
  app.get<{ Headers: { 'last-event-id'?: string } }>('/api/v1/events', (request, reply) => {
    const lastId = request.headers['last-event-id'];
    if (lastId !== undefined && lastId.length > 64) {
      return sendError(reply, new VigieError('BAD_REQUEST', 'Last-Event-ID is too long; send the id of the last event received, or none.', 400));
    }
    // Hijacked: the stream is written by the feed, which also sends the headers hooks set (CORS).
    const headers = reply.getHeaders();
    reply.hijack();
    feed.attach(reply.raw, lastId, headers as OutgoingHttpHeaders);
  });
}
