/**
 * Executions the broker makes without an order: an option exercised,
 * assigned or expired, a future's final settlement, a margin liquidation.
 * IBKR reports them as executions of order id 0, so no order of the log owns
 * them and the fill handler (order-events.ts) would drop them.
 *
 * Each one is recorded as an order of its own that is born FILLED, with one
 * BROKER_INITIATED_FILL audit row: the audit log, the order list, the order
 * event stream (a FILL event) and the risk engine's realised-P&L reading of
 * the day's fills all see it through the store they already read, and a
 * second store back end gets it for free. Its id is derived from the
 * execution id (stable across a repeated event), its spec says what moved
 * (contract, side, quantity) with orderType MKT as a placeholder, and its
 * status message says why it happened.
 */
import type { AccountExecution, AccountExecutionReason } from '../broker/port.js';
import type { OrderDetail, OrderSpec } from '../models.js';
import { auditRow, requestOf, type OrderContext } from './context.js';
import { commissionOf } from './mapping.js';
import { withOrderLock } from './order-lock.js';

/** Prefix of the ids of orders that stand for an order-less execution. */
export const ACCOUNT_EXECUTION_PREFIX = 'EXEC-';

const REASON_TEXT: Record<AccountExecutionReason, string> = {
  EXERCISE: 'Option exercised at expiry',
  ASSIGNMENT: 'Option assigned at expiry',
  EXPIRED: 'Option expired worthless',
  'FINAL-SETTLEMENT': 'Future closed at its final settlement price',
  LIQUIDATION: 'Position liquidated by the broker: the account was below maintenance margin',
};

/** The order id an execution is recorded under: execution ids may hold dots, order ids may not. */
export function accountExecutionOrderId(execId: string): string {
  return `${ACCOUNT_EXECUTION_PREFIX}${execId.replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, 64);
}

/**
 * Records one order-less execution (once per execution id). Resolves to the
 * recorded order, or null when it was already recorded.
 */
export function recordAccountExecution(ctx: OrderContext, event: AccountExecution): Promise<OrderDetail | null> {
  // The lock makes "not recorded yet, so record it" one step when the same execution arrives twice in a turn.
  return withOrderLock(ctx, accountExecutionOrderId(event.fill.execId), () => recordNow(ctx, event));
}

async function recordNow(ctx: OrderContext, event: AccountExecution): Promise<OrderDetail | null> {
  const { fill, contract, accountId, reason } = event;
  const orderId = accountExecutionOrderId(fill.execId);
  if (await ctx.audit.getOrder(orderId)) return null;
  const spec: OrderSpec = {
    symbol: contract.symbol,
    securityType: contract.securityType,
    exchange: contract.exchange,
    currency: contract.currency,
    ...(contract.expiry !== undefined ? { expiry: contract.expiry } : {}),
    ...(contract.strike !== undefined ? { strike: contract.strike } : {}),
    ...(contract.right !== undefined ? { right: contract.right } : {}),
    action: fill.side,
    quantity: fill.quantity,
    // No order existed: MKT stands in, the status message and the audit row say what happened.
    orderType: 'MKT',
    timeInForce: 'DAY',
    outsideRth: false,
    account: accountId,
  };
  const message = `${REASON_TEXT[reason]} (${reason}; executed by the broker without an order, IBKR order id 0)`;
  const { order } = await ctx.audit.recordOrder(
    auditRow(ctx, 'BROKER_INITIATED_FILL', { reason, fill, conId: contract.conId, symbol: contract.symbol, securityType: contract.securityType, localSymbol: contract.localSymbol ?? null }, { accountId, orderId, snapshot: null }),
    {
      orderId,
      clientOrderId: null,
      parentOrderId: null,
      role: 'ENTRY',
      accountId,
      conId: contract.conId,
      status: 'FILLED',
      spec,
      filledQuantity: fill.quantity,
      remainingQuantity: 0,
      avgFillPrice: fill.price,
      commission: commissionOf([fill]),
      fills: [fill],
      statusMessage: message,
      correlationId: requestOf(ctx).correlationId,
      createdAt: fill.time,
      brokerIdentity: ctx.identityFor(accountId),
      expectNew: true,
    },
    // Like any other fill: the broker holds the execution, so a crash loses nothing reconciliation cannot recover.
    { durability: 'relaxed' },
  );
  ctx.metrics.ordersByStatus.inc({ status: 'FILLED' });
  return order;
}
