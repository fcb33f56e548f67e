/** GET /health: no key, so load balancers and the dashboard can poll it. */
import type { GatewayClient } from '../../core/client/interface.js';
import { Health } from '../../core/models.js';
import type { ApiInstance } from '../types.js';
import { errorResponses } from './common.js';

export function healthRoutes(app: ApiInstance, client: GatewayClient): void {
  app.get(
    '/health',
    {
      schema: {
        tags: ['health'],
        summary: 'Gateway, broker connection, trading mode and kill switch',
        description: 'No API key needed. 200 while the broker is connected or degraded, 503 with the same body when it is down.',
        response: { 200: Health, 503: Health, ...errorResponses },
      },
    },
    async (_request, reply) => {
      const health = await client.health();
      // A monitor that only looks at the status code still sees a dead broker.
      return reply.code(health.status === 'down' ? 503 : 200).send(health);
    },
  );
}
