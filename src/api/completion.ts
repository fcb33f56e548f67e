/**
 * What the server does once a request's answer is written: observe the HTTP
 * latency histogram and, while the server closes, end the connection.
 *
 * Without a listener on most requests. Fastify is built without a logger
 * (server.ts says why), so it installs no end-of-response listener of its
 * own, and the request hook calls settle() once the rest of the request's
 * tick has run. A bodiless request whose answer was at hand (a quote, a
 * refusal, a 404) has been written by then: it is observed there and then,
 * with no listener, closure or second timestamp. Only an answer still to
 * come (a body to read, an awaited handler, a stream) gets a listener, and
 * is observed when it finishes or its response fails, as Fastify's listener
 * did. An onResponse hook would have cost every request one more hook stage.
 *
 * The latency runs from the request hook to the answer handed to the socket
 * (an answer written in the hook's tick) or to its `finish` (any other).
 */
import type { ServerResponse } from 'node:http';
import type { FastifyRequest } from 'fastify';
import type { RequestHistogram } from '../core/request-histogram.js';

export class RequestCompletion {
  private closing = false;

  constructor(private readonly httpRequestSeconds: RequestHistogram) {}

  /**
   * From now on, the connection of each answered request is ended after its answer, so a keep-alive
   * client does not hold the closing server open until the keep-alive timeout (72 s in Fastify).
   */
  startClosing(): void {
    this.closing = true;
  }

  /** Called by the request hook after the request's tick ran; `startedMs` is its performance.now() at the hook. */
  settle(request: FastifyRequest, response: ServerResponse, startedMs: number): void {
    // While closing, an answer still being flushed waits for its `finish` before its connection is ended;
    // one already flushed ('finish' has passed, so no listener would run) is ended now.
    if (response.writableEnded && (!this.closing || response.writableFinished)) {
      this.observe(request, response.statusCode, startedMs);
      if (this.closing) request.raw.socket.end();
      return;
    }
    let settled = false;
    const finished = (): void => {
      if (settled) return;
      settled = true;
      response.off('finish', finished);
      response.off('error', finished);
      this.observe(request, response.statusCode, startedMs);
      if (this.closing) request.raw.socket.end();
    };
    response.on('finish', finished);
    response.on('error', finished);
  }

  private observe(request: FastifyRequest, status: number, startedMs: number): void {
    // The route pattern, not the URL: order ids in paths would make a label per order.
    this.httpRequestSeconds.observe(request.method, request.routeUrl ?? 'unmatched', status, (performance.now() - startedMs) / 1000);
  }
}
