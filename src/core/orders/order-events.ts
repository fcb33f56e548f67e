/**
 * What the broker says about orders becomes new order_history versions.
 *
 * Versions only move forward: a late or repeated status never takes an order
 * back (FILLED stays FILLED), fills are deduplicated by execution id, and a
 * fill that arrives after its order finished is still recorded. Handlers never
 * throw into the broker's event loop; a failed write is logged and the next
 * reconciliation settles the order.
 */
import { inScope } from '../audit/scope.js';
import { inCanonicalOrder } from '../hashing.js';
import type { BrokerOrderState } from '../broker/port.js';
import type { OrderUpdateRows } from '../audit/types.js';
import { systemContext, type RequestContext } from '../logging.js';
import { TERMINAL_STATUSES, type Fill, type OrderDetail, type OrderStatus } from '../models.js';
import { recordAccountExecution } from './account-executions.js';
import { auditRow, forRequest, requestOf, rowStamp, stampedRow, type OrderContext, type RowStamp } from './context.js';
import { avgPriceOf, EVENT_FOR_STATUS, versionFrom, versionFromBroker } from './mapping.js';
import { queueOrderUpdate } from './order-lock.js';
import { CoalescedRuns } from './coalesced-runs.js';

const RELAXED = { durability: 'relaxed' } as const;

/** How far along an order is; a status never replaces one further along (terminal ones always win). */
const PROGRESS: Record<OrderStatus, number> = {
  SIMULATED: 9,
  UNKNOWN: 0,
  PENDING_SUBMIT: 1,
  SUBMITTED: 2,
  ACCEPTED: 3,
  PARTIALLY_FILLED: 4,
  FILLED: 9,
  CANCELLED: 9,
  REJECTED: 9,
  EXPIRED: 9,
  // Held by the gateway until a person decides; never at the broker (approvals/).
  PENDING_APPROVAL: 0,
  APPROVED: 9,
};

export interface StateUpdate {
  orderId: string;
  status: OrderStatus;
  message: string | null;
  filledQuantity?: number;
  remainingQuantity?: number;
  avgFillPrice?: number | null;
}

/** The order as it stands after an update, and whether the update wrote a new version. */
export interface Applied {
  order: OrderDetail;
  changed: boolean;
}

/** The update a broker's view of an order amounts to. */
export const updateFrom = (state: BrokerOrderState): StateUpdate => ({
  orderId: state.orderId,
  status: state.status,
  message: state.message,
  filledQuantity: state.filledQuantity,
  remainingQuantity: state.remainingQuantity,
  avgFillPrice: state.avgFillPrice,
});

/**
 * Records a status change if it moves the order forward; null for an order the log does not know.
 * The new version is decided inside the store's transaction from the latest version there
 * (updateOrder), so a status and a fill of one order arriving together share one transaction.
 */
export function applyBrokerState(ctx: OrderContext, update: StateUpdate, eventOverride?: 'ORDER_RECONCILED'): Promise<Applied | null> {
  const stamp = rowStamp(ctx);
  const scope = ctx.scope();
  return queueOrderUpdate(ctx, update.orderId, () =>
    // A later version is restored by reconciliation if a power cut loses it: no fsync needed.
    ctx.audit.updateOrder(update.orderId, (current) => (current && inScope(current, scope) ? nextStateRows(current, update, stamp, eventOverride) : null), RELAXED).then(async ({ order, written }) => {
      if (!order || !inScope(order, scope)) return null;
      if (!written) return { order, changed: false };
      ctx.metrics.ordersByStatus.inc({ status: update.status });
      // Counted before this update's promise settles (and the next update's waits for it): whichever
      // path records the status (placement answer or event), the placement's answer comes after the
      // count and any switch it engaged.
      await countOutcome(ctx, order);
      return { order, changed: true };
    }),
  );
}

/** The rows of the version a status update makes of `current`; null when it would not move the order forward. */
function nextStateRows(current: OrderDetail, update: StateUpdate, stamp: RowStamp, eventOverride?: 'ORDER_RECONCILED'): OrderUpdateRows | null {
  if (TERMINAL_STATUSES.has(current.status)) return null;
  const filled = update.filledQuantity ?? current.filledQuantity;
  const unchanged = update.status === current.status && filled === current.filledQuantity;
  const backwards = PROGRESS[update.status] < PROGRESS[current.status] && current.status !== 'UNKNOWN';
  if (unchanged || backwards) return null;
  const version = versionFrom(
    current,
    {
      status: update.status,
      filledQuantity: filled,
      remainingQuantity: update.remainingQuantity ?? Math.max(0, current.spec.quantity - filled),
      avgFillPrice: update.avgFillPrice !== undefined ? update.avgFillPrice : current.avgFillPrice,
      statusMessage: update.message,
    },
    current.fills,
    stamp.correlationId,
  );
  const event = eventOverride ?? EVENT_FOR_STATUS[update.status];
  return { entry: stampedRow(stamp, event, { filledQuantity: filled, message: update.message, previous: current.status, status: update.status }, refs(current)), version };
}

/** The circuit breaker's count, once per recorded transition, whichever path recorded it (placement answer, event, reconciliation). */
async function countOutcome(ctx: OrderContext, order: OrderDetail): Promise<void> {
  try {
    if (order.status === 'REJECTED') {
      if (await ctx.risk.recordOutcome('rejected', requestOf(ctx).correlationId)) {
        const reason = `circuit breaker: ${ctx.config.risk.circuitBreakerRejections} consecutive rejections`;
        // The breaker engages the switch, not the caller whose order was the last rejected; its request id links the two.
        // Awaited: once the Nth rejection is answered, the switch is engaged and the next order is refused.
        await ctx.onBreaker?.(reason, systemContext(requestOf(ctx).correlationId));
      }
    } else if (order.status === 'ACCEPTED' || order.status === 'FILLED') await ctx.risk.recordOutcome('accepted', requestOf(ctx).correlationId);
  } catch (err) {
    // The order's own record is written; a count that could not be is logged, never the caller's failure.
    ctx.logger.error({ err, orderId: order.orderId }, 'could not count the order outcome toward the circuit breaker');
  }
}

/** Adds one execution to its order (once per execId), decided inside the store's transaction as applyBrokerState. */
export function applyFill(ctx: OrderContext, fill: Fill, eventOverride?: 'ORDER_RECONCILED'): Promise<Applied | null> {
  const stamp = rowStamp(ctx);
  const scope = ctx.scope();
  let previous: OrderStatus | null = null;
  return queueOrderUpdate(ctx, fill.orderId, () =>
    // Executions are recovered from the broker at reconciliation if a power cut loses this write.
    ctx.audit
      .updateOrder(
        fill.orderId,
        (current) => {
          if (!current || !inScope(current, scope)) return null;
          previous = current.status;
          return nextFillRows(current, fill, stamp, eventOverride);
        },
        RELAXED,
      )
      .then(({ order, written }) => {
        if (!order || !inScope(order, scope)) return null;
        if (!written) return { order, changed: false };
        if (order.status !== previous) ctx.metrics.ordersByStatus.inc({ status: order.status });
        return { order, changed: true };
      }),
  );
}

/** The rows of the version an execution makes of `current`; null when it is already there (same execId). */
function nextFillRows(current: OrderDetail, fill: Fill, stamp: RowStamp, eventOverride?: 'ORDER_RECONCILED'): OrderUpdateRows | null {
  if (current.fills.some((f) => f.execId === fill.execId)) return null;
  // The version's fills and the event data both hold it: put in canonical order once (hashing.ts), not copied by
  // each row's canonical JSON. The fills read back (current.fills) come from the stored text, already in that order.
  const added = inCanonicalOrder(fill);
  const fills = [...current.fills, added];
  const filled = fills.reduce((q, f) => q + f.quantity, 0);
  const done = filled >= current.spec.quantity;
  const status: OrderStatus = TERMINAL_STATUSES.has(current.status) ? current.status : done ? 'FILLED' : 'PARTIALLY_FILLED';
  const version = versionFrom(
    current,
    { status, filledQuantity: Math.max(filled, current.filledQuantity), remainingQuantity: Math.max(0, current.spec.quantity - filled), avgFillPrice: avgPriceOf(fills) },
    fills,
    stamp.correlationId,
  );
  const event = eventOverride ?? EVENT_FOR_STATUS[status];
  return { entry: stampedRow(stamp, event, { fill: added, filledQuantity: filled }, refs(current)), version };
}

/**
 * The order with this id if it belongs to this broker connection; null for
 * an unknown id and for another broker's order with the same id (a sim and a
 * tws broker on one DATA_DIR number their orders independently).
 */
export async function ownOrder(ctx: OrderContext, orderId: string): Promise<OrderDetail | null> {
  const order = await ctx.audit.getOrder(orderId);
  return order && inScope(order, ctx.scope()) ? order : null;
}

const refs = (o: OrderDetail): { accountId: string | null; orderId: string; snapshot: null } => ({ accountId: o.accountId, orderId: o.orderId, snapshot: null });

/** An order the gateway did not place but finds working at the broker (another client, an earlier run). */
export async function adoptBrokerOrder(ctx: OrderContext, state: BrokerOrderState, fills: Fill[]): Promise<OrderDetail> {
  const version = versionFromBroker(state, fills, requestOf(ctx).correlationId, ctx.identityFor(state.accountId));
  const { order } = await ctx.audit.recordOrder(auditRow(ctx, 'ORDER_RECONCILED', { adopted: true, status: state.status }, { accountId: state.accountId, orderId: state.orderId, snapshot: null }), version);
  return order;
}

export interface OrderEventHooks {
  /** A rejection streak or the daily loss limit asks for the kill switch. */
  onBreaker(reason: string, request?: RequestContext): Promise<void>;
  /** The broker came back after a loss: settle every open order. */
  onReconnect(): void;
}

export function attachOrderEvents(ctx: OrderContext, hooks: OrderEventHooks): () => void {
  // Each broker event is its own piece of system work, with its own correlation id on its rows and lines.
  const guard = (what: string, fn: (event: OrderContext) => Promise<void>): void => {
    const event = forRequest(ctx, systemContext());
    fn(event).catch((err: unknown) => event.logger.error({ err }, `could not record ${what}; reconciliation will settle it`));
  };
  let lost = false;
  ctx.onBreaker = hooks.onBreaker;
  let detached = false;
  const lossCheckOnce = async (account: string): Promise<void> => {
    // The loss check needs the marked P&L, which is a broker call.
    const pnl = await ctx.broker.getPnl(account);
    const realized = await ctx.risk.realizedToday(pnl.accountId, ctx.clock.now());
    if (ctx.risk.dailyLossBreached(pnl, realized) && !(await ctx.killSwitch.state()).engaged) await hooks.onBreaker(`daily loss limit reached (${pnl.dailyPnl} ${pnl.currency})`);
  };
  // Every fill is followed by a check that starts after it; fills arriving while one runs share the next.
  const lossChecks = new CoalescedRuns(lossCheckOnce, (err) => {
    // A check still in flight when the client closes has nothing left to protect.
    if (!detached) ctx.logger.warn({ err }, 'daily loss check failed');
  });
  const checkDailyLoss = (account: string): void => lossChecks.request(account);
  const offs = [
    ctx.broker.on('orderStatus', (state) =>
      guard('an order status', async (event) => {
        // A change counts toward the circuit breaker inside applyBrokerState.
        await applyBrokerState(event, updateFrom(state));
      }),
    ),
    ctx.broker.on('fill', (fill) =>
      guard('a fill', async (event) => {
        const account = (await applyFill(event, fill))?.order.accountId;
        if (account) checkDailyLoss(account);
      }),
    ),
    // An execution without an order (expiry, assignment, liquidation): its own FILLED record.
    ctx.broker.on('accountExecution', (execution) =>
      guard('an execution without an order', async (event) => {
        if (await recordAccountExecution(event, execution)) checkDailyLoss(execution.accountId);
      }),
    ),
    ctx.broker.on('connection', (change) =>
      guard('a connection change', async (event) => {
        if (change.state === 'disconnected' || change.state === 'degraded') {
          if (lost) return;
          lost = true;
          await ctx.audit.append(auditRow(event, 'CONNECTION_LOST', { state: change.state, message: change.message, code: change.code ?? null }, { accountId: null, orderId: null, snapshot: null }));
        } else if (change.state === 'connected' && lost) {
          lost = false;
          await ctx.audit.append(auditRow(event, 'CONNECTION_RESTORED', { message: change.message, code: change.code ?? null }, { accountId: null, orderId: null, snapshot: null }));
          hooks.onReconnect();
        }
      }),
    ),
  ];
  return () => {
    detached = true;
    lossChecks.stop();
    if (ctx.onBreaker === hooks.onBreaker) ctx.onBreaker = undefined;
    offs.forEach((off) => off());
  };
}
