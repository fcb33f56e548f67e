/**
 * The REST API server: Fastify with the models' zod schemas for validation,
 * serialisation and OpenAPI, API key auth with scopes, a per-key rate limit,
 * correlation ids and one error shape. Routes only translate HTTP to the
 * GatewayClient and back.
 */
import type { AddressInfo } from 'node:net';
import fastifyRateLimit from '@fastify/rate-limit';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiKey } from '../core/config.js';
import { VERSION } from '../core/version.js';
import { RateLimitedError } from '../core/errors.js';
import type { GatewayClient } from '../core/client/interface.js';
import { createAuthHook } from './auth.js';
import { CORRELATION_HEADER, correlationIdFor, echoCorrelationId, enterContext } from './context.js';
import { errorHandler, notFoundHandler, serializerCompiler, validatorCompiler } from './errors.js';
import { resolveApiKeys } from './keys.js';
import { registerOpenApi } from './openapi.js';
import { accountRoutes } from './routes/account.js';
import { adminRoutes } from './routes/admin.js';
import { auditRoutes } from './routes/audit.js';
import { contractRoutes } from './routes/contracts.js';
import { healthRoutes } from './routes/health.js';
import { marketRoutes } from './routes/market.js';
import { metricsRoutes } from './routes/metrics.js';
import { orderRoutes } from './routes/orders.js';
import type { ApiInstance } from './types.js';

export interface ApiServerOptions {
  /** Keys to accept; default API_KEYS, or the generated key in DATA_DIR when it is unset. */
  apiKeys?: ApiKey[];
  /** Logger for Fastify's own messages; default the client's. */
  logger?: FastifyBaseLogger;
}

/** Builds the server without listening (inject, or listen yourself). Closing it does not close the client. */
export async function buildApiServer(client: GatewayClient, options: ApiServerOptions = {}): Promise<FastifyInstance> {
  const keys = options.apiKeys ?? resolveApiKeys(client.config).keys;
  const app: ApiInstance = Fastify({
    loggerInstance: options.logger ?? client.logger,
    // The core logs what matters inside a request; a line per request would cost more than the request itself.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'correlationId' }),
    genReqId: correlationIdFor,
    requestIdHeader: false,
    // A URL the router cannot decode never reaches the hooks or the error handler; answer it in the same shape.
    frameworkErrors: (error, request, reply) => {
      void reply.header(CORRELATION_HEADER, request.id);
      errorHandler(error, request, reply);
    },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);

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
  app.addHook('onRequest', echoCorrelationId);
  app.addHook('onRequest', createAuthHook(keys));
  app.addHook('preHandler', enterContext);
  // While closing, answers to in-flight requests say Connection: close, so a keep-alive
  // client does not hold the server open until the keep-alive timeout (72 s in Fastify).
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });
  const { httpRequestSeconds } = client.metrics;
  app.addHook('onResponse', (request, reply, done) => {
    // The route pattern, not the URL: order ids in paths would make a label per order.
    httpRequestSeconds.observe({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });

  await registerOpenApi(app, VERSION);
  await app.register(fastifyRateLimit, {
    global: true,
    max: client.config.api.rateLimitPerMinute,
    timeWindow: 60_000,
    // After authentication (onRequest), before the body is read: a limited caller costs no parsing.
    hook: 'preParsing',
    keyGenerator: (request) => (request.apiKeyName !== null ? `key:${request.apiKeyName}` : `ip:${request.ip}`),
    errorResponseBuilder: (_request, context) =>
      new RateLimitedError(`Rate limit of ${context.max} requests per minute reached; retry in ${context.after}`, Math.max(1, Math.ceil(context.ttl / 1000))),
  });

  healthRoutes(app, client);
  marketRoutes(app, client);
  accountRoutes(app, client);
  orderRoutes(app, client);
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
}

export interface RunningApiServer {
  server: FastifyInstance;
  /** http://host:port with the port actually bound (port 0 picks a free one). */
  url: string;
  /** Stops accepting connections, ends quote streams, waits for in-flight requests. Does not close the client. */
  close(): Promise<void>;
}

export async function startApiServer(options: StartApiServerOptions): Promise<RunningApiServer> {
  const server = await buildApiServer(options.client, { apiKeys: options.apiKeys, logger: options.logger });
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
