/**
 * Market data: quote, historical bars, option chain, and a Server-Sent Events
 * stream of quotes. The stream goes through client.streamQuotes, which keeps
 * one broker subscription per instrument for all listeners (IBKR counts market
 * data lines per subscription) and drops it when the last listener leaves.
 * A symbol that cannot be streamed (unknown, no data) does not sink the others:
 * the stream serves the rest and names it in an `event: symbol-error`.
 */
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Unsubscribe } from '../../core/broker/port.js';
import { GatewayError } from '../../core/errors.js';
import type { GatewayClient } from '../../core/client/interface.js';
import { Bar, OptionChain, OptionChainQuery, Quote } from '../../core/models.js';
import { HistoricalQuery, InstrumentQuery, StreamQuery } from '../schemas.js';
import type { ApiInstance } from '../types.js';
import { errorResponses, secured } from './common.js';

/** A comment line every so often keeps proxies and load balancers from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;
/** A client this far behind is not reading; drop it rather than buffer without bound. */
const MAX_BUFFERED_BYTES = 1 << 20;

export function marketRoutes(app: ApiInstance, client: GatewayClient): void {
  app.get(
    '/api/market/quote',
    secured('read', 'market', 'Quote snapshot: bid, ask, last, sizes, OHLC, volume', { querystring: InstrumentQuery, response: { 200: Quote, ...errorResponses } }),
    (request) => client.getQuote(request.query),
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

  // Streams still open, ended when the server closes so close() does not wait on them forever.
  const openStreams = new Set<() => void>();
  app.addHook('preClose', (done) => {
    for (const end of openStreams) end();
    done();
  });

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
      const { symbols, securityType } = request.query;
      // Quotes can arrive while subscribing (the hub replays the last one at once): hold them until the headers are out.
      const pending: Quote[] = [];
      let started = false;
      const listener = (quote: Quote): void => {
        if (started) writeQuote(reply, quote);
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

      reply.hijack();
      const res = reply.raw;
      // Headers set so far (correlation id, rate limit) would be lost with the hijack otherwise.
      for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) res.setHeader(name, value);
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        // nginx would otherwise buffer the stream.
        'x-accel-buffering': 'no',
      });
      res.write(`retry: 3000\n: streaming ${symbols.join(',')}\n\n`);
      started = true;
      for (const failure of failures) writeSymbolError(reply, failure);
      for (const quote of pending.splice(0)) writeQuote(reply, quote);

      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
      heartbeat.unref();
      let ended = false;
      const cleanup = (): void => {
        if (ended) return;
        ended = true;
        clearInterval(heartbeat);
        openStreams.delete(end);
        for (const unsubscribe of subscriptions) unsubscribe();
      };
      const end = (): void => {
        cleanup();
        res.end();
      };
      openStreams.add(end);
      res.on('close', cleanup);
      // The client may have gone while we were subscribing; 'close' would then never come.
      if (res.destroyed || res.socket === null || res.socket.destroyed) cleanup();
      request.log.debug({ symbols, failed: failures.map((f) => f.symbol) }, 'quote stream opened');
    },
  );
}

interface SymbolFailure {
  symbol: string;
  error: GatewayError;
}

/** One symbol of the list could not be streamed: say which and why, in the API's error shape. */
function writeSymbolError(reply: FastifyReply, failure: SymbolFailure): void {
  const data = { symbol: failure.symbol, error: { code: failure.error.code, message: failure.error.message } };
  reply.raw.write(`event: symbol-error\ndata: ${JSON.stringify(data)}\n\n`);
}

function writeQuote(reply: FastifyReply, quote: Quote): void {
  const res = reply.raw;
  if (res.writableEnded || res.destroyed) return;
  if (res.writableLength > MAX_BUFFERED_BYTES) {
    reply.log.warn({ buffered: res.writableLength }, 'quote stream client is not reading; closing it');
    res.destroy();
    return;
  }
  // Encoding through the Quote schema keeps the stream to exactly the documented fields.
  const parsed = Quote.safeEncode(quote);
  if (!parsed.success) {
    reply.log.error({ issues: parsed.error.issues }, 'quote does not match the Quote schema; not sent');
    return;
  }
  res.write(`event: quote\ndata: ${JSON.stringify(parsed.data)}\n\n`);
}
