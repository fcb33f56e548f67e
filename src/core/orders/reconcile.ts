/**
 * Reconciliation, at connect and after a reconnect, before new orders are
 * accepted: every order the log thinks is open is compared with the broker,
 * executions the log missed are added (order-less ones too, where the broker
 * can say what they were), and orders working at the broker that
 * the log has never seen are adopted. An order the broker does not know and
 * never executed did not survive; it is closed as CANCELLED with that reason,
 * never resent.
 */
import { systemContext } from '../logging.js';
import { forRequest, type OrderContext } from './context.js';
import { recordAccountExecution } from './account-executions.js';
import { adoptBrokerOrder, applyBrokerState, applyFill, ownOrder, updateFrom } from './order-events.js';

export interface ReconcileReport {
  checked: number;
  updated: number;
  adopted: number;
  fillsAdded: number;
  /** Working at the broker under an id another broker identity's order has in this store: left alone. */
  foreign: string[];
}

export async function reconcileOrders(client: OrderContext): Promise<ReconcileReport> {
  // System work: its rows and lines carry a correlation id of their own.
  const ctx = forRequest(client, systemContext());
  const report: ReconcileReport = { checked: 0, updated: 0, adopted: 0, fillsAdded: 0, foreign: [] };
  const [working, executions] = await Promise.all([ctx.broker.getOpenOrders(), ctx.broker.getExecutions()]);
  for (const state of working) {
    if (await ownOrder(ctx, state.orderId)) continue;
    if (await ctx.audit.getOrder(state.orderId)) {
      // The id is another broker's order in this store: adopting would write over its history.
      report.foreign.push(state.orderId);
      continue;
    }
    await adoptBrokerOrder(ctx, state, executions.filter((f) => f.orderId === state.orderId));
    report.adopted++;
  }
  for (const fill of executions) {
    if ((await applyFill(ctx, fill, 'ORDER_RECONCILED'))?.changed) report.fillsAdded++;
  }
  // Executions without an order (exercise, expiry, liquidation) the log missed: recorded once, by execution id.
  for (const event of (await ctx.broker.getAccountExecutions?.()) ?? []) {
    if (await recordAccountExecution(ctx, event)) report.fillsAdded++;
  }
  for (const order of await ctx.audit.openOrders(ctx.scope())) {
    // Never sent: a simulated order, or one held for a person's approval (approvals/ settles those).
    if (order.status === 'SIMULATED' || order.status === 'PENDING_APPROVAL') continue;
    report.checked++;
    const state = await ctx.broker.getOrder(order.orderId);
    const update = state
      ? updateFrom(state)
      : { orderId: order.orderId, status: 'CANCELLED' as const, message: 'Not known to the broker at reconciliation and never executed: it did not survive; not resent' };
    if ((await applyBrokerState(ctx, update, 'ORDER_RECONCILED'))?.changed) report.updated++;
  }
  if (report.foreign.length > 0) ctx.logger.warn({ orderIds: report.foreign }, 'orders working at the broker carry ids of another broker identity in this DATA_DIR; not adopted (give each broker its own DATA_DIR)');
  // Quiet when there was nothing to settle: a clean start should not open with log lines.
  const changed = report.updated + report.adopted + report.fillsAdded > 0;
  ctx.logger[changed ? 'info' : 'debug'](report, 'orders reconciled with the broker');
  return report;
}
