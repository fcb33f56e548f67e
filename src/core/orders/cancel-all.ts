/**
 * Cancel all: every working order of one account (optionally one symbol),
 * each through the normal cancel path, so every cancel is written to the
 * audit log with the request's correlation id before it is sent. One order
 * that cannot be cancelled does not stop the rest; the answer says which.
 *
 * Per-order cancels, not IBKR's reqGlobalCancel: a global cancel would also
 * cancel orders of other clients and accounts on the same connection, and its
 * outcome could not be recorded per order. (Sending it from the tws adapter
 * as a fast path is for the broker-side pass.)
 */
import { GatewayError } from '../errors.js';
import { CancelAllQuery, TERMINAL_STATUSES, type CancelAllQueryInput, type CancelAllResult, type CancelResult } from '../models.js';
import { cancelOrder } from './cancel.js';
import { requestOf, type OrderContext } from './context.js';
import { parseInput } from './parse.js';

export async function cancelAllOrders(ctx: OrderContext, input: CancelAllQueryInput = {}): Promise<CancelAllResult> {
  const query = parseInput(CancelAllQuery, input, 'Cancel-all query');
  const accountId = ctx.resolveAccount(query.account);
  const wanted = (o: { accountId: string | null; spec: { symbol: string } }): boolean =>
    o.accountId === accountId && (query.symbol === undefined || o.spec.symbol.toUpperCase() === query.symbol);
  // The log's working orders, plus any the broker still works that the log knows as finished or missed.
  const ids = new Set((await ctx.audit.openOrders()).filter(wanted).map((o) => o.orderId));
  for (const o of await ctx.broker.getOpenOrders()) if (wanted(o) && (await ctx.audit.getOrder(o.orderId)) !== null) ids.add(o.orderId);

  const cancelled: CancelResult[] = [];
  const failed: CancelAllResult['failed'] = [];
  const correlationId = requestOf(ctx).correlationId;
  for (const orderId of ids) {
    const now = await ctx.audit.getOrder(orderId);
    if (now === null) continue;
    if (TERMINAL_STATUSES.has(now.status)) {
      // A bracket child goes with its parent's cancel: report it, send nothing more.
      if (now.status === 'CANCELLED') cancelled.push({ orderId, status: now.status, cancelled: true, message: `Order ${orderId} cancelled (with its parent)`, correlationId });
      continue;
    }
    try {
      cancelled.push(await cancelOrder(ctx, orderId));
    } catch (err) {
      const gw = err instanceof GatewayError ? err : null;
      failed.push({ orderId, code: gw?.code ?? 'INTERNAL_ERROR', message: gw?.message ?? 'Unexpected error' });
    }
  }
  return { cancelled, failed, correlationId };
}
