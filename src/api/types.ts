/**
 * Types shared by the REST API modules: the Fastify instance with the zod type
 * provider, and what the auth hook leaves on each request.
 */
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiScope } from '../core/config.js';

/** The server as the route modules see it: request and reply types inferred from zod schemas. */
export type ApiInstance = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, ZodTypeProvider>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a key needs for this route; absent means the route is public (health, docs). */
    scope?: ApiScope;
    /** With a scope: a request without any key passes anonymously (the handler shows less); a key presented is still checked. */
    optionalKey?: boolean;
  }
  interface FastifyRequest {
    /** Display name of the authenticated key (never the key); null on public routes. */
    apiKeyName: string | null;
    /** Scopes of the authenticated key; null on public routes. */
    apiKeyScopes: ReadonlySet<ApiScope> | null;
    /** The matched route's pattern (e.g. /api/orders/:orderId), set by the request hook; null before it. */
    routeUrl: string | null;
    /** Which client the caller says it is (X-Client: mcp | dashboard), for the audit log's user context. */
    clientInterface: 'rest' | 'mcp' | 'dashboard';
  }
}
