/**
 * The OpenAPI 3 document, generated from the same zod schemas that validate
 * requests and serialise responses, at /openapi.json, with Swagger UI at /docs.
 */
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import type { ApiInstance } from './types.js';

export async function registerOpenApi(app: ApiInstance, version: string): Promise<void> {
  await app.register(fastifySwagger, {
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
        { name: 'contracts' },
        { name: 'audit' },
        { name: 'admin' },
        { name: 'metrics' },
      ],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
