/**
 * The one onRequest hook every request passes: echo the correlation id, set
 * the security headers, authenticate, count the caller against its rate
 * limit. One hook instead of four: Fastify runs each hook through its own
 * iterator step, and on the quote route the stacked hooks cost more than the
 * route's work (see bench/api.js and docs/performance.md).
 *
 * Order matters and is kept: the correlation id and security headers come
 * first so that even a 401 or a 429 carries them; the rate limit counts only
 * requests that authenticated (a wrong key is the auth throttle's business),
 * keyed by API key, or by client address for requests without one; and all of
 * it runs before the body is read, so a refused caller costs no parsing. A
 * request that passes enters its context (context.ts) last, once its key is known.
 */
import type { FastifyBaseLogger, FastifyContextConfig, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Registry } from 'prom-client';
import type { ApiKey } from '../core/config.js';
import { GatewayError, RateLimitedError } from '../core/errors.js';
import { createAuthenticator } from './auth.js';
import type { AuthThrottleOptions } from './auth-throttle.js';
import type { RequestCompletion } from './completion.js';
import { attachLogger, CORRELATION_HEADER, openContext } from './context.js';
import { RateLimiter } from './rate-limit.js';
import { securityHeadersFor, setSecurityHeaders } from './security-headers.js';

export interface RequestHookOptions {
  keys: readonly ApiKey[];
  registry: Registry;
  throttle?: Partial<AuthThrottleOptions> | undefined;
  /** Requests per minute per key (or per address without a key). */
  rateLimitPerMinute: number;
  /** The parent of each request's logger (context.ts attachLogger). */
  logger: FastifyBaseLogger;
  /** Observes each answer once it is written (completion.ts). */
  completion: RequestCompletion;
}

export function createRequestHook(options: RequestHookOptions) {
  const authenticate = createAuthenticator(options);
  const limiter = new RateLimiter(options.rateLimitPerMinute, 60_000);
  const { logger, completion } = options;

  return function onRequest(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    const started = performance.now();
    // Fastify builds a fresh object on every read of routeOptions: read once, keep the URL for the metrics.
    const route = request.routeOptions.config;
    request.routeUrl = route.url ?? null;
    void reply.header(CORRELATION_HEADER, request.id);
    // API answers get the API set, pages (and anything else) the full one (security-headers.ts says why).
    setSecurityHeaders(reply, securityHeadersFor(route.url));
    try {
      pass(request, reply, done, route);
    } finally {
      // By now an answer that was at hand has been written (completion.ts).
      completion.settle(request, reply.raw, started);
    }
  };

  /** Authentication, the rate limit, then the rest of the request (or its refusal). */
  function pass(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction, route: FastifyContextConfig): void {
    const outcome = authenticate(request, reply, route);
    if (outcome instanceof GatewayError) {
      refuse(request, reply, done, outcome);
    } else {
      const wait = outcome === null ? limiter.takeForAddress(request.ip) : limiter.take(outcome.window);
      if (wait > 0) {
        const seconds = Math.max(1, Math.ceil(wait / 1000));
        void reply.header('retry-after', String(seconds));
        refuse(request, reply, done, new RateLimitedError(`Rate limit of ${limiter.max} requests per minute reached; retry in ${seconds} s`, seconds));
      } else {
        // The rest of a bodiless request (validation, handler, serialisation) runs inside done(), so handing the
        // context over here covers its handler; routes with a body hand it over again before the handler (server.ts).
        openContext(request, reply, done, logger);
      }
    }
  }

  function refuse(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction, error: GatewayError): void {
    // The error handler logs the refusal through request.log.
    attachLogger(request, reply, logger);
    done(error);
  }
}
