/**
 * The simulator's order book and admission: order ids, validation in IBKR's
 * words, the buying-power check, bracket children built beside their parent,
 * cancellation, and the queries over working and finished orders.
 *
 * A new order (with its bracket children) is written in one transaction, then
 * evaluated once on arrival: a marketable order trades at once, IOC/FOK are
 * decided then. After that the matching loop owns it.
 */
import { OrderNotFoundError } from '../../core/errors.js';
import type { Contract, Fill, OrderSpec } from '../../core/models.js';
import type { BrokerOrderState, ExecutionsQuery, PlaceOrderAck, PlaceOrderRequest } from '../../core/broker/port.js';
import type { Instrument } from './catalogue.js';
import { optionTick } from './options.js';
import type { MarginCheck } from './margin.js';
import type { SimMarketData } from './market-data.js';
import type { MatchingLoop } from './matching-loop.js';
import { effectiveOutsideRth, ignoresOutsideRth, initialTrigger, onTick, WARNING_2109, type Book } from './matching.js';
import { closeOfSessionAt, dayOrderExpiry, nextClose, nextOpen, toEt } from './sessions.js';
import type { Settlement } from './settlement.js';
import { cloneState, type SimState } from './state.js';
import type { SimOrderRecord, SimStore } from './store.js';
import { easternLabel, goodAfterMs, goodTillMs, heldMessage, timeConditionProblem } from './order-timing.js';
import { isoTime } from './iso-time.js';

/** In real sessions, MOC and LOC orders are accepted until ten minutes before the close (15:50 ET), as on NYSE. */
const MOC_CUTOFF_MS = 10 * 60_000;

export class OrderBook {
  constructor(
    private readonly sim: SimState,
    private readonly prices: SimMarketData,
    private readonly margin: MarginCheck,
    private readonly loop: MatchingLoop,
    private readonly settle: Settlement,
  ) {}

  async allocateOrderIds(count: number): Promise<string[]> {
    const store = this.sim.requireStore();
    if (!Number.isInteger(count) || count < 1) throw new RangeError('allocateOrderIds: count must be a positive integer');
    return store.allocateOrderIds(count);
  }

  /** The sim's next id, not taken: ids the core chooses at or above it are moved past when the order is placed (reserveOrderId). */
  async orderIdFloor(): Promise<number> {
    return this.sim.requireStore().peekNextOrderId();
  }

  async placeOrder(request: PlaceOrderRequest): Promise<PlaceOrderAck> {
    // While a WAL checkpoint's last pass runs, a new order waits for it rather than overtake it: otherwise
    // sim.db's connection copies the rest itself, stalling the event loop for every request (store.ts).
    const held = this.sim.requireStore().writesHeld();
    if (held !== null) await held;
    const store = this.sim.requireStore();
    // One sim.db commit per order at most (issue 18): catching the market up to now and the order itself, in the
    // transaction the turn's new orders share; answered once it has committed (store.ts folded()).
    return store.folded(() => this.placeNow(store, request));
  }

  private placeNow(store: SimStore, request: PlaceOrderRequest): PlaceOrderAck {
    const now = this.sim.clock.now();
    this.loop.advanceTo(now);
    const { ids, spec } = request;
    if (this.sim.open.has(ids.orderId) || store.order(ids.orderId)) {
      // IBKR error 103: the existing order is left alone.
      return { orderId: ids.orderId, status: 'REJECTED', message: `Duplicate order id ${ids.orderId}`, children: [] };
    }
    const inst = this.sim.instruments.forContract(request.contract);
    const parent = this.newRecord(ids.orderId, null, 'ENTRY', request, request.contract, spec, now);
    const problem = this.validate(request, inst, now);
    if (problem || !inst) {
      return this.rejectNew(parent, problem ?? 'No security definition has been found for the request');
    }
    const noMoney = this.margin.admissionProblem(inst, spec, this.margin.referencePrice(inst, spec, now), now);
    if (noMoney) return this.rejectNew(parent, `Order rejected - ${noMoney}`);

    const children: SimOrderRecord[] = [];
    if (spec.takeProfitPrice !== undefined || spec.stopLossPrice !== undefined) {
      const exit = spec.action === 'BUY' ? 'SELL' : 'BUY';
      // Children inherit the parent's DAY/GTC; an IOC/FOK parent leaves GTC exits behind, as a protective bracket should.
      const tif = spec.timeInForce === 'GTC' || spec.timeInForce === 'DAY' ? spec.timeInForce : 'GTC';
      const common = { ...instrumentOnly(spec), action: exit, quantity: spec.quantity, timeInForce: tif, outsideRth: spec.outsideRth } as const;
      const group = `bracket-${ids.orderId}`;
      if (spec.takeProfitPrice !== undefined && ids.takeProfitOrderId) {
        const s: OrderSpec = { ...common, orderType: 'LMT', limitPrice: spec.takeProfitPrice };
        children.push(this.newRecord(ids.takeProfitOrderId, ids.orderId, 'TAKE_PROFIT', request, inst.contract, s, now, group));
      }
      if (spec.stopLossPrice !== undefined && ids.stopLossOrderId) {
        const s: OrderSpec = { ...common, orderType: 'STP', stopPrice: spec.stopLossPrice };
        children.push(this.newRecord(ids.stopLossOrderId, ids.orderId, 'STOP_LOSS', request, inst.contract, s, now, group));
      }
      const [a, b] = children;
      if (a && b) {
        a.siblingId = b.state.orderId;
        b.siblingId = a.state.orderId;
      }
      for (const c of children) {
        c.waitingForParent = true;
        c.cap = 0;
        c.state.status = 'SUBMITTED';
        c.state.message = 'Waiting for the parent order to fill';
      }
    }
    parent.contract = inst.contract;
    const workFrom = goodAfterMs(spec);
    if (workFrom !== null && workFrom > now) {
      // IBKR holds it (PreSubmitted) and warns when it will be placed; the matching loop releases it then.
      parent.state.status = 'SUBMITTED';
      parent.state.message = heldMessage(easternLabel(workFrom));
    }
    parent.trigger = initialTrigger(spec, this.prices.watchPrice(inst, now), inst.contract.minTick);
    this.schedule(parent, inst, now);
    for (const c of children) {
      c.trigger = initialTrigger(c.state.spec, this.prices.watchPrice(inst, now), inst.contract.minTick);
      this.schedule(c, inst, now);
    }
    // The order, its children and what its arrival does (a fill arming the children) commit together
    // (in placeOrder's transaction: an error here rolls all of it back).
    store.within(() => {
      for (const r of [parent, ...children]) {
        store.reserveOrderId(r.state.orderId);
        store.saveOrder(r, true);
      }
      for (const r of [parent, ...children]) {
        this.sim.open.set(r.state.orderId, r);
        this.sim.emit('orderStatus', cloneState(r.state));
      }
      // The arrival: a marketable order trades at once, IOC/FOK are decided now.
      const books = new Map<number, Book>();
      this.loop.evaluate(parent, now, books, true);
      this.loop.keepDepletion(books, now);
    });
    // IBKR warns (2109) whenever it ignores outsideRth for the order type, whether or not the market is open now.
    const message = ignoresOutsideRth(spec, inst.cls) && !(parent.state.message ?? '').startsWith('Warning 2109') ? [WARNING_2109, parent.state.message].filter(Boolean).join(' ') : parent.state.message;
    return { orderId: parent.state.orderId, status: parent.state.status, message, children: children.map((c) => cloneState(c.state)) };
  }

  private newRecord(orderId: string, parentId: string | null, role: BrokerOrderState['role'], request: PlaceOrderRequest, contract: Contract, spec: OrderSpec, now: number, ocaGroup?: string): SimOrderRecord {
    return {
      state: {
        orderId,
        parentOrderId: parentId,
        role,
        accountId: request.accountId,
        orderRef: request.orderRef,
        conId: contract.conId,
        spec,
        status: 'ACCEPTED',
        filledQuantity: 0,
        remainingQuantity: spec.quantity,
        avgFillPrice: null,
        commission: null,
        message: null,
        updatedAt: isoTime(now),
      },
      contract,
      placedAt: now,
      expiresAt: null,
      auctionAt: null,
      waitingForParent: false,
      cap: null,
      trigger: { triggered: false, trailStop: null, activeLimit: null },
      resting: false,
      ocaGroup: ocaGroup ?? spec.ocaGroup ?? null,
      siblingId: null,
      parentDone: false,
      fillSeq: 0,
      filledValue: '0',
      commission: '0',
      valueUsd: '0',
    };
  }

  /**
   * Sets when a new order expires (DAY, GTD) or executes (MOC, OPG). An order held until its goodAfterTime
   * counts its day, close or open from that time: a DAY order placed for tomorrow works tomorrow.
   */
  private schedule(rec: SimOrderRecord, inst: Instrument, now: number): void {
    const spec = rec.state.spec;
    const mode = this.sim.options.session;
    const from = Math.max(now, goodAfterMs(spec) ?? now);
    if (spec.orderType === 'MOC' || spec.orderType === 'LOC') rec.auctionAt = nextClose(inst.schedule, mode, from);
    else if (spec.orderType === 'OPG' || spec.timeInForce === 'OPG') rec.auctionAt = nextOpen(inst.schedule, mode, from);
    else if (spec.timeInForce === 'DAY') rec.expiresAt = dayOrderExpiry(inst.schedule, mode, from, effectiveOutsideRth(spec, inst.cls));
    else if (spec.timeInForce === 'GTD') rec.expiresAt = goodTillMs(spec);
  }

  /** Why the order cannot be accepted at all, in IBKR's words where IBKR has some; null when it can. */
  private validate(request: PlaceOrderRequest, inst: Instrument | null, now: number): string | null {
    const { spec } = request;
    const accountId = this.sim.accountId;
    if (request.accountId !== accountId) return `Account ${request.accountId} is not managed by this connection (managed: ${accountId})`;
    if (!inst) return `No security definition has been found for the request (conId ${request.contract.conId})`;
    if (inst.cls === 'index') return `${inst.contract.symbol} is an index and cannot be traded; trade a future, an ETF or options on it instead`;
    if (!Number.isInteger(spec.quantity)) return `Quantity ${spec.quantity} is not a whole number of ${inst.cls === 'equity' ? 'shares' : inst.cls === 'fx' ? 'currency units' : 'contracts'}`;
    const tick = inst.contract.minTick;
    for (const [name, value] of [
      ['limitPrice', spec.limitPrice],
      ['stopPrice', spec.stopPrice],
      ['takeProfitPrice', spec.takeProfitPrice],
      ['stopLossPrice', spec.stopLossPrice],
    ] as const) {
      // Options tick by premium (0.01 / 0.05 / 0.10, see optionTick); IBKR refuses the rest with error 110.
      const t = inst.option && value !== undefined ? optionTick(inst.option.underlying.contract.symbol, value) : tick;
      if (value !== undefined && !onTick(value, t)) return `The price does not conform to the minimum price variation for this contract (IBKR error 110): ${name} ${value} is not a multiple of ${t}`;
    }
    const atClose = spec.orderType === 'MOC' || spec.orderType === 'LOC';
    if ((atClose || spec.orderType === 'MIDPRICE' || spec.orderType === 'OPG' || spec.timeInForce === 'OPG') && inst.cls !== 'equity') {
      return `${atClose || spec.orderType === 'MIDPRICE' ? spec.orderType : 'Opening auction (OPG)'} orders are only supported for US stocks and ETFs`;
    }
    const timing = timeConditionProblem(spec, now);
    if (timing) return timing;
    if (inst.option && inst.option.expiryMs <= now) return `The option ${inst.contract.localSymbol ?? ''} has expired`;
    if (inst.cls === 'future' && inst.contract.expiry && Date.parse(`${inst.contract.expiry}T21:00:00Z`) <= now) return `The futures contract ${inst.contract.localSymbol ?? ''} has expired`;
    if ((spec.takeProfitPrice !== undefined && !request.ids.takeProfitOrderId) || (spec.stopLossPrice !== undefined && !request.ids.stopLossOrderId)) {
      return 'Bracket order without ids for its take-profit/stop-loss children; allocate them with allocateOrderIds first';
    }
    if (atClose && this.sim.options.session === 'real') {
      // Ten minutes before the close: 15:50 ET, or 12:50 ET on an early-close day.
      const close = closeOfSessionAt(inst.schedule, 'real', now);
      if (close !== null && now >= close - MOC_CUTOFF_MS) {
        const cutoff = toEt(close - MOC_CUTOFF_MS).minute;
        return `${spec.orderType} orders must be submitted by ${String(Math.floor(cutoff / 60)).padStart(2, '0')}:${String(Math.round(cutoff % 60)).padStart(2, '0')} ET`;
      }
    }
    return null;
  }

  private rejectNew(rec: SimOrderRecord, message: string): PlaceOrderAck {
    const store = this.sim.requireStore();
    rec.state.status = 'REJECTED';
    rec.state.message = message;
    store.transaction(() => {
      store.reserveOrderId(rec.state.orderId);
      store.saveOrder(rec, false);
    });
    this.sim.emit('orderStatus', cloneState(rec.state));
    return { orderId: rec.state.orderId, status: 'REJECTED', message, children: [] };
  }

  async cancelOrder(orderId: string): Promise<BrokerOrderState> {
    await this.sim.placedOrWaited(orderId);
    const store = this.sim.requireStore();
    this.loop.advanceTo(this.sim.clock.now());
    const rec = this.sim.open.get(orderId);
    if (!rec) {
      const stored = store.order(orderId);
      if (!stored) throw new OrderNotFoundError(orderId);
      return cloneState(stored.state);
    }
    this.settle.finish(rec, 'CANCELLED', 'Cancelled by request', this.sim.clock.now());
    return cloneState(rec.state);
  }

  async getOpenOrders(): Promise<BrokerOrderState[]> {
    this.sim.requireStore();
    return [...this.sim.open.values()].map((r) => cloneState(r.state));
  }

  async getOrder(orderId: string): Promise<BrokerOrderState | null> {
    const store = this.sim.requireStore();
    const rec = this.sim.open.get(orderId) ?? store.order(orderId);
    return rec ? cloneState(rec.state) : null;
  }

  async getExecutions(query: ExecutionsQuery = {}): Promise<Fill[]> {
    const store = this.sim.requireStore();
    return store.fills(query).map(({ conId: _conId, ...fill }) => fill);
  }
}

/** The instrument fields of an order spec, for building bracket children. */
function instrumentOnly(spec: OrderSpec): Pick<OrderSpec, 'symbol' | 'securityType' | 'exchange' | 'currency' | 'expiry' | 'strike' | 'right' | 'account'> {
  const out: Pick<OrderSpec, 'symbol' | 'securityType' | 'exchange' | 'currency' | 'expiry' | 'strike' | 'right' | 'account'> = { symbol: spec.symbol, securityType: spec.securityType };
  if (spec.exchange !== undefined) out.exchange = spec.exchange;
  if (spec.currency !== undefined) out.currency = spec.currency;
  if (spec.expiry !== undefined) out.expiry = spec.expiry;
  if (spec.strike !== undefined) out.strike = spec.strike;
  if (spec.right !== undefined) out.right = spec.right;
  if (spec.account !== undefined) out.account = spec.account;
  return out;
}
