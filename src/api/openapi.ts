/**
 * The OpenAPI 3 document, generated from the same zod schemas that validate
 * requests and serialise responses, at /openapi.json, with Swagger UI at /docs.
 *
 * Built at the first request for either, not at start: @fastify/swagger,
 * Swagger UI and its static file server (with yaml, glob, mime, send) were
 * about a tenth of the gateway's cold start, and most gateways never serve
 * their docs. Here the API only notes each route as it is added (an onRoute
 * hook: a push per route); the first docs request builds a separate Fastify
 * instance with the swagger plugins and the same routes and schemas (handlers
 * that never run), and the API forwards /docs and /openapi.json to it. Auth,
 * security headers, correlation ids and error shapes stay the API's own:
 * the forwarding routes are ordinary API routes.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import Fastify from 'fastify';
import type { ApiInstance } from './types.js';

interface NotedRoute {
  method: HTTPMethods | HTTPMethods[];
  url: string;
  schema: unknown;
}

const isDocsUrl = (url: string): boolean => url === '/openapi.json' || url === '/docs' || url.startsWith('/docs/');

/** Headers of the docs instance's answers that the API's own reply sets for itself. */
const HOP_HEADERS = new Set(['content-length', 'date', 'connection', 'keep-alive', 'transfer-encoding']);

async function buildDocsApp(routes: readonly NotedRoute[], version: string): Promise<FastifyInstance> {
  const [{ default: fastifySwagger }, { default: fastifySwaggerUi }, { jsonSchemaTransform }] = await Promise.all([
    import('@fastify/swagger'),
    import('@fastify/swagger-ui'),
    import('fastify-type-provider-zod'),
  ]);
  const docs = Fastify();
  // The routes are here for their schemas only: nothing is validated or serialised by this instance.
  docs.setValidatorCompiler(() => () => true);
  docs.setSerializerCompiler(() => (data) => JSON.stringify(data));
  await docs.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'ibkr-gateway',
        version,
        description:
          'REST API over Interactive Brokers (or the embedded simulator). Every failure answers `{ error: { code, message, details? }, correlationId }`; ' +
          'send X-Correlation-Id to choose the id, it is echoed on every response.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An API key from API_KEYS (or DATA_DIR/api-key)' },
          bearer: { type: 'http', scheme: 'bearer', description: 'The same key as Authorization: Bearer <key>' },
        },
      },
      tags: [
        { name: 'health' },
        { name: 'auth' },
        { name: 'market' },
        { name: 'account' },
        { name: 'orders' },
        { name: 'approvals' },
        { name: 'contracts' },
        { name: 'audit' },
        { name: 'admin' },
        { name: 'metrics' },
      ],
    },
    transform: jsonSchemaTransform,
  });
  await docs.register(fastifySwaggerUi, { routePrefix: '/docs' });
  for (const route of routes) {
    docs.route({ method: route.method, url: route.url, schema: route.schema as object, exposeHeadRoute: false, handler: () => null });
  }
  await docs.ready();
  return docs;
}

/** An answer of the docs instance that is not a success, as an error the API's error handler words (403, 404 ...). */
function docsFailure(status: number, request: FastifyRequest): Error {
  const path = request.url.split('?', 1)[0] ?? '';
  return Object.assign(new Error(status === 404 ? `No route GET ${path.slice(0, 200)}` : 'The docs could not serve this path'), { statusCode: status });
}

export function registerOpenApi(app: ApiInstance, version: string): void {
  const routes: NotedRoute[] = [];
  app.addHook('onRoute', (route) => {
    const schema = route.schema as { hide?: boolean } | undefined;
    if (route.method === 'HEAD' || isDocsUrl(route.url) || schema?.hide === true) return;
    routes.push({ method: route.method, url: route.url, schema: route.schema ?? {} });
  });

  let docs: Promise<FastifyInstance> | null = null;
  const docsApp = (): Promise<FastifyInstance> => {
    docs ??= buildDocsApp(routes, version).catch((err: unknown) => {
      docs = null;
      throw err;
    });
    return docs;
  };
  app.addHook('onClose', async () => {
    if (docs) await (await docs).close();
  });

  const forward = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const answer = await (await docsApp()).inject({ method: 'GET', url: request.url });
    if (answer.statusCode >= 400) throw docsFailure(answer.statusCode, request);
    for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !HOP_HEADERS.has(name)) void reply.header(name, value);
    return reply.code(answer.statusCode).send(answer.rawPayload);
  };
  app.get('/openapi.json', { schema: { hide: true } }, async () => (await docsApp()).swagger());
  app.get('/docs', { schema: { hide: true } }, forward);
  app.get('/docs/*', { schema: { hide: true } }, forward);
}
