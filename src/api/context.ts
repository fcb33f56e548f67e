/**
 * Correlation ids and the request context.
 *
 * The id comes from X-Correlation-Id when it is a sane token (so a caller can
 * follow one request through its own logs and ours), otherwise a fresh UUID.
 * It is Fastify's request id, echoed on every response. The handler's call to
 * the client gets the request's context handed over (logging.ts handOver), and
 * the core carries it from there, so its log lines and audit rows carry the id
 * and the API key's name; no AsyncLocalStorage context is entered.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { handOver, newCorrelationId, type RequestContext } from '../core/logging.js';
import { LazyChildLogger } from './lazy-logger.js';
import type { ChildLoggerOptions } from 'pino';

export const CORRELATION_HEADER = 'x-correlation-id';
/** Printable, no spaces, bounded: safe to log, store and echo in a header. */
const SANE_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

export function correlationIdFor(req: IncomingMessage): string {
  const given = req.headers[CORRELATION_HEADER];
  return typeof given === 'string' && SANE_ID.test(given) ? given : newCorrelationId();
}

/**
 * Runs the rest of the request's tick with its context handed over: the
 * handler calls the client synchronously (every route does), and the client
 * takes the context then and carries it. Routes that read a body use it as
 * their first preHandler, after the body was read (a later tick).
 */
export function enterContext(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  handOver(requestContextOf(request), done);
}

/** The request's context: its correlation id, interface and key name (null before or without a key). */
const requestContextOf = (request: FastifyRequest): RequestContext => ({ correlationId: request.id, interface: clientInterfaceOf(request), apiKeyName: request.apiKeyName });

/** A request logger's child options: none (pino only reads them). */
const NO_OPTIONS: ChildLoggerOptions = Object.freeze({});

/**
 * The request's own logger (request.log, and reply.log for Fastify's warnings about a reply): a child of
 * `logger` whose lines carry the correlation id, the interface and the key name (null before or without a
 * key). Fastify has no logger of its own (server.ts), so this is the only one; it is made only when a line
 * is written (lazy-logger.ts).
 */
export function attachLogger(request: FastifyRequest, reply: FastifyReply, logger: FastifyBaseLogger, bindings: RequestContext = requestContextOf(request)): void {
  const log = new LazyChildLogger(logger, bindings, NO_OPTIONS);
  request.log = log;
  reply.log = log;
}

/**
 * The request hook's last step, once the key is known: the request's own log
 * lines (the error handler's, whenever it runs) carry the interface and key
 * name in their bindings beside the correlation id, and the rest of a bodiless
 * request (Fastify runs it to the handler in the same tick) gets the context.
 */
export function openContext(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction, logger: FastifyBaseLogger): void {
  // One object is both the logger's bindings and the handed-over context: the same three fields, once the key
  // is known, and neither pino (which copies bindings into the child's text when it is made) nor the core
  // changes it. One header read and one allocation fewer per request.
  const context = requestContextOf(request);
  attachLogger(request, reply, logger, context);
  handOver(context, done);
}

export const CLIENT_HEADER = 'x-client';

/**
 * The MCP server and the dashboard are REST clients; they say so with
 * X-Client, so the audit log shows which interface an order came through. It
 * is a label, not a credential: the key's scopes decide what a request may do.
 */
export function clientInterfaceOf(request: FastifyRequest): 'rest' | 'mcp' | 'dashboard' {
  const given = request.headers[CLIENT_HEADER];
  return given === 'mcp' || given === 'dashboard' ? given : 'rest';
}
