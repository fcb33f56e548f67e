/**
 * Correlation ids and the request context.
 *
 * The id comes from X-Correlation-Id when it is a sane token (so a caller can
 * follow one request through its own logs and ours), otherwise a fresh UUID.
 * It is Fastify's request id, echoed on every response, and the handler runs
 * inside withContext so the core's log lines and audit rows carry it and the
 * API key's name.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { newCorrelationId, withContext } from '../core/logging.js';

export const CORRELATION_HEADER = 'x-correlation-id';
/** Printable, no spaces, bounded: safe to log, store and echo in a header. */
const SANE_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

export function correlationIdFor(req: IncomingMessage): string {
  const given = req.headers[CORRELATION_HEADER];
  return typeof given === 'string' && SANE_ID.test(given) ? given : newCorrelationId();
}

/**
 * Runs the rest of the request (the handler, and the error handler if it
 * throws) inside the request's context. The request hook calls it last, which
 * covers a bodiless request entirely (Fastify runs it to the handler in the
 * same tick); routes that read a body use it as their first preHandler too,
 * after the body was read, so no stream callback loses the context.
 */
export function enterContext(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  withContext({ correlationId: request.id, interface: clientInterfaceOf(request), apiKeyName: request.apiKeyName }, () => done());
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
