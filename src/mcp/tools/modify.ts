/**
 * Modifying a working order, with the same agent-safety contract as placing
 * one (see orders.ts): modify_order REQUIRES the previewId of a
 * preview_modify_order for the identical changes to the same order, and sends
 * Idempotency-Key mcpm-<previewId>, so a retried call changes the order once.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { ModificationPreview, ModifyOrderRequest, ModifyResult, OrderId, OrderModification } from '../../core/models.js';
import { ApiCallError } from '../http.js';
import { guard, num, ok, STATUS_MEANING } from '../results.js';
import type { ToolContext } from './context.js';
import { describeOrder } from './orders.js';

/** The idempotency key is "mcpm-" + previewId and the gateway takes keys up to 128 characters. */
const PREVIEW_ID_MAX = 123;

export const PreviewModifyArgs = z.strictObject({ orderId: OrderId, ...OrderModification.shape });

export const ModifyOrderArgs = z.strictObject({
  orderId: OrderId,
  ...ModifyOrderRequest.shape,
  previewId: z.string().trim().min(1).max(PREVIEW_ID_MAX).describe('REQUIRED: the previewId returned by preview_modify_order for exactly this order and these changes, within its expiresAt'),
});

const OUTCOME_UNKNOWN = new Set(['API_TIMEOUT', 'API_UNREACHABLE', 'API_BAD_RESPONSE', 'BROKER_TIMEOUT', 'INTERNAL_ERROR']);

const orderPath = (orderId: string): string => `/api/orders/${encodeURIComponent(orderId)}`;

export function registerModifyTools(server: McpServer, { api }: ToolContext): void {
  server.registerTool(
    'preview_modify_order',
    {
      title: 'Preview order modification',
      description:
        'Step 1 of changing a working order (same order id, IBKR-style modify). Give orderId and only the fields to change: quantity (the new total; it must stay above what has filled), ' +
        'limitPrice, stopPrice, trailingAmount, trailingPercent, limitOffset, timeInForce (DAY or GTC) or outsideRth. Side, type and instrument cannot change: cancel and place a new order instead. ' +
        'Shows the order now and after, the risk checks of the new version (riskPassed), estimates for what would still work, and gate.outcome (TRANSMIT, SIMULATE, BLOCK). ' +
        'Returns a previewId bound to this order and these changes. Next: confirm with the user, then modify_order with the same orderId and fields plus previewId.',
      inputSchema: PreviewModifyArgs,
      outputSchema: ModificationPreview,
      annotations: { title: 'Preview order modification', readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    ({ orderId, ...changes }, extra) =>
      guard(async () => {
        const p = await api.request(ModificationPreview, { method: 'POST', path: `${orderPath(orderId)}/modify/preview`, body: changes, signal: extra.signal });
        const failed = p.riskChecks.filter((c) => !c.passed);
        const lines = [
          `Preview ${p.previewId} (valid until ${p.expiresAt}) for order ${p.orderId}:`,
          `now:   ${describeOrder(p.previous)}${p.filledQuantity > 0 ? ` (${p.filledQuantity} filled)` : ''}`,
          `after: ${describeOrder(p.spec)}`,
          `Reference price ${num(p.referencePrice, 4)}, notional still working ~${num(p.estimatedNotional)}, commission ~${num(p.estimatedCommission)} ${p.commissionCurrency}.`,
          p.riskPassed ? `Risk checks: all ${p.riskChecks.length} passed.` : `Risk checks FAILED: ${failed.map((c) => `${c.name} (${c.message})`).join('; ')}.`,
          `Modifying now would: ${p.gate.outcome}${p.gate.code ? ` (${p.gate.code})` : ''} - ${p.gate.reason.replace(/\.$/, '')}.`,
          ...p.warnings.map((w) => `Warning: ${w}`),
          p.riskPassed && p.gate.outcome !== 'BLOCK'
            ? `Next: confirm with the user, then modify_order with orderId "${p.orderId}", the same fields and previewId "${p.previewId}".`
            : 'Next: do not send this modification; change it (or ask the user) and preview again.',
        ];
        return ok(p, lines.join('\n'));
      }),
  );

  server.registerTool(
    'modify_order',
    {
      title: 'Modify order',
      description:
        'Step 2: changes a working order in place (it keeps its orderId). REQUIRES previewId from preview_modify_order for the same orderId and identical changes ' +
        '(PREVIEW_MISMATCH, PREVIEW_EXPIRED, PREVIEW_NOT_FOUND: preview again). Risk limits, safety gates and the kill switch apply as for a new order. ' +
        'A finished order (FILLED, CANCELLED, ...) gives ORDER_NOT_MODIFIABLE; if it filled while the change was on its way, the broker\'s answer decides and the fill stands. ' +
        'ORDER_REJECTED means the broker refused the change and the order works on unchanged. Safe to retry with the same previewId: it changes the order once. ' +
        'Next: get_order_status to follow the order.',
      inputSchema: ModifyOrderArgs,
      outputSchema: ModifyResult,
      annotations: { title: 'Modify order', readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
    },
    ({ orderId, ...body }, extra) =>
      guard(
        async () => {
          const r = await api.request(ModifyResult, { method: 'PATCH', path: orderPath(orderId), body, headers: { 'idempotency-key': `mcpm-${body.previewId}` }, signal: extra.signal });
          const lines = [
            `${r.idempotentReplay ? 'Already sent with this previewId (nothing new was sent): ' : ''}Order ${r.orderId} ${r.modified ? 'modified' : 'NOT modified'}: ${describeOrder(r.spec)} (was ${describeOrder(r.previous)}).`,
            `Status ${r.status} - ${STATUS_MEANING[r.status]}; filled ${r.filledQuantity}, remaining ${r.remainingQuantity}.`,
            ...(r.message ? [r.message] : []),
            `Next: get_order_status with orderId "${r.orderId}" to follow it.`,
          ];
          return ok(r, lines.join('\n'));
        },
        (err) =>
          err instanceof ApiCallError && OUTCOME_UNKNOWN.has(err.code)
            ? `The modification may or may not have been applied. Retrying modify_order with previewId "${body.previewId}" is safe: it can only return the first result.`
            : undefined,
      ),
  );
}
