/**
 * Orders: preview, place, modify (and its preview), status, cancel, list. Every rule (gates, risk,
 * idempotency, preview binding, audit) is the core's; these routes only carry
 * the body, the Idempotency-Key header and the path id across.
 */
import { z } from 'zod';
import type { GatewayClient } from '../../core/client/interface.js';
import { CancelResult, ModificationPreview, ModifyOrderRequest, ModifyResult, OrderDetail, OrderListQuery, OrderModification, OrderPreview, OrderResult, OrderSpec, PlaceOrderRequest } from '../../core/models.js';
import { OrderParams, PlaceHeaders } from '../schemas.js';
import type { ApiInstance } from '../types.js';
import { errorResponses, secured } from './common.js';

export function orderRoutes(app: ApiInstance, client: GatewayClient): void {
  app.post(
    '/api/orders/preview',
    secured('trade', 'orders', 'What the order would do: commission, margin, risk checks, gate; never blocked by the gates', {
      body: OrderSpec,
      response: { 200: OrderPreview, ...errorResponses },
    }),
    (request) => client.previewOrder(request.body),
  );

  app.post(
    '/api/orders/place',
    secured('trade', 'orders', 'Place an order (SIMULATED when ORDERS_ENABLED=false); Idempotency-Key makes retries safe', {
      body: PlaceOrderRequest,
      headers: PlaceHeaders,
      response: { 200: OrderResult, ...errorResponses },
    }),
    (request) => {
      const idempotencyKey = request.headers['idempotency-key'];
      return client.placeOrder(request.body, idempotencyKey === undefined ? undefined : { idempotencyKey });
    },
  );

  app.get(
    '/api/orders/:orderId/status',
    secured('read', 'orders', 'Current state of one order, with fills', { params: OrderParams, response: { 200: OrderDetail, ...errorResponses } }),
    (request) => client.getOrderStatus(request.params.orderId),
  );

  app.post(
    '/api/orders/:orderId/modify/preview',
    secured('trade', 'orders', 'What modifying a working order would do: risk checks of the new version, estimates for what would still work; binds a previewId to this modification', {
      params: OrderParams,
      body: OrderModification,
      response: { 200: ModificationPreview, ...errorResponses },
    }),
    (request) => client.previewModification(request.params.orderId, request.body),
  );

  app.patch(
    '/api/orders/:orderId',
    secured('trade', 'orders', 'Modify a working order in place (same id): limit/stop/trail prices, quantity (above what filled), timeInForce DAY/GTC, outsideRth. Risk, gates and audit as for a new order; 409 ORDER_NOT_MODIFIABLE if it has finished', {
      params: OrderParams,
      body: ModifyOrderRequest,
      headers: PlaceHeaders,
      response: { 200: ModifyResult, ...errorResponses },
    }),
    (request) => {
      const idempotencyKey = request.headers['idempotency-key'];
      return client.modifyOrder(request.params.orderId, request.body, idempotencyKey === undefined ? undefined : { idempotencyKey });
    },
  );

  app.post(
    '/api/orders/:orderId/cancel',
    secured('trade', 'orders', 'Cancel a working order; 409 ORDER_NOT_CANCELLABLE if it has finished', { params: OrderParams, response: { 200: CancelResult, ...errorResponses } }),
    (request) => client.cancelOrder(request.params.orderId),
  );

  app.get(
    '/api/orders',
    secured('read', 'orders', 'Open and recent orders, newest first', { querystring: OrderListQuery, response: { 200: z.array(OrderDetail), ...errorResponses } }),
    (request) => client.listOrders(request.query),
  );
}
