/**
 * The REST API server: Fastify with the models' zod schemas for validation,
 * serialisation and OpenAPI, API key auth with scopes, a per-key rate limit,
 * correlation ids and one error shape. Routes only translate HTTP to the
 * GatewayClient and back.
 */
import type { AddressInfo } from 'node:net';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiKey } from '../core/config.js';
import { VERSION } from '../core/version.js';
import type { GatewayClient } from '../core/client/interface.js';
import type { AuthThrottleOptions } from './auth-throttle.js';
import { createClientErrorHandler } from './client-error.js';
import { RequestCompletion } from './completion.js';
import { attachLogger, CORRELATION_HEADER, correlationIdFor, enterContext } from './context.js';
import { BODY_LIMIT_BYTES, errorHandler, notFoundHandler, validatorCompiler } from './errors.js';
import { resolveApiKeys } from './keys.js';
import { registerOpenApi } from './openapi.js';
import { accountRoutes } from './routes/account.js';
import { adminRoutes } from './routes/admin.js';
import { approvalRoutes } from './routes/approvals.js';
import { auditRoutes } from './routes/audit.js';
import { contractRoutes } from './routes/contracts.js';
import { healthRoutes } from './routes/health.js';
import { marketRoutes } from './routes/market.js';
import { meRoutes } from './routes/me.js';
import { metricsRoutes } from './routes/metrics.js';
import { orderEventRoutes } from './routes/order-events.js';
import { orderRoutes } from './routes/orders.js';
import { positionRoutes } from './routes/positions.js';
import { createRequestHook } from './request-hook.js';
import { setSecurityHeaders } from './security-headers.js';
import { serializerCompiler } from './serializer.js';
import type { ApiInstance } from './types.js';

export interface ApiServerOptions {
  /** Keys to accept; default API_KEYS, or the generated key in DATA_DIR when it is unset. */
  apiKeys?: ApiKey[];
  /** Parent of each request's logger (its lines carry the correlation id); default the client's. */
  logger?: FastifyBaseLogger;
  /** Back-off for wrong keys per address (tests shorten it); default auth-throttle.ts's. */
  authThrottle?: Partial<AuthThrottleOptions>;
  /** How often the order event stream sends a keep-alive comment (ms; default 15 s; tests shorten it). */
  streamHeartbeatMs?: number;
}

/** Methods Fastify never reads a body for: their handler runs in the tick of the request hook. */
const BODYLESS_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'TRACE']);

/** Routes that are keyless only with PUBLIC_DOCS=true; otherwise they need read like any data route. */
const isDocsRoute = (url: string): boolean => url === '/openapi.json' || url === '/docs' || url.startsWith('/docs/');

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
/**
 * Fastify types these factories as ajv's and fast-json-stringify's; at run time it calls each once for the
 * compiler a route uses unless one was set, and setValidatorCompiler/setSerializerCompiler below set ours.
 */
const OWN_COMPILERS = { buildValidator: () => validatorCompiler, buildSerializer: () => serializerCompiler } as unknown as CompilersFactory;

/** Builds the server without listening (inject, or listen yourself). Closing it does not close the client. */
export async function buildApiServer(client: GatewayClient, options: ApiServerOptions = {}): Promise<FastifyInstance> {
  const keys = options.apiKeys ?? resolveApiKeys(client.config).keys;
  const logger = options.logger ?? client.logger;
  const completion = new RequestCompletion(client.metrics.httpRequestSeconds);
  const app: ApiInstance = Fastify({
    // No logger for Fastify itself. With one, Fastify puts an end-of-response listener (two listeners, a
    // closure, two timestamps) and a child logger on every request: 5–7 % of the quote route's CPU with
    // its other parts stripped, a few per cent of the whole route (docs/performance.md). The request hook
    // gives each request its own logger instead (context.ts attachLogger; Fastify's warnings about a reply
    // go through reply.log, which it sets too), and observes the latency histogram (completion.ts). Fastify's server-level lines are not written: the listening
    // line, which the gateway prints itself (gateway/serve.ts), and an onClose hook's error.
    // No request log lines from Fastify either way: the core logs what matters inside a request.
    logController: new LogController({ disableRequestLogging: true }),
    // Bounded body: nothing the API reads comes near it (see BODY_LIMIT_BYTES).
    bodyLimit: BODY_LIMIT_BYTES,
    // Requests Node's parser refuses answer in the API's error shape too.
    clientErrorHandler: createClientErrorHandler(logger),
    genReqId: correlationIdFor,
    // The API validates and serialises with its own compilers (set below): given here too, Fastify does not
    // load its default ajv and fast-json-stringify compilers at start only to have them replaced.
    schemaController: { compilersFactory: OWN_COMPILERS },
    requestIdHeader: false,
    // A URL the router cannot decode never reaches the hooks or the error handler; answer it in the same shape,
    // with the same headers.
    frameworkErrors: (error, request, reply) => {
      void reply.header(CORRELATION_HEADER, request.id);
      setSecurityHeaders(reply);
      attachLogger(request, reply, logger);
      errorHandler(error, request, reply);
    },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler({ preHandler: enterContext }, notFoundHandler);

  // An empty JSON body is "no body" (POST .../cancel from curl -H 'content-type: application/json'),
  // anything else goes through Fastify's own parser with its prototype-poisoning protection.
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '' || (typeof body === 'string' && body.trim() === '')) return done(null, undefined);
    defaultJson(request, typeof body === 'string' ? body : body.toString('utf8'), done);
  });

  // Declared up front so every request object has the same shape (V8 keeps one hidden class).
  app.decorateRequest('apiKeyName', null);
  app.decorateRequest('apiKeyScopes', null);
  app.decorateRequest('clientInterface', 'rest');
  app.decorateRequest('routeUrl', null);
  // Correlation id, security headers, authentication and the per-key rate limit: one hook (request-hook.ts).
  const rateLimitPerMinute = client.config.api.rateLimitPerMinute;
  app.addHook('onRequest', createRequestHook({ keys, registry: client.metrics.registry, throttle: options.authThrottle, rateLimitPerMinute, logger, completion }));
  // Swagger UI and the OpenAPI document describe every route: without PUBLIC_DOCS=true they need a read key.
  if (!client.config.api.publicDocs) {
    app.addHook('onRoute', (route) => {
      if (isDocsRoute(route.url) && route.config?.scope === undefined) route.config = { ...route.config, scope: 'read' };
    });
  }
  // The request context (context.ts): entered by the request hook, around everything that follows it in
  // the same tick; for a request that can carry a body the handler runs after the body arrives, in another
  // tick, so those routes (and the not-found handler) enter it again just before the handler. A GET passes
  // no hook stage for it.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (methods.every((method) => BODYLESS_METHODS.has(method))) return;
    const own = route.preHandler;
    route.preHandler = own === undefined ? [enterContext] : [enterContext, ...(Array.isArray(own) ? own : [own])];
  });
  // While closing, the connection of each answered in-flight request is ended after its answer (completion.ts).
  app.addHook('preClose', (done) => {
    completion.startClosing();
    done();
  });

  registerOpenApi(app, VERSION);
  healthRoutes(app, client);
  meRoutes(app);
  marketRoutes(app, client);
  accountRoutes(app, client);
  orderEventRoutes(app, client, { heartbeatMs: options.streamHeartbeatMs });
  orderRoutes(app, client);
  approvalRoutes(app, client);
  positionRoutes(app, client);
  contractRoutes(app, client);
  auditRoutes(app, client);
  adminRoutes(app, client);
  metricsRoutes(app, client);
  return app;
}

export interface StartApiServerOptions {
  client: GatewayClient;
  host: string;
  port: number;
  apiKeys?: ApiKey[];
  logger?: FastifyBaseLogger;
  authThrottle?: Partial<AuthThrottleOptions>;
}

export interface RunningApiServer {
  server: FastifyInstance;
  /** http://host:port with the port actually bound (port 0 picks a free one). */
  url: string;
  /** Stops accepting connections, ends quote streams, waits for in-flight requests. Does not close the client. */
  close(): Promise<void>;
}

export async function startApiServer(options: StartApiServerOptions): Promise<RunningApiServer> {
  const server = await buildApiServer(options.client, { apiKeys: options.apiKeys, logger: options.logger, authThrottle: options.authThrottle });
  await server.listen({ host: options.host, port: options.port });
  const address = server.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | null = null;
  return {
    server,
    url: `http://${host}:${address.port}`,
    close: () => (closing ??= server.close()),
  };
}
