/**
 * Cancelling. Never gated: with the kill switch engaged or orders disabled a
 * cancel must still go through. The request is written to the audit log
 * before it is sent, like an order.
 */
import { inScope } from '../audit/scope.js';
import { GatewayError, OrderError, OrderNotFoundError, OrderOwnedElsewhereError } from '../errors.js';
import { TERMINAL_STATUSES, type CancelResult } from '../models.js';
import { auditRow, requestOf, type OrderContext } from './context.js';
import { applyBrokerState, updateFrom } from './order-events.js';
import { withdrawPending } from '../approvals/decide.js';

export async function cancelOrder(ctx: OrderContext, orderId: string): Promise<CancelResult> {
  const current = await ctx.audit.getOrder(orderId);
  if (!current) throw new OrderNotFoundError(orderId);
  if (!inScope(current, ctx.scope())) throw new OrderOwnedElsewhereError(orderId, current.brokerIdentity, 'cancel');
  if (TERMINAL_STATUSES.has(current.status)) {
    throw new OrderError('ORDER_NOT_CANCELLABLE', `Order ${orderId} is ${current.status}; only working orders can be cancelled`, { orderId, status: current.status });
  }
  // Held for approval: it never reached the broker, so withdrawing it is the gateway's alone.
  if (current.status === 'PENDING_APPROVAL') return withdrawPending(ctx, current);
  await ctx.audit.append(auditRow(ctx, 'ORDER_CANCEL_REQUESTED', { status: current.status }, { accountId: current.accountId, orderId, snapshot: null }));
  const state = await ctx.broker.cancelOrder(orderId);
  const after = (await applyBrokerState(ctx, updateFrom(state)))?.order ?? current;
  const cancelled = after.status === 'CANCELLED';
  return {
    orderId,
    status: after.status,
    cancelled,
    message: cancelled ? `Order ${orderId} cancelled` : `Cancel sent; order ${orderId} is ${after.status}`,
    correlationId: requestOf(ctx).correlationId,
  };
}

/**
 * Cancels every working order of this broker connection (kill switch), or of
 * one of its accounts, one cancel per order, each recorded. Failures are
 * reported, not thrown, so one bad order does not stop the rest. Then, for
 * the desk-wide switch and where the broker has one, the global cancel
 * (IBKR's reqGlobalCancel) also stops what this connection did not place:
 * orders from TWS itself or other API clients on the login. An account's
 * switch does not send it: it would stop the login's other accounts too.
 */
export async function cancelAllWorking(ctx: OrderContext, account: string | null = null): Promise<{ cancelled: string[]; failed: { orderId: string; code: string }[]; globalCancelSent?: boolean }> {
  const cancelled: string[] = [];
  const failed: { orderId: string; code: string }[] = [];
  const ofAccount = (o: { accountId: string | null }): boolean => account === null || o.accountId === account;
  const atBroker = ctx.broker.status().connected ? (await ctx.broker.getOpenOrders()).filter(ofAccount) : [];
  const openHere = (await ctx.audit.openOrders(ctx.scope())).filter(ofAccount);
  const ids = new Set([...openHere.map((o) => o.orderId), ...atBroker.map((o) => o.orderId)]);
  for (const orderId of ids) {
    const known = await ctx.audit.getOrder(orderId);
    if (!known || known.status === 'SIMULATED' || !inScope(known, ctx.scope()) || !ofAccount(known)) continue;
    if (TERMINAL_STATUSES.has(known.status)) {
      // Working when this began, cancelled since with its bracket parent: one of the orders this stop cancelled.
      if (known.status === 'CANCELLED' && openHere.some((o) => o.orderId === orderId)) cancelled.push(orderId);
      continue;
    }
    try {
      await cancelOrder(ctx, orderId);
      cancelled.push(orderId);
    } catch (err) {
      const code = err instanceof GatewayError ? err.code : 'INTERNAL_ERROR';
      // A bracket child goes with its parent: the broker already cancelled it, and its event may not be recorded yet.
      if (code === 'ORDER_NOT_CANCELLABLE' && (await settledAsCancelled(ctx, orderId))) cancelled.push(orderId);
      else failed.push({ orderId, code });
    }
  }
  if (!ctx.broker.globalCancel || account !== null) return { cancelled, failed };
  const globalCancelSent = ctx.broker.status().connected
    ? await ctx.broker.globalCancel().then(
        () => true,
        (err: unknown) => {
          ctx.logger.error({ err }, 'kill switch: the global cancel could not be sent');
          return false;
        },
      )
    : false;
  return { cancelled, failed, globalCancelSent };
}

/** Records what the broker says of an order it would not cancel; true when that is CANCELLED. */
async function settledAsCancelled(ctx: OrderContext, orderId: string): Promise<boolean> {
  const state = await ctx.broker.getOrder(orderId).catch(() => null);
  if (!state) return false;
  const after = (await applyBrokerState(ctx, updateFrom(state)))?.order;
  return (after?.status ?? state.status) === 'CANCELLED';
}
