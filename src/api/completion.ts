/**
 * What the server does once a request's answer is written: observe the HTTP
 * latency histogram and, while the server closes, end the connection.
 *
 * Done in Fastify's LogController.requestCompleted rather than an onResponse
 * hook. Fastify already listens for every response's end because it has a
 * logger (lazy-logger.ts), and calls requestCompleted from that listener,
 * after any onResponse hooks; a hook added nothing but one more hook stage per
 * request (the iterator, its callback, a runner), about 1% of the quote
 * route's CPU in a profile. Request log lines stay off (disableRequestLogging):
 * the core logs what matters inside a request, and a line per request would
 * cost more than the request itself.
 */
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import type { RequestHistogram } from '../core/request-histogram.js';

export class CompletionController extends LogController {
  private closing = false;

  constructor(private readonly httpRequestSeconds: RequestHistogram) {
    super({ disableRequestLogging: true, requestIdLogLabel: 'correlationId' });
  }

  /**
   * From now on, the connection of each answered request is ended after its answer, so a keep-alive
   * client does not hold the closing server open until the keep-alive timeout (72 s in Fastify).
   */
  startClosing(): void {
    this.closing = true;
  }

  override requestCompleted(_error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    // The route pattern, not the URL: order ids in paths would make a label per order.
    this.httpRequestSeconds.observe(request.method, request.routeUrl ?? request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    if (this.closing) request.raw.socket.end();
  }
}
