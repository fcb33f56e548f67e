/**
 * Modifying a working order in place, as IBKR does when a client sends
 * placeOrder again with the same order id.
 *
 * The order keeps its id. Its time priority (its place in `sim.open`, which is
 * the order working orders are matched in) is kept only where an exchange
 * keeps it: a size decrease, or a change of time in force / outsideRth. A
 * price change or a size increase sends it to the back of the queue, and the
 * new version is evaluated at once as a fresh arrival, so a limit moved
 * through the market trades now.
 *
 * Refusals are answers (accepted: false), not exceptions, in IBKR's words:
 * a finished order cannot be modified (error 104), the new version must be
 * the same instrument, side and type (error 105).
 */
import { OrderNotFoundError } from '../../core/errors.js';
import type { OrderSpec } from '../../core/models.js';
import type { ModifyOrderAck, ModifyOrderRequest } from '../../core/broker/port.js';
import { buyingPowerProblem, type MarginCheck } from './margin.js';
import type { SimMarketData } from './market-data.js';
import type { MatchingLoop } from './matching-loop.js';
import { initialTrigger, onTick } from './matching.js';
import { dayOrderExpiry } from './sessions.js';
import { cloneState, type SimState } from './state.js';
import type { SimOrderRecord } from './store.js';
import { goodTillMs } from './order-timing.js';
import { isoTime } from './iso-time.js';

/** Fields that identify the order: a modification may not change them (IBKR error 105). */
const FIXED_FIELDS = ['symbol', 'securityType', 'exchange', 'currency', 'expiry', 'strike', 'right', 'action', 'orderType', 'ocaGroup'] as const;
const PRICE_FIELDS = ['limitPrice', 'stopPrice', 'trailingAmount', 'trailingPercent', 'limitOffset'] as const;

export class OrderAmender {
  constructor(
    private readonly sim: SimState,
    private readonly prices: SimMarketData,
    private readonly margin: MarginCheck,
    private readonly loop: MatchingLoop,
  ) {}

  async modifyOrder(request: ModifyOrderRequest): Promise<ModifyOrderAck> {
    await this.sim.placedOrWaited(request.orderId);
    const store = this.sim.requireStore();
    const now = this.sim.clock.now();
    // Whatever the market did up to now happens first: a modify racing a fill finds the fill.
    this.loop.advanceTo(now);
    const { orderId, spec } = request;
    const rec = this.sim.open.get(orderId);
    if (!rec) {
      const stored = store.order(orderId);
      if (!stored) throw new OrderNotFoundError(orderId);
      const state = cloneState(stored.state);
      const word = state.status === 'FILLED' ? 'a filled' : `a ${state.status.toLowerCase()}`;
      return { orderId, accepted: false, message: `Cannot modify ${word} order (order ${orderId} is ${state.status})`, state };
    }
    const refuse = (message: string): ModifyOrderAck => ({ orderId, accepted: false, message, state: cloneState(rec.state) });
    const problem = this.validate(rec, request);
    if (problem) return refuse(problem);

    const old = rec.state.spec;
    const priceChanged = PRICE_FIELDS.some((f) => old[f] !== spec[f]);
    const sizeUp = spec.quantity > old.quantity;
    const inst = this.sim.instruments.forContract(rec.contract);
    if (!inst) return refuse(`No security definition has been found for conId ${rec.contract.conId}`);
    if (sizeUp || priceChanged) {
      const remaining: OrderSpec = { ...spec, quantity: spec.quantity - rec.state.filledQuantity };
      const { before, after, base } = this.margin.project(inst, remaining, this.margin.referencePrice(inst, remaining, now), now);
      const noMoney = buyingPowerProblem(before, after, base);
      if (noMoney) return refuse(`Order modification rejected - ${noMoney}`);
    }

    rec.state.spec = { ...spec };
    rec.state.remainingQuantity = spec.quantity - rec.state.filledQuantity;
    rec.state.message = 'Modified by request';
    rec.state.updatedAt = isoTime(now);
    if (!rec.trigger.triggered && priceChanged) {
      rec.trigger = initialTrigger(spec, this.prices.watchPrice(inst, now), inst.contract.minTick);
    } else if (rec.trigger.triggered && spec.limitPrice !== undefined && spec.limitPrice !== old.limitPrice) {
      rec.trigger = { ...rec.trigger, activeLimit: spec.limitPrice };
    }
    if (spec.timeInForce !== old.timeInForce || spec.outsideRth !== old.outsideRth) {
      rec.expiresAt = spec.timeInForce === 'DAY' ? dayOrderExpiry(inst.schedule, this.sim.options.session, now, spec.outsideRth) : goodTillMs(spec);
    }
    if (priceChanged || sizeUp) {
      // Back of the queue: re-inserted last in the map the loop matches in, and judged again as a fresh arrival.
      rec.placedAt = now;
      rec.resting = false;
      this.sim.open.delete(orderId);
      this.sim.open.set(orderId, rec);
    }
    store.transaction(() => {
      store.saveOrder(rec, true);
      this.sim.emit('orderStatus', cloneState(rec.state));
      this.loop.evaluate(rec, now, new Map(), false);
    });
    return { orderId, accepted: true, message: 'Order modified', state: cloneState(rec.state) };
  }

  /** Why this new version cannot replace the working one; null when it can. */
  private validate(rec: SimOrderRecord, request: ModifyOrderRequest): string | null {
    const { spec } = request;
    const old = rec.state.spec;
    if (request.accountId !== rec.state.accountId) return `Order being modified does not match original order: account ${request.accountId} (order ${rec.state.orderId} is in ${rec.state.accountId})`;
    if (request.contract.conId !== rec.contract.conId) return `Order being modified does not match original order: contract ${request.contract.conId} (was ${rec.contract.conId})`;
    for (const f of FIXED_FIELDS) {
      if (old[f] !== spec[f]) return `Order being modified does not match original order: ${f} cannot change (${String(old[f])} -> ${String(spec[f])})`;
    }
    if (old.takeProfitPrice !== spec.takeProfitPrice || old.stopLossPrice !== spec.stopLossPrice) return 'Bracket exits are orders of their own: modify the take-profit or stop-loss order by its id';
    if (spec.timeInForce !== 'DAY' && spec.timeInForce !== 'GTC' && spec.timeInForce !== old.timeInForce) return `A working order's time in force can only become DAY or GTC (not ${spec.timeInForce})`;
    if (!Number.isInteger(spec.quantity)) return `Quantity ${spec.quantity} is not a whole number`;
    if (spec.quantity <= rec.state.filledQuantity) return `Quantity ${spec.quantity} is not above the ${rec.state.filledQuantity} already filled; cancel the order instead`;
    if (rec.state.role === 'ENTRY' && spec.quantity !== old.quantity && [...this.sim.open.values()].some((o) => o.state.parentOrderId === rec.state.orderId)) {
      return 'The quantity of an order with bracket exits cannot change while its exits are working';
    }
    if (rec.state.role !== 'ENTRY' && spec.quantity !== old.quantity) return 'The quantity of a bracket exit follows its entry and cannot be modified';
    const tick = rec.contract.minTick;
    for (const name of ['limitPrice', 'stopPrice'] as const) {
      const value = spec[name];
      if (value !== undefined && !onTick(value, tick)) return `The ${name} ${value} does not conform to the minimum price variation of ${tick} for this contract`;
    }
    return null;
  }
}
