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
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import type { GatewayClient } from '../../core/client/interface.js';
import { OrderEvent, OrderEventsQuery, OrderStreamQuery } from '../../core/models.js';
import type { ApiInstance } from '../types.js';
import { errorResponses, secured } from './common.js';

/** A comment line every so often keeps proxies and load balancers from closing a quiet stream. */
export const HEARTBEAT_MS = 15_000;
/** A client this far behind is not reading; drop it rather than buffer without bound. */
const MAX_BUFFERED_BYTES = 1 << 20;

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
  const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;

  app.get(
    '/api/orders/events',
    secured('read', 'orders', 'Recorded order events (state changes and fills) with their sequence numbers: after afterSequence, or the latest `limit`', {
      querystring: OrderEventsQuery,
      response: { 200: z.array(OrderEvent), ...errorResponses },
    }),
    (request) => client.listOrderEvents(request.query),
  );

  // Streams still open, ended when the server closes so close() does not wait on them forever.
  const openStreams = new Set<() => void>();
  app.addHook('preClose', (done) => {
    for (const end of openStreams) end();
    done();
  });

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
      const resumeFrom = request.headers['last-event-id'];
      const afterSequence = resumeFrom !== undefined ? Number(resumeFrom) : request.query.afterSequence;
      const stop = new AbortController();
      // Fixed now: "new events" means those recorded after this request arrived.
      const events = client.orderEvents({ afterSequence, signal: stop.signal });

      reply.hijack();
      const res = reply.raw;
      // Headers set so far (correlation id, rate limit) would be lost with the hijack otherwise.
      for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) res.setHeader(name, value);
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write(`retry: 3000\n: order events${afterSequence !== undefined ? ` after ${afterSequence}` : ' from now'}\n\n`);

      const heartbeat = setInterval(() => {
        if (tooFarBehind(res)) {
          request.log.warn({ buffered: res.writableLength }, 'order stream client is not reading; closing it');
          res.destroy();
          return;
        }
        res.write(': keep-alive\n\n');
      }, heartbeatMs);
      heartbeat.unref();
      let ended = false;
      const cleanup = (): void => {
        if (ended) return;
        ended = true;
        clearInterval(heartbeat);
        openStreams.delete(end);
        stop.abort();
      };
      const end = (): void => {
        cleanup();
        if (!res.writableEnded && !res.destroyed) res.end();
      };
      openStreams.add(end);
      res.on('close', cleanup);
      if (res.destroyed || res.socket === null || res.socket.destroyed) cleanup();

      void (async () => {
        try {
          for await (const event of events) {
            const encoded = OrderEvent.safeEncode(event);
            if (!encoded.success) {
              request.log.error({ issues: encoded.error.issues, sequence: event.sequence }, 'order event does not match the OrderEvent schema; not sent');
              continue;
            }
            if (res.destroyed || res.writableEnded) break;
            const flushed = res.write(`id: ${event.sequence}\nevent: order\ndata: ${JSON.stringify(encoded.data)}\n\n`);
            // Backpressure: read the next event only once this one has left, so memory stays one page.
            if (!flushed) await drained(res, stop.signal);
          }
        } catch (err) {
          request.log.error({ err }, 'order event stream failed; closing it');
        } finally {
          end();
        }
      })();
      request.log.debug({ afterSequence }, 'order event stream opened');
    },
  );
}

const tooFarBehind = (res: ServerResponse): boolean => res.writableLength > MAX_BUFFERED_BYTES;

function drained(res: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
