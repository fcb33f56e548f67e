/**
 * The kill switch over HTTP: GET reads it (read scope; /health shows it to
 * anyone anyway). POST engages it with the trade scope, so an agent or a
 * script may always stop itself; releasing it needs admin. Both take an
 * optional account for that account's own switch.
 */
import { GatewayError } from '../../core/errors.js';
import type { GatewayClient } from '../../core/client/interface.js';
import { KillSwitchChange, KillSwitchStatus } from '../../core/models.js';
import { KillSwitchQuery, KillSwitchRequest } from '../schemas.js';
import type { ApiInstance } from '../types.js';
import { errorResponses, secured } from './common.js';

export function adminRoutes(app: ApiInstance, client: GatewayClient): void {
  app.get(
    '/api/admin/kill-switch',
    secured('read', 'admin', "Kill switch state: the desk-wide switch, and the engaged switches of this gateway's accounts (or of ?account=)", {
      querystring: KillSwitchQuery,
      response: { 200: KillSwitchStatus, ...errorResponses },
    }),
    async (request) => client.killSwitch(request.query.account === undefined ? {} : { account: request.query.account }),
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
      const { engaged, reason, cancelWorking, account } = request.body;
      return client.setKillSwitch(engaged, reason ?? null, { cancelWorking, ...(account === undefined ? {} : { account }) });
    },
  );
}
