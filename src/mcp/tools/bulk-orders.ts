/**
 * Tools that act on many orders or a whole position: cancel_all_orders,
 * preview_close_position and close_position. Closing follows place_order's
 * contract: close_position REQUIRES the previewId of a preview_close_position
 * for the same close, and sends Idempotency-Key mcp-close-<previewId>, so a
 * retried call never closes twice and nobody closes what was not previewed.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { CancelAllQuery, CancelAllResult, ClosePositionRequest, OrderPreview, OrderResult, Symbol } from '../../core/models.js';
import { ApiCallError } from '../http.js';
import { guard, num, ok, STATUS_MEANING } from '../results.js';
import type { ToolContext } from './context.js';
import { describeOrder } from './orders.js';

const { previewId: _previewId, ...closeFields } = ClosePositionRequest.shape;

export const PreviewCloseArgs = z.strictObject({ symbol: Symbol, ...closeFields });

export const ClosePositionArgs = z.strictObject({
  symbol: Symbol,
  ...closeFields,
  previewId: z.string().trim().min(1).max(120).describe('REQUIRED: the previewId returned by preview_close_position for exactly this close, within its expiresAt'),
});

/** Failures after which the close may or may not have been sent. */
const OUTCOME_UNKNOWN = new Set(['API_TIMEOUT', 'API_UNREACHABLE', 'API_BAD_RESPONSE', 'BROKER_TIMEOUT', 'INTERNAL_ERROR']);

const positionPath = (symbol: string): string => `/api/positions/${encodeURIComponent(symbol)}`;

export function registerBulkOrderTools(server: McpServer, { api }: ToolContext): void {
  server.registerTool(
    'cancel_all_orders',
    {
      title: 'Cancel all orders',
      description:
        'Cancels every working order of the account (optionally only one symbol): one cancel per order, each recorded in the audit log. ' +
        'Returns cancelled (each order and its state after) and failed (orders that could not be cancelled, with the error code). ' +
        'Filled parts stay filled. Safe to repeat: with nothing working it cancels nothing. Next: list_orders with status open to confirm none is left.',
      inputSchema: z.strictObject(CancelAllQuery.shape),
      outputSchema: CancelAllResult,
      annotations: { title: 'Cancel all orders', readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
    },
    (args, extra) =>
      guard(async () => {
        const r = await api.request(CancelAllResult, { method: 'DELETE', path: '/api/orders', query: args, signal: extra.signal });
        const lines = [
          `${r.cancelled.length} order(s) cancelled${args.symbol ? ` for ${args.symbol}` : ''}${r.failed.length ? `, ${r.failed.length} could not be` : ''}.`,
          ...r.cancelled.map((c) => `- ${c.orderId}: ${c.status}`),
          ...r.failed.map((f) => `- ${f.orderId}: NOT cancelled (${f.code}: ${f.message})`),
        ];
        return ok(r, lines.join('\n'));
      }),
  );

  server.registerTool(
    'preview_close_position',
    {
      title: 'Preview closing a position',
      description:
        'Step 1 of closing a position. Shows the offsetting market order (SELL for a long, BUY for a short) for all of the position, a quantity, or a percentage ' +
        '(rounded down to whole units), with its estimates, risk checks and gate, WITHOUT placing it. Returns a previewId bound to exactly this close. ' +
        'POSITION_NOT_FOUND means there is nothing to close. Next: show the user, then close_position with the same fields and the previewId.',
      inputSchema: PreviewCloseArgs,
      outputSchema: OrderPreview,
      annotations: { title: 'Preview closing a position', readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    ({ symbol, ...query }, extra) =>
      guard(async () => {
        const p = await api.request(OrderPreview, { method: 'POST', path: `${positionPath(symbol)}/close/preview`, query, signal: extra.signal });
        const failed = p.riskChecks.filter((c) => !c.passed);
        const lines = [
          `Preview ${p.previewId} (valid until ${p.expiresAt}): close with ${describeOrder(p.spec)}.`,
          `Reference price ${num(p.referencePrice, 4)}, notional ~${num(p.estimatedNotional)}, commission ~${num(p.estimatedCommission)} ${p.commissionCurrency}.`,
          p.riskPassed ? `Risk checks: all ${p.riskChecks.length} passed.` : `Risk checks FAILED: ${failed.map((c) => `${c.name} (${c.message})`).join('; ')}.`,
          `Closing now would: ${p.gate.outcome}${p.gate.code ? ` (${p.gate.code})` : ''}.`,
          p.riskPassed && p.gate.outcome !== 'BLOCK'
            ? `Next: confirm with the user, then close_position with symbol "${symbol}", the same fields and previewId "${p.previewId}".`
            : 'Next: do not close now; tell the user why.',
        ];
        return ok(p, lines.join('\n'));
      }),
  );

  server.registerTool(
    'close_position',
    {
      title: 'Close a position',
      description:
        'Step 2: places the offsetting market order for the position. REQUIRES previewId from preview_close_position with the same symbol and fields; ' +
        'if the position changed since the preview the close is refused (PREVIEW_MISMATCH): preview again. Safe to retry: the same previewId returns the first result and never closes twice. ' +
        'Every safety gate, risk limit and the kill switch apply. Next: get_order_status with the orderId to follow the fill.',
      inputSchema: ClosePositionArgs,
      outputSchema: OrderResult,
      annotations: { title: 'Close a position', readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
    },
    ({ symbol, ...query }, extra) =>
      guard(
        async () => {
          const r = await api.request(OrderResult, {
            method: 'DELETE',
            path: positionPath(symbol),
            query,
            headers: { 'idempotency-key': `mcp-close-${query.previewId}` },
            signal: extra.signal,
          });
          const lines = [
            `${r.idempotentReplay ? 'Already closed with this previewId (nothing new was sent): ' : ''}Order ${r.orderId}: ${describeOrder(r.spec)} is ${r.status} - ${STATUS_MEANING[r.status]}.`,
            ...(r.message ? [r.message] : []),
            `Next: get_order_status with orderId "${r.orderId}" to follow it.`,
          ];
          return ok(r, lines.join('\n'));
        },
        (err) =>
          err instanceof ApiCallError && OUTCOME_UNKNOWN.has(err.code)
            ? `The close may or may not have been placed. Retrying close_position with previewId "${query.previewId}" is safe: it can only return the first result.`
            : undefined,
      ),
  );
}
