/**
 * Server-Sent Events over a hijacked Fastify reply, the one way every stream
 * route opens, feeds and ends a stream:
 * - the headers set before the hijack (correlation id, rate limit, security
 *   headers) are kept, and nginx is told not to buffer;
 * - a comment line every `heartbeatMs` keeps proxies from closing a quiet stream;
 * - a client that stops reading is dropped once MAX_BUFFERED_BYTES wait for it,
 *   rather than buffered without bound;
 * - every stream still open is ended when the server closes, so close() does
 *   not wait on them forever.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiInstance } from './types.js';

/** A comment line every so often keeps proxies and load balancers from closing a quiet stream. */
export const HEARTBEAT_MS = 15_000;
/** A client this far behind is not reading; drop it rather than buffer without bound. */
export const MAX_BUFFERED_BYTES = 1 << 20;

export interface SseOptions {
  /** The comment the stream opens with (what is being streamed). */
  comment: string;
  heartbeatMs?: number;
  /** Runs once when the stream ends, whoever ends it (client, server close, the route). */
  onClose: () => void;
}

export interface SseStream {
  readonly res: ServerResponse;
  /** Writes one event; false when it could not (stream over) or the socket's buffer is full (see `drained`). */
  send(event: string, data: unknown, id?: string | number): boolean;
  /** Resolves when the socket can take more, or the stream ended. */
  drained(): Promise<void>;
  readonly ended: boolean;
  end(): void;
}

/** Registers the server-close hook for this route module and returns how its routes open streams. */
export function sseStreams(app: ApiInstance): (request: FastifyRequest, reply: FastifyReply, options: SseOptions) => SseStream {
  const open = new Set<SseStream>();
  app.addHook('preClose', (done) => {
    for (const stream of open) stream.end();
    done();
  });
  return (request, reply, options) => {
    reply.hijack();
    const res = reply.raw;
    // Headers set so far (correlation id, rate limit) would be lost with the hijack otherwise.
    for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) res.setHeader(name, value);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(`retry: 3000\n: ${options.comment}\n\n`);

    let ended = false;
    const waitingForDrain = new Set<() => void>();
    const cleanup = (): void => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      open.delete(stream);
      for (const wake of waitingForDrain) wake();
      options.onClose();
    };
    const gone = (): boolean => res.writableEnded || res.destroyed;
    const tooFarBehind = (): boolean => {
      if (res.writableLength <= MAX_BUFFERED_BYTES) return false;
      request.log.warn({ buffered: res.writableLength, url: request.url }, 'stream client is not reading; closing it');
      res.destroy();
      return true;
    };
    const stream: SseStream = {
      res,
      send(event, data, id) {
        if (gone() || tooFarBehind()) return false;
        return res.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      },
      drained: () =>
        new Promise((resolve) => {
          if (ended || gone()) return resolve();
          const done = (): void => {
            res.off('drain', done);
            waitingForDrain.delete(done);
            resolve();
          };
          res.on('drain', done);
          waitingForDrain.add(done);
        }),
      get ended() {
        return ended;
      },
      end() {
        cleanup();
        if (!gone()) res.end();
      },
    };
    const heartbeat = setInterval(() => {
      if (!gone() && !tooFarBehind()) res.write(': keep-alive\n\n');
    }, options.heartbeatMs ?? HEARTBEAT_MS);
    heartbeat.unref();
    open.add(stream);
    res.on('close', cleanup);
    // The client may have gone while the route was getting ready; 'close' would then never come.
    if (res.destroyed || res.socket === null || res.socket.destroyed) cleanup();
    return stream;
  };
}
