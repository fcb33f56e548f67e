/**
 * Order tools. The agent-safety contract lives here:
 * - place_order REQUIRES the previewId of a preview_order for the identical
 *   order; the gateway checks the binding and freshness (PREVIEW_MISMATCH,
 *   PREVIEW_EXPIRED, PREVIEW_NOT_FOUND), so an agent cannot preview one order
 *   and place another, or place something nobody looked at.
 * - place_order sends Idempotency-Key mcp-<previewId>: a tool call retried by
 *   the agent or the client (timeouts, reconnects) returns the first result and
 *   never places twice.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { CancelResult, OrderDetail, OrderId, OrderListQuery, OrderPreview, OrderResult, OrderSpec, PlaceOrderRequest, type OrderSpecOutput } from '../../core/models.js';
import { ApiCallError } from '../http.js';
import { guard, num, ok, STATUS_GUIDE, STATUS_MEANING } from '../results.js';
import { READ_ONLY, type ToolContext } from './context.js';

/**
 * The order's fields as a strict object: an unknown or misspelled field (say
 * stop_loss_price) is refused instead of silently dropped, which would place a
 * different order than the agent meant. Cross-field rules (a LMT needs
 * limitPrice, ...) are left to the gateway, whose VALIDATION_ERROR names each
 * field, so every interface reports them the same way.
 */
export const PreviewOrderArgs = z.strictObject(OrderSpec.shape);

/** The idempotency key is "mcp-" + previewId and the gateway takes keys up to 128 characters. */
const PREVIEW_ID_MAX = 124;

export const PlaceOrderArgs = z.strictObject({
  ...PlaceOrderRequest.shape,
  previewId: z
    .string()
    .trim()
    .min(1)
    .max(PREVIEW_ID_MAX)
    .describe('REQUIRED: the previewId returned by preview_order for exactly these order fields, within its expiresAt'),
});

/** Failures after which the order may or may not exist at the gateway. */
const OUTCOME_UNKNOWN = new Set(['API_TIMEOUT', 'API_UNREACHABLE', 'API_BAD_RESPONSE', 'BROKER_TIMEOUT', 'INTERNAL_ERROR']);

export const OrderIdArgs = z.strictObject({ orderId: OrderId });

export const OrderList = z.object({ orders: z.array(OrderDetail) });

export function describeOrder(s: OrderSpecOutput): string {
  const instrument = s.securityType === 'OPT' ? `${s.symbol} ${s.expiry ?? ''} ${s.strike ?? ''}${s.right ?? ''}` : s.securityType === 'STK' ? s.symbol : `${s.symbol} (${s.securityType})`;
  const prices = [
    s.limitPrice !== undefined ? `limit ${num(s.limitPrice)}` : null,
    s.stopPrice !== undefined ? `stop ${num(s.stopPrice)}` : null,
    s.trailingAmount !== undefined ? `trail ${num(s.trailingAmount)}` : null,
    s.trailingPercent !== undefined ? `trail ${s.trailingPercent}%` : null,
    s.takeProfitPrice !== undefined ? `take profit ${num(s.takeProfitPrice)}` : null,
    s.stopLossPrice !== undefined ? `stop loss ${num(s.stopLossPrice)}` : null,
  ].filter((p): p is string => p !== null);
  return `${s.action} ${s.quantity} ${instrument} ${s.orderType}${prices.length ? ` (${prices.join(', ')})` : ''} ${s.timeInForce}`;
}

function fillText(filled: number, avg: number | null): string {
  return filled > 0 ? `, filled ${filled} @ avg ${num(avg, 4)}` : '';
}

export function orderLine(o: OrderDetail): string {
  return `${o.orderId}: ${describeOrder(o.spec)} - ${o.status}${fillText(o.filledQuantity, o.avgFillPrice)}${o.role !== 'ENTRY' ? ` [${o.role} of ${o.parentOrderId ?? '?'}]` : ''}`;
}

export function registerOrderTools(server: McpServer, { api }: ToolContext): void {
  server.registerTool(
    'preview_order',
    {
      title: 'Preview order',
      description:
        'Step 1 of every trade. Shows what an order would do WITHOUT placing it: the resolved contract, reference price, estimated notional and commission, ' +
        'initial/maintenance margin change, equity and buying power after, each pre-trade risk check (riskPassed), and gate.outcome: what placing it now would do ' +
        '(TRANSMIT: sent to the broker; SIMULATE: recorded but not sent because orders are disabled; BLOCK: refused, gate.code says why). ' +
        'Money is in the account currency; quantity in shares/contracts. Returns a previewId bound to exactly these fields until expiresAt (a few minutes). ' +
        'Next: show the user the estimate, then call place_order with the SAME fields plus previewId. If riskPassed is false or gate.outcome is BLOCK, placing will be refused.',
      inputSchema: PreviewOrderArgs,
      outputSchema: OrderPreview,
      // Nothing is sent and no position changes; a preview only records itself and issues an id, so clients may run it without asking.
      annotations: { title: 'Preview order', readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    (args, extra) =>
      guard(async () => {
        const p = await api.request(OrderPreview, { method: 'POST', path: '/api/orders/preview', body: args, signal: extra.signal });
        const failed = p.riskChecks.filter((c) => !c.passed);
        const lines = [
          `Preview ${p.previewId} (valid until ${p.expiresAt}): ${describeOrder(p.spec)} on ${p.contract.symbol} conId ${p.contract.conId}.`,
          `Reference price ${num(p.referencePrice, 4)}, notional ~${num(p.estimatedNotional)}, commission ~${num(p.estimatedCommission)} ${p.commissionCurrency}, ` +
            `initial margin change ${num(p.initMarginChange)}, buying power after ${num(p.buyingPowerAfter)}.`,
          p.riskPassed ? `Risk checks: all ${p.riskChecks.length} passed.` : `Risk checks FAILED: ${failed.map((c) => `${c.name} (${c.message})`).join('; ')}.`,
          `Placing now would: ${p.gate.outcome}${p.gate.code ? ` (${p.gate.code})` : ''} - ${p.gate.reason.replace(/\.$/, '')}.`,
          ...p.warnings.map((w) => `Warning: ${w}`),
          p.riskPassed && p.gate.outcome !== 'BLOCK'
            ? `Next: confirm with the user, then place_order with the same fields and previewId "${p.previewId}".`
            : 'Next: do not place this order; change it (or ask the user) and preview again.',
        ];
        return ok(p, lines.join('\n'));
      }),
  );

  server.registerTool(
    'place_order',
    {
      title: 'Place order',
      description:
        'Step 2: places an order. REQUIRES previewId: call preview_order first with the identical fields and pass its previewId before it expires; ' +
        'a different order (PREVIEW_MISMATCH), an old preview (PREVIEW_EXPIRED) or an unknown id (PREVIEW_NOT_FOUND) is refused, and the fix is always to preview again. ' +
        'Safe to retry: the same previewId returns the first result (idempotentReplay true) and never places twice; to place another order, preview it to get a new previewId. ' +
        'Every gateway safety gate, risk limit and the kill switch still apply. ' +
        'The gateway may hold the order for a person\'s approval (status PENDING_APPROVAL, orderId APR-...): nothing is sent until someone else approves it; ' +
        'then poll get_order_status (or get_approval) until it is APPROVED (the message names the broker order to follow), REJECTED or CANCELLED, and never place it again. ' +
        `Statuses: ${STATUS_GUIDE}. Next: get_order_status with the orderId to follow fills; cancel_order to stop a working order.`,
      inputSchema: PlaceOrderArgs,
      outputSchema: OrderResult,
      // Destructive (it trades) but idempotent: the idempotency key derived from previewId makes a repeat a no-op.
      annotations: { title: 'Place order', readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
    },
    (args, extra) =>
      guard(
        async () => {
          const r = await api.request(OrderResult, {
            method: 'POST',
            path: '/api/orders/place',
            body: args,
            headers: { 'idempotency-key': `mcp-${args.previewId}` },
            signal: extra.signal,
          });
          const lines = [
            `${r.idempotentReplay ? 'Already placed with this previewId (nothing new was sent): ' : ''}Order ${r.orderId}: ${describeOrder(r.spec)} is ${r.status} - ${STATUS_MEANING[r.status]}${fillText(r.filledQuantity, r.avgFillPrice)}.`,
            ...(r.commission !== null ? [`Commission ${num(r.commission)}.`] : []),
            ...r.children.map((c) => `Bracket ${c.role} ${c.orderId}: ${c.status}.`),
            ...(r.message ? [r.message] : []),
            r.status === 'PENDING_APPROVAL'
              ? `Next: tell the user the order waits for their approval (dashboard Approvals tab, or \`ibkr-gateway approve ${r.orderId}\` with another key). ` +
                `Poll get_order_status with orderId "${r.orderId}" every 15-30 s, or wait to be told; do NOT place it again. When it is APPROVED, follow the broker order its message names.`
              : `Next: get_order_status with orderId "${r.orderId}" to follow it.`,
          ];
          return ok(r, lines.join('\n'));
        },
        // A timeout or dropped connection leaves the outcome open; the safe retry is the same call.
        (err) =>
          err instanceof ApiCallError && OUTCOME_UNKNOWN.has(err.code)
            ? `The order may or may not have been placed. Retrying place_order with previewId "${args.previewId}" is safe: it can only return the first result, never place a second order.`
            : undefined,
      ),
  );

  server.registerTool(
    'get_order_status',
    {
      title: 'Get order status',
      description:
        'Current state of one order: status, filled and remaining quantity, average fill price, commission and each fill. ' +
        `Statuses: ${STATUS_GUIDE}. Poll this (not place_order) to follow an order.`,
      inputSchema: OrderIdArgs,
      outputSchema: OrderDetail,
      annotations: { title: 'Get order status', ...READ_ONLY },
    },
    (args, extra) =>
      guard(async () => {
        const o = await api.request(OrderDetail, { method: 'GET', path: `/api/orders/${encodeURIComponent(args.orderId)}/status`, signal: extra.signal });
        const lines = [
          `${orderLine(o)}; remaining ${o.remainingQuantity}. ${STATUS_MEANING[o.status]}.`,
          ...(o.statusMessage ? [o.statusMessage] : []),
          ...o.fills.map((f) => `- fill ${f.quantity} @ ${num(f.price, 4)} at ${f.time} (commission ${num(f.commission)} ${f.commissionCurrency})`),
        ];
        return ok(o, lines.join('\n'));
      }),
  );

  server.registerTool(
    'cancel_order',
    {
      title: 'Cancel order',
      description:
        'Cancels a working order (ACCEPTED, SUBMITTED, PARTIALLY_FILLED: the filled part stays filled). cancelled=true when it is now CANCELLED. ' +
        'An order that already finished (FILLED, CANCELLED, REJECTED, EXPIRED, SIMULATED) gives ORDER_NOT_CANCELLABLE: nothing to do. ' +
        'Cancelling a bracket parent cancels its children. Next: get_order_status to confirm.',
      inputSchema: OrderIdArgs,
      outputSchema: CancelResult,
      annotations: { title: 'Cancel order', readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
    },
    (args, extra) =>
      guard(async () => {
        const c = await api.request(CancelResult, { method: 'POST', path: `/api/orders/${encodeURIComponent(args.orderId)}/cancel`, signal: extra.signal });
        return ok(c, `Order ${c.orderId}: ${c.status}${c.cancelled ? ' (cancelled)' : ' (not cancelled)'} - ${c.message}`);
      }),
  );

  server.registerTool(
    'list_orders',
    {
      title: 'List orders',
      description:
        'Orders newest first. status: open (still working: PENDING_SUBMIT, SUBMITTED, ACCEPTED, PARTIALLY_FILLED, UNKNOWN), closed (finished), or all (default). ' +
        'Filter by symbol or since (UTC ISO time), account, or brokerIdentity; limit 1-1000 (default 100). Use it after a failed or timed-out place_order before deciding anything. ' +
        "owner: this (default) lists only this gateway's orders, the ones it can cancel or modify; any lists every gateway's orders on a shared store, each with the brokerIdentity that owns it (read-only here).",
      inputSchema: z.strictObject(OrderListQuery.shape),
      outputSchema: OrderList,
      annotations: { title: 'List orders', ...READ_ONLY },
    },
    (args, extra) =>
      guard(async () => {
        const orders = await api.request(z.array(OrderDetail), { method: 'GET', path: '/api/orders', query: args, signal: extra.signal });
        const lines = [`${orders.length} ${args.status === 'all' ? '' : `${args.status} `}order(s)${args.symbol ? ` for ${args.symbol}` : ''}.`, ...orders.map((o) => `- ${orderLine(o)}`)];
        return ok({ orders }, lines.join('\n'));
      }),
  );
}
