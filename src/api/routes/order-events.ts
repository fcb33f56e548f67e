/**
 * Order events: GET /api/orders/events (a page of recorded events) and
 * GET /api/orders/stream (Server-Sent Events, resumable).
 *
 * Each SSE event is `id: <sequence>`, `event: order`, `data: <OrderEvent>`.
 * A client that reconnects with Last-Event-ID (EventSource does it by itself)
 * gets every event after that sequence, from the durable order history, then
 * the live ones: nothing lost, nothing twice, in order. The stream pulls from
 * client.orderEvents and writes only while the socket drains, so a slow
 * client holds one page of events at most; one that stops reading for good
 * is dropped when its buffer passes MAX_BUFFERED_BYTES.
 */
import { z } from 'zod';
import type { GatewayClient } from '../../core/client/interface.js';
import { OrderEvent, OrderEventsQuery, OrderStreamQuery } from '../../core/models.js';
import { sseStreams } from '../sse.js';
import { claimStreamSlot } from '../stream-slots.js';
import type { ApiInstance } from '../types.js';
import { errorResponses, secured } from './common.js';

/** Last-Event-ID as EventSource sends it: the id of the last event received. */
const StreamHeaders = z.looseObject({
  'last-event-id': z
    .string()
    .trim()
    .regex(/^\d{1,15}$/, 'Last-Event-ID must be the sequence number of an order event')
    .optional()
    .describe('Resume after this sequence (sent by EventSource on reconnect); takes precedence over afterSequence'),
});

export function orderEventRoutes(app: ApiInstance, client: GatewayClient, options: { heartbeatMs?: number } = {}): void {
  const openStream = sseStreams(app);

  app.get(
    '/api/orders/events',
    secured('read', 'orders', 'Recorded order events (state changes and fills) with their sequence numbers: after afterSequence, or the latest `limit`', {
      querystring: OrderEventsQuery,
      response: { 200: z.array(OrderEvent), ...errorResponses },
    }),
    (request) => client.listOrderEvents(request.query),
  );

  app.get(
    '/api/orders/stream',
    {
      exposeHeadRoute: false,
      ...secured(
        'read',
        'orders',
        'Server-Sent Events: `id: <sequence>`, `event: order`, data an OrderEvent, for every order state change and fill. Reconnect with Last-Event-ID (or ?afterSequence=) to resume without loss.',
        { querystring: OrderStreamQuery, headers: StreamHeaders, produces: ['text/event-stream'], response: errorResponses },
      ),
    },
    (request, reply) => {
      claimStreamSlot(app.server, request, reply, client.config.api.maxStreamsPerKey);
      const resumeFrom = request.headers['last-event-id'];
      const afterSequence = resumeFrom !== undefined ? Number(resumeFrom) : request.query.afterSequence;
      const stop = new AbortController();
      // Fixed now: "new events" means those recorded after this request arrived.
      const events = client.orderEvents({ afterSequence, signal: stop.signal, owner: request.query.owner });

      const stream = openStream(request, reply, {
        comment: `order events${afterSequence !== undefined ? ` after ${afterSequence}` : ' from now'}`,
        heartbeatMs: options.heartbeatMs,
        onClose: () => stop.abort(),
      });

      void (async () => {
        try {
          for await (const event of events) {
            const encoded = OrderEvent.safeEncode(event);
            if (!encoded.success) {
              request.log.error({ issues: encoded.error.issues, sequence: event.sequence }, 'order event does not match the OrderEvent schema; not sent');
              continue;
            }
            if (stream.ended) break;
            // Backpressure: read the next event only once this one has left, so memory stays one page.
            if (!stream.send('order', encoded.data, event.sequence)) await stream.drained();
          }
        } catch (err) {
          request.log.error({ err }, 'order event stream failed; closing it');
        } finally {
          stream.end();
        }
      })();
      request.log.debug({ afterSequence }, 'order event stream opened');
    },
  );
}
