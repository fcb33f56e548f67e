/**
 * MCP over Streamable HTTP at /mcp on a Fastify server (normally the REST
 * API's own). Stateless: a new McpServer and transport per POST, so nothing
 * is kept between requests and any number of API processes can serve it.
 *
 * Auth is the REST API's: the route asks the API's auth hook for the read
 * scope (so no key, no MCP), and the caller's own key is forwarded on every
 * REST call the tools make, so trade and admin scopes apply per tool exactly
 * as they would to the same key over REST.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The MCP SDK and the tools load at the first /mcp request, not at start: they are a
 * large share of the gateway's start-up time and many gateways never serve MCP.
 */
let loaded: Promise<[typeof import('./server.js'), typeof import('@modelcontextprotocol/sdk/server/streamableHttp.js')]> | null = null;
const loadMcp = () => (loaded ??= Promise.all([import('./server.js'), import('@modelcontextprotocol/sdk/server/streamableHttp.js')]));

export interface McpHttpOptions {
  /** REST API the tools call; default this Fastify server's own listening address. */
  apiUrl?: string;
  /** Deadline per REST call in ms (default 10 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Default /mcp. */
  path?: string;
}

/** The key the caller presented, in either header the REST API accepts. */
function callerKey(request: FastifyRequest): string | null {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header.trim() !== '') return header.trim();
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match?.[1] ?? null;
}

/** Where this server listens, as a URL it can call itself on (a wildcard bind is reached on loopback). */
function selfUrl(fastify: FastifyInstance): string {
  const address = fastify.server.address();
  if (address === null || typeof address === 'string') throw new Error('mountMcpHttp: the server is not listening on TCP; pass apiUrl');
  const { address: host, port, family } = address satisfies AddressInfo;
  if (family === 'IPv6') return `http://[${host === '::' ? '::1' : host}]:${port}`;
  return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
}

/** Takes over the raw response, keeping the headers the REST server's hooks set (correlation id, security headers). */
function hijackKeepingHeaders(reply: FastifyReply): void {
  reply.hijack();
  for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) reply.raw.setHeader(name, value);
}

function jsonRpcError(reply: FastifyReply, status: number, message: string): void {
  const res = reply.raw;
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message }, id: null }));
}

export function mountMcpHttp(fastify: FastifyInstance, options: McpHttpOptions = {}): void {
  const path = options.path ?? '/mcp';
  // A variable, not a literal: `scope` is the REST API's route config (its auth hook reads it); other servers ignore it.
  const config = { scope: 'read' as const };

  fastify.route({
    method: 'POST',
    url: path,
    config,
    handler: async (request, reply) => {
      const [{ createMcpServer }, { StreamableHTTPServerTransport }] = await loadMcp();
      const server = createMcpServer({ apiUrl: options.apiUrl ?? selfUrl(fastify), apiKey: callerKey(request), timeoutMs: options.timeoutMs, fetch: options.fetch });
      // JSON responses, not SSE: every tool answers once, and plain JSON passes any proxy.
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      hijackKeepingHeaders(reply);
      reply.raw.on('close', () => {
        void transport.close();
        void server.close();
      });
      try {
        await server.connect(transport);
        await transport.handleRequest(request.raw, reply.raw, request.body);
      } catch (err) {
        request.log.error({ err }, 'MCP request failed');
        jsonRpcError(reply, 500, 'Internal error');
      }
    },
  });

  // Stateless: there is no session to stream server-initiated messages on, or to delete.
  fastify.route({
    method: ['GET', 'DELETE'],
    url: path,
    config,
    handler: async (_request, reply) => {
      hijackKeepingHeaders(reply);
      reply.raw.setHeader('allow', 'POST');
      jsonRpcError(reply, 405, 'Method not allowed: this MCP endpoint is stateless, use POST');
    },
  });
}
