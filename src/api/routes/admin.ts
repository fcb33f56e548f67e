/**
 * The kill switch over HTTP: GET reads it (read scope; /health shows it to
 * anyone anyway). POST engages it with the trade scope, so an agent or a
 * script may always stop itself; releasing it needs admin.
 */
import { GatewayError } from '../../core/errors.js';
import type { GatewayClient } from '../../core/client/interface.js';
import { KillSwitchChange, KillSwitchState } from '../../core/models.js';
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
    secured('trade', 'admin', 'Engage (trade scope: blocks new orders, cancels working ones) or release (admin scope) the kill switch', {
      body: KillSwitchRequest,
      response: { 200: KillSwitchChange, ...errorResponses },
    }),
    (request) => {
      if (!request.body.engaged && request.apiKeyScopes?.has('admin') !== true) {
        throw new GatewayError('FORBIDDEN', 'Releasing the kill switch needs the admin scope; any trade key may engage it', {
          required: 'admin',
          granted: [...(request.apiKeyScopes ?? [])],
        });
      }
      return client.setKillSwitch(request.body.engaged, request.body.reason ?? null, { cancelWorking: request.body.cancelWorking });
    },
  );
}
