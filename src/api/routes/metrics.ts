/** GET /metrics: Prometheus exposition of the client's own registry (read scope: it reveals trading activity). */
import type { GatewayClient } from '../../core/client/interface.js';
import type { ApiInstance } from '../types.js';
import { secured } from './common.js';

export function metricsRoutes(app: ApiInstance, client: GatewayClient): void {
  const { registry } = client.metrics;
  app.get('/metrics', secured('read', 'metrics', 'Prometheus metrics', { produces: ['text/plain'] }), async (_request, reply) => {
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
}
