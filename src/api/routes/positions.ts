/**
 * Bulk order actions: DELETE /api/orders (cancel all working orders) and
 * DELETE /api/positions/{symbol} (close a position), with a preview of the
 * close. The rules (risk, gates, audit, idempotency, preview binding) are the
 * core's; these routes carry the query, the path and Idempotency-Key across.
 */
import { z } from 'zod';
import type { GatewayClient } from '../../core/client/interface.js';
import { CancelAllQuery, CancelAllResult, ClosePositionRequest, OrderPreview, OrderResult, Symbol } from '../../core/models.js';
import { PlaceHeaders } from '../schemas.js';
import type { ApiInstance } from '../types.js';
import { errorResponses, secured } from './common.js';

const PositionParams = z.strictObject({ symbol: Symbol });

export function positionRoutes(app: ApiInstance, client: GatewayClient): void {
  app.delete(
    '/api/orders',
    secured('trade', 'orders', 'Cancel every working order of the account (optionally ?symbol=): one recorded cancel per order; lists what was cancelled and what could not be', {
      querystring: CancelAllQuery,
      response: { 200: CancelAllResult, ...errorResponses },
    }),
    (request) => client.cancelAllOrders(request.query),
  );

  app.post(
    '/api/positions/:symbol/close/preview',
    secured('trade', 'positions', 'What closing the position would do (the offsetting market order, previewed); the previewId binds this close', {
      params: PositionParams,
      querystring: ClosePositionRequest,
      response: { 200: OrderPreview, ...errorResponses },
    }),
    (request) => client.previewClosePosition(request.params.symbol, request.query),
  );

  app.delete(
    '/api/positions/:symbol',
    secured('trade', 'positions', 'Close a position (all, ?quantity= or ?percentage=) with the offsetting market order, through the normal order path; Idempotency-Key makes retries safe', {
      params: PositionParams,
      querystring: ClosePositionRequest,
      headers: PlaceHeaders,
      response: { 200: OrderResult, ...errorResponses },
    }),
    (request) => {
      const idempotencyKey = request.headers['idempotency-key'];
      return client.closePosition(request.params.symbol, request.query, idempotencyKey === undefined ? undefined : { idempotencyKey });
    },
  );
}
