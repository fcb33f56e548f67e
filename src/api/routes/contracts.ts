/** GET /api/contracts/resolve: the fully resolved instrument (conId, exchange, multiplier, tick). */
import type { GatewayClient } from '../../core/client/interface.js';
import { Contract } from '../../core/models.js';
import { InstrumentQuery } from '../schemas.js';
import type { ApiInstance } from '../types.js';
import { errorResponses, secured } from './common.js';

export function contractRoutes(app: ApiInstance, client: GatewayClient): void {
  app.get(
    '/api/contracts/resolve',
    secured('read', 'contracts', 'Resolve a symbol to one contract; 404 CONTRACT_NOT_FOUND, 422 CONTRACT_AMBIGUOUS', {
      querystring: InstrumentQuery,
      response: { 200: Contract, ...errorResponses },
    }),
    (request) => client.resolveContract(request.query),
  );
}
