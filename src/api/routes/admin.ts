/** The kill switch over HTTP: GET reads it (read scope; /health shows it to anyone anyway), POST sets it (admin). */
import type { GatewayClient } from '../../core/gateway-client.js';
import { KillSwitchState } from '../../core/models.js';
import { KillSwitchRequest } from '../schemas.js';
import type { ApiInstance } from '../types.js';
import { errorResponses, secured } from './common.js';

export function adminRoutes(app: ApiInstance, client: GatewayClient): void {
  app.get(
    '/api/admin/kill-switch',
    secured('read', 'admin', 'Kill switch state', { response: { 200: KillSwitchState, ...errorResponses } }),
    async () => client.killSwitch(),
  );
  app.post(
    '/api/admin/kill-switch',
    secured('admin', 'admin', 'Engage (blocks new orders, cancels working ones) or release the kill switch', {
      body: KillSwitchRequest,
      response: { 200: KillSwitchState, ...errorResponses },
    }),
    (request) => client.setKillSwitch(request.body.engaged, request.body.reason ?? null),
  );
}
