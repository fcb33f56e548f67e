/**
 * Market data: quote, historical bars, option chain, and a Server-Sent Events
 * stream of quotes. The stream goes through client.streamQuotes, which keeps
 * one broker subscription per instrument for all listeners (IBKR counts market
 * data lines per subscription) and drops it when the last listener leaves.
 * A symbol that cannot be streamed (unknown, no data) does not sink the others:
 * the stream serves the rest and names it in an `event: symbol-error`.
 */
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import type { Unsubscribe } from '../../core/broker/port.js';
import { GatewayError } from '../../core/errors.js';
import type { GatewayClient } from '../../core/client/interface.js';
import { Bar, OptionChain, OptionChainQuery, Quote } from '../../core/models.js';
import { HistoricalQuery, InstrumentQuery, StreamQuery } from '../schemas.js';
import { sseStreams, type SseStream } from '../sse.js';
import { claimStreamSlot } from '../stream-slots.js';
import type { ApiInstance } from '../types.js';
import { errorResponses, secured } from './common.js';

export function marketRoutes(app: ApiInstance, client: GatewayClient): void {
  app.get(
    '/api/market/quote',
    secured('read', 'market', 'Quote snapshot: bid, ask, last, sizes, OHLC, volume', { querystring: InstrumentQuery, response: { 200: Quote, ...errorResponses } }),
    // Answered in the request's own tick when the quote is at hand (the simulator's): no promise to wait for.
    (request) => client.quoteNow(request.query),
  );

  app.get(
    '/api/market/historical',
    secured('read', 'market', 'Historical bars (barSize "1 min" ... "1 month", duration "60 S" ... "1 Y")', {
      querystring: HistoricalQuery,
      response: { 200: z.array(Bar), ...errorResponses },
    }),
    async (request, reply) => {
      // A client that disconnects stops the work: the simulator checks between slices of bars.
      const controller = new AbortController();
      const abandon = (): void => {
        if (!reply.raw.writableEnded) controller.abort(new GatewayError('REQUEST_CANCELLED', 'The client disconnected before the bars were ready'));
      };
      reply.raw.once('close', abandon);
      try {
        return await client.getBars(request.query, { signal: controller.signal });
      } finally {
        reply.raw.off('close', abandon);
      }
    },
  );

  app.get(
    '/api/market/option-chain',
    secured('read', 'market', 'Option expirations and strikes, with the slice near spot priced (greeks included)', {
      querystring: OptionChainQuery,
      response: { 200: OptionChain, ...errorResponses },
    }),
    (request) => client.getOptionChain(request.query),
  );

  const openStream = sseStreams(app);

  app.get(
    '/api/market/stream',
    {
      // A HEAD would open a subscription that can never deliver anything.
      exposeHeadRoute: false,
      ...secured(
        'read',
        'market',
        'Server-Sent Events: `event: quote` with a Quote as data, for each symbol, until the client disconnects. ' +
          'A symbol that cannot be streamed gets one `event: symbol-error` with data `{ "symbol", "error": { "code", "message" } }` and the others stream on; ' +
          'only when no symbol can be streamed is the answer an error (e.g. 404 CONTRACT_NOT_FOUND).',
        { querystring: StreamQuery, produces: ['text/event-stream'], response: errorResponses },
      ),
    },
    async (request, reply) => {
      // Before subscribing anything: a key at its bound costs the broker nothing.
      claimStreamSlot(app.server, request, reply, client.config.api.maxStreamsPerKey);
      const { symbols, securityType } = request.query;
      // Quotes can arrive while subscribing (the hub replays the last one at once): hold them until the headers are out.
      const pending: Quote[] = [];
      let stream: SseStream | null = null;
      const listener = (quote: Quote): void => {
        if (stream) sendQuote(stream, quote, request.log);
        else pending.push(quote);
      };
      const subscriptions: Unsubscribe[] = [];
      const failures: SymbolFailure[] = [];
      try {
        // Resolve every symbol before answering: one that fails is reported on its own, the others stream on.
        for (const symbol of symbols) {
          try {
            subscriptions.push(await client.streamQuotes({ symbol, securityType }, listener));
          } catch (err) {
            // Only the gateway's own errors are about the symbol; anything else is a bug and fails the request.
            if (!(err instanceof GatewayError)) throw err;
            failures.push({ symbol, error: err });
          }
        }
      } catch (err) {
        for (const unsubscribe of subscriptions) unsubscribe();
        throw err;
      }
      // Nothing to stream: the first failure is the answer, as for a single symbol.
      const first = failures[0];
      if (subscriptions.length === 0 && first !== undefined) throw first.error;

      const opened = openStream(request, reply, {
        comment: `streaming ${symbols.join(',')}`,
        onClose: () => {
          for (const unsubscribe of subscriptions) unsubscribe();
        },
      });
      stream = opened;
      // One symbol of the list could not be streamed: say which and why, in the API's error shape.
      for (const { symbol, error } of failures) opened.send('symbol-error', { symbol, error: { code: error.code, message: error.message } });
      for (const quote of pending.splice(0)) sendQuote(opened, quote, request.log);
      request.log.debug({ symbols, failed: failures.map((f) => f.symbol) }, 'quote stream opened');
    },
  );
}

interface SymbolFailure {
  symbol: string;
  error: GatewayError;
}

function sendQuote(stream: SseStream, quote: Quote, log: FastifyBaseLogger): void {
  // Encoding through the Quote schema keeps the stream to exactly the documented fields.
  const parsed = Quote.safeEncode(quote);
  if (!parsed.success) {
    log.error({ issues: parsed.error.issues }, 'quote does not match the Quote schema; not sent');
    return;
  }
  stream.send('quote', parsed.data);
}
