/**
 * Orders: place (and what-if), cancel, global cancel, open orders, next ids
 * and executions; plus the openOrder/orderStatus/execDetails/commission
 * messages sent as orders work and fill.
 */
import type { BrokerOrderState, PlaceOrderRequest } from '../../core/broker/port.js';
import { OrderSpec, TERMINAL_STATUSES, type Contract, type Fill, type OrderStatus } from '../../core/models.js';
import { orderView, statusView, type OrderRecord } from '../gateway-state.js';
import { toWire } from '../messages/contract.js';
import { nextValidIdMessage } from '../messages/account.js';
import { twsDateTime } from '../messages/historical.js';
import { commissionReportMessage, completedOrderMessage, completedOrdersEndMessage, execDetailsEndMessage, execDetailsMessage, openOrderEndMessage, openOrderMessage, orderStatusMessage } from '../messages/orders.js';
import { TWS_STATUS, twsOrderToSpec } from '../order-map.js';
import { Err, Req } from '../protocol.js';
import { parseCancelOrder, parseExecutions, parsePlaceOrder, parseTwsTime, type OrderEcho, type PlaceOrderRequestWire } from '../requests.js';
import type { Handler, Session, Untransmitted } from '../session.js';
import { matchesFilter, sendAccountExecution } from './account-executions.js';

const TERMINAL = new Set(['Filled', 'Cancelled', 'ApiCancelled', 'Inactive']);

export function sendOrderUpdate(s: Session, record: OrderRecord): void {
  s.send(openOrderMessage(s.serverVersion, orderView(record)));
  s.send(orderStatusMessage(statusView(record)));
}

export function sendExecution(s: Session, reqId: number, record: OrderRecord, fill: Fill, cum: { qty: number; avg: number }): void {
  s.send(
    execDetailsMessage(s.serverVersion, {
      reqId,
      orderId: record.twsId,
      contract: toWire(record.contract),
      execId: fill.execId,
      time: twsDateTime(Date.parse(fill.time)),
      account: record.account,
      exchange: fill.exchange ?? record.contract.exchange,
      side: fill.side === 'BUY' ? 'BOT' : 'SLD',
      shares: fill.quantity,
      price: fill.price,
      permId: record.permId,
      clientId: record.clientId ?? 0,
      cumQty: cum.qty,
      avgPrice: cum.avg,
      orderRef: record.orderRef,
    }),
  );
  s.send(commissionReportMessage(fill.execId, fill.commission, fill.commissionCurrency, fill.realizedPnl));
}

const reject = (s: Session, orderId: number, reason: string): void => s.error(orderId, Err.ORDER_REJECTED.code, `${Err.ORDER_REJECTED.text} ${reason}`);

/** A fresh record for an order this client placed; its updates are held until the placement settles. */
function newRecord(s: Session, twsId: number, parentTwsId: number, brokerId: string, contract: Contract, spec: OrderSpec, account: string, orderRef: string, echo: OrderEcho): OrderRecord {
  return {
    brokerId,
    clientId: s.clientId,
    twsId,
    permId: s.shared.newPermId(),
    parentTwsId,
    contract,
    spec,
    account,
    orderRef,
    status: 'PendingSubmit',
    filled: 0,
    remaining: spec.quantity,
    avgFillPrice: 0,
    lastFillPrice: 0,
    execQty: 0,
    execValue: 0,
    held: [],
    dropAck: false,
    echo,
  };
}

/** Releases a record's held updates: the acknowledgement (unless a status update already carries it, or the ack is dropped), then the rest in order. */
function settleRecord(s: Session, record: OrderRecord, rejection: string | null): void {
  const held = record.held ?? [];
  record.held = null;
  if (rejection !== null) reject(s, record.twsId, rejection);
  const statusUpdates = held.filter((u) => u.kind === 'status');
  if (!record.dropAck && statusUpdates.length === 0) s.shared.linkFor(record)?.orderChanged(record);
  for (const u of held) if (!(record.dropAck && u.kind === 'status')) u.run();
}

/** Places records at the broker as one request (a single order, or a bracket: entry then its children) and acknowledges them as a gateway does. */
async function placeAtBroker(s: Session, records: OrderRecord[], request: Omit<PlaceOrderRequest, 'ids'>, ids: PlaceOrderRequest['ids']): Promise<void> {
  const shared = s.shared;
  const [parent] = records;
  if (!parent) return;
  if (shared.faults.dropAcks > 0) {
    shared.faults.dropAcks -= 1;
    parent.dropAck = true;
  }
  for (const rec of records) shared.register(rec);
  let rejection: string | null = null;
  try {
    const ack = await shared.broker.placeOrder({ ...request, ids });
    const statusOf = new Map<string, OrderStatus>([[ack.orderId, ack.status], ...ack.children.map((c): [string, OrderStatus] => [c.orderId, c.status])]);
    for (const rec of records) {
      const st = statusOf.get(rec.brokerId);
      if (st && (rec.held ?? []).every((u) => u.kind !== 'status')) rec.status = TWS_STATUS[st];
    }
    if (ack.status === 'REJECTED') rejection = ack.message ?? 'rejected by the simulated broker';
    // An order held until its goodAfterTime: IBKR's order message 399 says until when (the order goes on, PreSubmitted).
    else if (ack.message?.startsWith(WARNING_399)) s.error(parent.twsId, 399, `Order Message:\n${parent.spec.action} ${parent.spec.quantity} ${parent.contract.symbol}\nWarning: ${ack.message.slice(WARNING_399.length).trim()}`);
  } catch (err) {
    for (const rec of records) rec.status = 'Cancelled';
    rejection = err instanceof Error ? err.message : String(err);
  }
  const settle = (): void => {
    for (const rec of records) settleRecord(s, rec, rec === parent ? rejection : null);
  };
  if (shared.faults.ackDelayMs > 0) setTimeout(settle, shared.faults.ackDelayMs).unref();
  else settle();
}

/**
 * A bracket as IBKR takes it: the entry and all but the last child arrive
 * with transmit=false and wait here; the last child (transmit=true, parentId =
 * the entry) releases the whole bracket, placed at the broker at once with a
 * LMT child as the take-profit and a STP child as the stop-loss.
 */
async function placeBracket(s: Session, entry: Untransmitted, children: Untransmitted[]): Promise<void> {
  const all = [entry, ...children];
  const fail = (reason: string): void => {
    for (const o of all) reject(s, o.order.orderId, reason);
  };
  let takeProfit: Untransmitted | null = null;
  let stopLoss: Untransmitted | null = null;
  for (const c of children) {
    if (c.spec.action === entry.spec.action || c.spec.quantity !== entry.spec.quantity || c.contract.conId !== entry.contract.conId) {
      fail(`bracket child ${c.order.orderId} must close the entry: same contract and quantity, opposite side`);
      return;
    }
    if (c.spec.orderType === 'LMT' && !takeProfit) takeProfit = c;
    else if (c.spec.orderType === 'STP' && !stopLoss) stopLoss = c;
    else {
      fail(`bracket children must be at most one LMT take-profit and one STP stop-loss (child ${c.order.orderId} is ${c.order.orderType})`);
      return;
    }
  }
  const parsed = OrderSpec.safeParse({
    ...entry.spec,
    ...(takeProfit ? { takeProfitPrice: takeProfit.spec.limitPrice } : {}),
    ...(stopLoss ? { stopLossPrice: stopLoss.spec.stopPrice } : {}),
  });
  if (!parsed.success) {
    fail(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    return;
  }
  const brokerIds = await s.shared.broker.allocateOrderIds(all.length);
  const ordered = [entry, ...[takeProfit, stopLoss].filter((c): c is Untransmitted => c !== null)];
  const records = ordered.map((o, i) => newRecord(s, o.order.orderId, o === entry ? 0 : entry.order.orderId, brokerIds[i] ?? '', o.contract, o.spec, o.account, o.order.orderRef, o.order.echo));
  const idOf = (o: Untransmitted | null): string | undefined => (o ? records[ordered.indexOf(o)]?.brokerId : undefined);
  const tp = idOf(takeProfit);
  const sl = idOf(stopLoss);
  await placeAtBroker(
    s,
    records,
    { contract: entry.contract, spec: parsed.data, accountId: entry.account, orderRef: entry.order.orderRef || `tws:${s.clientId}:${entry.order.orderId}` },
    { orderId: records[0]?.brokerId ?? '', ...(tp ? { takeProfitOrderId: tp } : {}), ...(sl ? { stopLossOrderId: sl } : {}) },
  );
}

const WARNING_399 = 'Warning 399:';

const placeOrder: Handler = async (s, r) => {
  const o = parsePlaceOrder(r, s.serverVersion);
  const shared = s.shared;
  if (!o.whatIf) {
    const existing = shared.byClientOrder(s.clientId, o.orderId);
    if (existing) {
      // The same id again is IBKR's modify: the order is amended in place.
      await amendOrder(s, existing, o);
      return;
    }
    if (s.untransmitted.has(o.orderId)) {
      // An untransmitted bracket leg is not amended here; reusing its id is refused as a used id.
      s.error(o.orderId, Err.DUPLICATE_ORDER_ID.code, Err.DUPLICATE_ORDER_ID.text);
      return;
    }
    shared.noteOrderId(s.clientId, o.orderId);
  }
  const contract = await shared.contracts.resolveOne(o.contract);
  if (!contract) {
    s.error(o.orderId, Err.NO_SECURITY.code, Err.NO_SECURITY.text);
    return;
  }
  const account = o.account === '' ? shared.defaultAccount() : o.account;
  if (!shared.accounts().includes(account)) {
    reject(s, o.orderId, `account ${account} is not a managed account`);
    return;
  }
  const mapped = twsOrderToSpec(o, contract, account);
  if (!mapped.ok) {
    reject(s, o.orderId, mapped.reason);
    return;
  }
  const spec = mapped.spec;
  if (o.whatIf) {
    await sendWhatIf(s, newRecord(s, o.orderId, 0, 'what-if', contract, spec, account, o.orderRef, o.echo));
    return;
  }
  if (o.parentId !== 0) {
    const entry = s.untransmitted.get(o.parentId);
    if (!entry || entry.children === null) {
      reject(s, o.orderId, `parent order ${o.parentId} is not an untransmitted order of this client; the simulated gateway attaches children only within a bracket sent with transmit=false`);
      return;
    }
    const child: Untransmitted = { order: o, contract, spec, account, children: null };
    entry.children.push(child);
    s.untransmitted.set(o.orderId, child);
    if (!o.transmit) return;
    s.untransmitted.delete(o.parentId);
    for (const c of entry.children) s.untransmitted.delete(c.order.orderId);
    await placeBracket(s, entry, entry.children);
    return;
  }
  if (!o.transmit) {
    // Held until a child with transmit=true arrives, as TWS holds an untransmitted order.
    s.untransmitted.set(o.orderId, { order: o, contract, spec, account, children: [] });
    return;
  }
  const [brokerId] = await shared.broker.allocateOrderIds(1);
  const record = newRecord(s, o.orderId, 0, brokerId ?? '', contract, spec, account, o.orderRef, o.echo);
  await placeAtBroker(s, [record], { contract, spec, accountId: account, orderRef: o.orderRef || `tws:${s.clientId}:${o.orderId}` }, { orderId: record.brokerId });
};

/** What a modification may change; everything else must match the working order (IBKR error 105). */
const MODIFIABLE = ['quantity', 'limitPrice', 'stopPrice', 'trailingAmount', 'trailingPercent', 'limitOffset', 'timeInForce', 'outsideRth'] as const;

function withChanges(base: OrderSpec, next: OrderSpec): OrderSpec {
  const out: Record<string, unknown> = { ...base };
  for (const f of MODIFIABLE) {
    if (next[f] === undefined) delete out[f];
    else out[f] = next[f];
  }
  return out as OrderSpec;
}

/**
 * placeOrder with the id of one of this client's orders: IB Gateway's modify.
 * A filled order answers 104, a finished one 103 (its id is used), an order
 * whose placement is still in flight 2102; a different contract, account, side
 * or type 105. An accepted change is announced with openOrder and orderStatus
 * carrying the new version, as the broker's status update goes out.
 */
async function amendOrder(s: Session, record: OrderRecord, o: PlaceOrderRequestWire): Promise<void> {
  const shared = s.shared;
  const id = o.orderId;
  if (record.status === 'Filled') return s.error(id, Err.CANT_MODIFY_FILLED.code, Err.CANT_MODIFY_FILLED.text);
  if (TERMINAL.has(record.status)) return s.error(id, Err.DUPLICATE_ORDER_ID.code, Err.DUPLICATE_ORDER_ID.text);
  if (record.held !== null) return s.error(id, Err.MODIFY_IN_PROGRESS.code, Err.MODIFY_IN_PROGRESS.text);
  const contract = await shared.contracts.resolveOne(o.contract);
  const account = o.account === '' ? record.account : o.account;
  const mismatch = (what: string): void => s.error(id, Err.MODIFY_MISMATCH.code, `${Err.MODIFY_MISMATCH.text}: ${what}`);
  if (!contract || contract.conId !== record.contract.conId) return mismatch('contract');
  if (account !== record.account) return mismatch('account');
  const mapped = twsOrderToSpec(o, contract, account);
  if (!mapped.ok) return reject(s, id, mapped.reason);
  if (mapped.spec.action !== record.spec.action || mapped.spec.orderType !== record.spec.orderType) return mismatch('action and order type cannot change');
  const current = await shared.broker.getOrder(record.brokerId);
  if (!current) return s.error(id, Err.DUPLICATE_ORDER_ID.code, Err.DUPLICATE_ORDER_ID.text);
  const before = { spec: record.spec, echo: record.echo };
  const restore = (): void => {
    record.spec = before.spec;
    record.echo = before.echo;
  };
  // The new version (and the attributes the client sent with it) shows in the status update the broker sends when it takes it.
  record.spec = withChanges(before.spec, mapped.spec);
  record.echo = o.echo;
  let ack;
  try {
    ack = await shared.broker.modifyOrder({ orderId: record.brokerId, contract: record.contract, spec: withChanges(current.spec, mapped.spec), accountId: account, orderRef: record.orderRef });
  } catch (err) {
    restore();
    return reject(s, id, err instanceof Error ? err.message : String(err));
  }
  if (ack.accepted) return;
  restore();
  const why = ack.message ?? 'modification refused';
  if (ack.state.status === 'FILLED') s.error(id, Err.CANT_MODIFY_FILLED.code, Err.CANT_MODIFY_FILLED.text);
  else if (TERMINAL_STATUSES.has(ack.state.status)) s.error(id, Err.DUPLICATE_ORDER_ID.code, Err.DUPLICATE_ORDER_ID.text);
  else if (why.startsWith('Order being modified does not match')) s.error(id, Err.MODIFY_MISMATCH.code, why);
  else reject(s, id, why);
}

async function sendWhatIf(s: Session, record: OrderRecord): Promise<void> {
  const shared = s.shared;
  const [w, before] = await Promise.all([shared.broker.whatIf(record.contract, record.spec, record.account), shared.broker.getAccountSummary(record.account)]);
  const after = (b: number, change: number | null): number | null => (change === null ? null : b + change);
  const view = orderView(record, { whatIf: true, status: 'PreSubmitted' });
  view.whatIfState = {
    initMarginBefore: before.initMarginReq,
    maintMarginBefore: before.maintMarginReq,
    equityWithLoanBefore: before.equityWithLoanValue,
    initMarginChange: w.initMarginChange,
    maintMarginChange: w.maintMarginChange,
    equityWithLoanChange: w.equityWithLoanAfter === null ? null : w.equityWithLoanAfter - before.equityWithLoanValue,
    initMarginAfter: after(before.initMarginReq, w.initMarginChange),
    maintMarginAfter: after(before.maintMarginReq, w.maintMarginChange),
    equityWithLoanAfter: w.equityWithLoanAfter,
    // One estimate for the order as a whole: IBKR Pro Fixed has no spread between minimum and maximum once the quantity and price are known.
    commission: w.estimatedCommission,
    minCommission: w.estimatedCommission,
    maxCommission: w.estimatedCommission,
    commissionCurrency: w.commissionCurrency,
    warningText: w.warnings.join('; '),
  };
  s.send(openOrderMessage(s.serverVersion, view));
}

const cancelOrder: Handler = async (s, r) => {
  const { orderId } = parseCancelOrder(r);
  const held = s.untransmitted.get(orderId);
  if (held) {
    // An untransmitted order (or bracket) never reached the broker: it is simply discarded.
    s.untransmitted.delete(orderId);
    for (const c of held.children ?? []) s.untransmitted.delete(c.order.orderId);
    s.error(orderId, Err.ORDER_CANCELLED.code, Err.ORDER_CANCELLED.text);
    return;
  }
  const record = s.shared.byClientOrder(s.clientId, orderId);
  if (!record) {
    s.error(orderId, Err.CANCEL_NOT_FOUND.code, Err.CANCEL_NOT_FOUND.text.replace('{id}', String(orderId)));
    return;
  }
  if (TERMINAL.has(record.status)) {
    s.error(orderId, Err.CANCEL_NOT_ALLOWED.code, Err.CANCEL_NOT_ALLOWED.text.replace('{id}', String(orderId)).replace('{state}', record.status));
    return;
  }
  const state = await s.shared.broker.cancelOrder(record.brokerId);
  if (state.status === 'CANCELLED') s.error(orderId, Err.ORDER_CANCELLED.code, Err.ORDER_CANCELLED.text);
  else s.error(orderId, Err.CANCEL_NOT_ALLOWED.code, Err.CANCEL_NOT_ALLOWED.text.replace('{id}', String(orderId)).replace('{state}', TWS_STATUS[state.status]));
};

const globalCancel: Handler = async (s) => {
  for (const o of await s.shared.broker.getOpenOrders()) await s.shared.broker.cancelOrder(o.orderId).catch(() => undefined);
};

/** Open orders: this client's own, or (all = true) every order at the broker, including those placed outside the emulator. */
async function sendOpenOrders(s: Session, all: boolean): Promise<void> {
  for (const state of await s.shared.broker.getOpenOrders()) {
    const record = s.shared.byBrokerId(state.orderId) ?? (all ? await s.shared.adopt(state) : undefined);
    if (!record || (!all && record.clientId !== s.clientId)) continue;
    s.send(openOrderMessage(s.serverVersion, orderView(record)));
    s.send(orderStatusMessage(statusView(record)));
  }
  s.send(openOrderEndMessage());
}

/** How an order ended, in COMPLETED_ORDER's completedStatus (an expired DAY order is a cancel by the system, with the reason). */
function completedStatus(state: BrokerOrderState): string {
  switch (state.status) {
    case 'FILLED':
      return `Filled Size: ${state.filledQuantity}`;
    case 'EXPIRED':
      return `Cancelled by System: order expired${state.message ? ` (${state.message})` : ''}`;
    case 'REJECTED':
      return `Rejected${state.message ? `: ${state.message}` : ''}`;
    default:
      return `Cancelled by Trader${state.message ? ` (${state.message})` : ''}`;
  }
}

/**
 * reqCompletedOrders: every order the emulator knows that has ended at the
 * broker (filled, cancelled, expired, rejected), for every client as a
 * gateway lists them; apiOnly leaves out orders placed outside the API.
 */
const completedOrders: Handler = async (s, r) => {
  const apiOnly = r.bool();
  const shared = s.shared;
  for (const record of shared.records()) {
    if (apiOnly && record.clientId === null) continue;
    const state = await shared.broker.getOrder(record.brokerId).catch(() => null);
    if (!state || !TERMINAL_STATUSES.has(state.status)) continue;
    const parent = state.parentOrderId ? shared.byBrokerId(state.parentOrderId) : undefined;
    const view = orderView(record, { status: TWS_STATUS[state.status] });
    view.filledQuantity = state.filledQuantity;
    s.send(completedOrderMessage(view, { parentPermId: parent?.permId ?? 0, completedTime: twsDateTime(Date.parse(state.updatedAt)), completedStatus: completedStatus(state) }));
  }
  s.send(completedOrdersEndMessage());
};

const openOrders: Handler = (s) => sendOpenOrders(s, false);
const allOpenOrders: Handler = (s) => sendOpenOrders(s, true);
/** Binding TWS manual orders to client 0: there are none in the simulator, so it is accepted and changes nothing. */
const autoOpenOrders: Handler = () => undefined;

const ids: Handler = (s) => {
  s.send(nextValidIdMessage(s.shared.nextValidId(s.clientId)));
};

const executions: Handler = async (s, r) => {
  const f = parseExecutions(r);
  const since = f.time === '' ? null : parseTwsTime(f.time);
  const fills = await s.shared.broker.getExecutions({ ...(since !== null ? { since: new Date(since).toISOString() } : {}), ...(f.acctCode !== '' ? { accountId: f.acctCode } : {}) });
  const cum = new Map<string, { qty: number; value: number }>();
  for (const fill of fills) {
    const withoutOrder = fill.orderId === '0' ? s.shared.accountExecution(fill.execId) : undefined;
    if (withoutOrder) {
      if (matchesFilter(withoutOrder, f)) sendAccountExecution(s, f.reqId, withoutOrder);
      continue;
    }
    let record = s.shared.byBrokerId(fill.orderId);
    if (!record) {
      const state = await s.shared.broker.getOrder(fill.orderId);
      record = state ? ((await s.shared.adopt(state)) ?? undefined) : undefined;
    }
    if (!record) continue;
    // A client sees executions of its own orders and of orders placed outside the API, as with a gateway.
    if (record.clientId !== null && record.clientId !== s.clientId) continue;
    if (f.clientId > 0 && record.clientId !== f.clientId) continue;
    const wire = toWire(record.contract);
    if (f.symbol !== '' && wire.symbol !== f.symbol) continue;
    if (f.secType !== '' && wire.secType !== f.secType) continue;
    if (f.side !== '' && (fill.side === 'BUY' ? 'BUY' : 'SELL') !== f.side && (fill.side === 'BUY' ? 'BOT' : 'SLD') !== f.side) continue;
    const c = cum.get(fill.orderId) ?? { qty: 0, value: 0 };
    c.qty += fill.quantity;
    c.value += fill.quantity * fill.price;
    cum.set(fill.orderId, c);
    sendExecution(s, f.reqId, record, fill, { qty: c.qty, avg: c.value / c.qty });
  }
  s.send(execDetailsEndMessage(f.reqId));
};

export const orderHandlers: [number, Handler][] = [
  [Req.PLACE_ORDER, placeOrder],
  [Req.CANCEL_ORDER, cancelOrder],
  [Req.GLOBAL_CANCEL, globalCancel],
  [Req.OPEN_ORDERS, openOrders],
  [Req.ALL_OPEN_ORDERS, allOpenOrders],
  [Req.AUTO_OPEN_ORDERS, autoOpenOrders],
  [Req.IDS, ids],
  [Req.EXECUTIONS, executions],
  [Req.COMPLETED_ORDERS, completedOrders],
];
