/**
 * GET /health: without a key, status only (load balancers and monitors poll
 * it); with a read key, the details (broker, accounts, mode, kill switch).
 * Account ids and the broker's state are not for whoever can reach the port.
 */
import { healthStatusOf } from '../../core/client/health-status.js';
import type { GatewayClient } from '../../core/client/interface.js';
import { Health, HealthStatus } from '../../core/models.js';
import type { ApiInstance } from '../types.js';
import { errorResponses, SECURITY } from './common.js';

export function healthRoutes(app: ApiInstance, client: GatewayClient): void {
  // The keyless status is tried first: monitors poll it, and HealthStatus is strict, so a full body
  // fails that branch on its first extra key and is then read as Health.
  const Answer = HealthStatus.or(Health);
  app.get(
    '/health',
    {
      config: { scope: 'read', optionalKey: true },
      schema: {
        tags: ['health'],
        summary: 'Gateway status; with a read key also broker connection, accounts, trading mode and kill switch',
        description:
          'No API key needed for `{"status"}` alone; a key with the read scope gets the full body. ' +
          '200 while the broker is connected or degraded, 503 when it is down. A wrong key is 401.',
        security: [{}, ...SECURITY],
        response: { 200: Answer, 503: Answer, ...errorResponses },
      },
    },
    (request, reply) => {
      // A monitor that only looks at the status code still sees a dead broker.
      const answer = (health: Health | HealthStatus): void => {
        void reply.code(health.status === 'down' ? 503 : 200).send(health);
      };
      // Without a read key the answer is the status alone, which the broker's state decides: no store reads
      // for details that would be thrown away, and answered in the same tick, with no promise (monitors poll this).
      if (request.apiKeyScopes?.has('read') !== true) {
        answer({ status: healthStatusOf(client.broker.status().state) });
        return;
      }
      return client.health().then(answer);
    },
  );
}
