/**
 * The bound on event streams (SSE) per API key: API_MAX_STREAMS_PER_KEY.
 *
 * An open stream holds a socket, broker subscriptions and a heartbeat timer
 * for as long as its client stays. Without a bound one key (a script that
 * reconnects in a loop and never closes the old stream, a dashboard open in
 * fifty tabs) could hold every socket and subscription the gateway has. Both
 * stream routes (quotes, order events) share one count per server, so the
 * bound is on a key's streams of every kind together.
 *
 * A slot is taken before the route does any work (a quote stream subscribes
 * before it answers) and given back when the response closes, whoever closes
 * it: the client leaving, the server closing, or an error answered instead
 * of a stream.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../core/errors.js';

/** Open streams per owner, one table per HTTP server (the route modules of one server share it). */
const tables = new WeakMap<object, Map<string, number>>();

function tableOf(server: object): Map<string, number> {
  let table = tables.get(server);
  if (!table) {
    table = new Map();
    tables.set(server, table);
  }
  return table;
}

const ownerOf = (request: FastifyRequest): string => (request.apiKeyName !== null ? `key:${request.apiKeyName}` : `ip:${request.ip}`);

/**
 * Takes one of the caller's stream slots on `server`, or throws 429
 * STREAM_LIMIT_REACHED when all `max` are held. The slot is released when the
 * reply's socket response closes.
 */
export function claimStreamSlot(server: object, request: FastifyRequest, reply: FastifyReply, max: number): void {
  const res = reply.raw;
  // A client already gone will never see a stream, and its 'close' has fired: hold nothing for it.
  if (res.destroyed || res.socket === null || res.socket.destroyed) return;
  const table = tableOf(server);
  const owner = ownerOf(request);
  const held = table.get(owner) ?? 0;
  if (held >= max) {
    const who = request.apiKeyName !== null ? `API key "${request.apiKeyName}"` : `address ${request.ip}`;
    throw new GatewayError('STREAM_LIMIT_REACHED', `${who} already holds ${held} open event streams, the most API_MAX_STREAMS_PER_KEY allows: close one (or raise the limit) before opening another`, {
      limit: max,
      open: held,
    });
  }
  table.set(owner, held + 1);
  res.once('close', () => {
    const left = (table.get(owner) ?? 1) - 1;
    if (left > 0) table.set(owner, left);
    else table.delete(owner);
  });
}
