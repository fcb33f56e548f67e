/**
 * openOrder (and completedOrder) report back what the client sent, as a
 * gateway does: goodAfterTime, goodTillDate and the order fields the
 * simulator does not act on (conditions in what-if answers); orders the
 * simulator cannot honour (conditions, a future goodAfterTime) are refused
 * rather than worked at once; a what-if answer fills commission,
 * minCommission and maxCommission.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ConjunctionConnection, EventName, OrderAction, OrderType, PriceCondition, SecType, TimeCondition, TriggerMethod, type Contract as IbContract, type Order, type OrderState } from '@stoqey/ib';
import { makeHarness, type Harness } from '../testing/emulator-harness.js';

const AAPL: IbContract = { symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', currency: 'USD' };

let h: Harness;

beforeEach(async () => {
  h = await makeHarness();
});

afterEach(async () => {
  for (const c of h.clients) expect(c.decoderErrors()).toEqual([]);
  await h.close();
});

const sent = (): Order => ({
  action: OrderAction.BUY,
  totalQuantity: 10,
  orderType: OrderType.LMT,
  lmtPrice: 1,
  tif: 'GTC',
  transmit: true,
  // Before the harness clock (10:00 ET that Monday): already in force.
  goodAfterTime: '20260105 09:30:00 US/Eastern',
  goodTillDate: '20260130 16:00:00 US/Eastern',
  hidden: true,
  displaySize: 5,
  allOrNone: true,
  minQty: 2,
  triggerMethod: TriggerMethod.Last,
  conditions: [new PriceCondition(250, TriggerMethod.Default, 265598, 'SMART', true, ConjunctionConnection.AND), new TimeCondition('20260106 10:00:00 US/Eastern', true, ConjunctionConnection.OR)],
  conditionsIgnoreRth: true,
  conditionsCancelOrder: false,
});

function expectEcho(o: Order): void {
  expect(o).toMatchObject({ goodAfterTime: '20260105 09:30:00 US/Eastern', goodTillDate: '20260130 16:00:00 US/Eastern', hidden: true, allOrNone: true, minQty: 2, triggerMethod: TriggerMethod.Last });
}

function expectConditions(o: Order): void {
  expect(o).toMatchObject({ conditionsIgnoreRth: true, conditionsCancelOrder: false });
  expect(o.conditions?.length).toBe(2);
  expect(o.conditions?.[0]).toMatchObject({ price: 250, conId: 265598, exchange: 'SMART', isMore: true, conjunctionConnection: 'a' });
  expect(o.conditions?.[1]).toMatchObject({ time: '20260106 10:00:00 US/Eastern', isMore: true, conjunctionConnection: 'o' });
}

it('echoes goodAfterTime, goodTillDate and the other fields sent in openOrder and completedOrder', async () => {
  const c = await h.connect(1);
  c.ib.placeOrder(1, AAPL, { ...sent(), conditions: [] });
  const [, , order] = await c.waitFor(EventName.openOrder, (a) => a[0] === 1);
  expectEcho(order as Order);
  expect((order as Order).displaySize).toBe(5);

  c.ib.reqOpenOrders();
  await c.waitFor(EventName.openOrderEnd);
  expectEcho(c.all(EventName.openOrder, (a) => a[0] === 1).at(-1)?.[2] as Order);

  c.ib.cancelOrder(1, {});
  await c.waitFor(EventName.orderStatus, (a) => a[0] === 1 && a[1] === 'Cancelled');
  c.ib.reqCompletedOrders(false);
  await c.waitFor(EventName.completedOrdersEnd);
  const [, completed] = c.all(EventName.completedOrder)[0] ?? [];
  expectEcho(completed as Order);
});

it('refuses what it cannot honour instead of working it at once: conditions, a goodAfterTime still to come', async () => {
  const c = await h.connect(1);
  c.ib.placeOrder(4, AAPL, sent());
  expect((await c.waitFor(EventName.error, (a) => a[2] === 4))[1]).toBe(201);
  c.ib.placeOrder(5, AAPL, { ...sent(), conditions: [], goodAfterTime: '20260105 11:00:00 US/Eastern' });
  expect((await c.waitFor(EventName.error, (a) => a[2] === 5))[1]).toBe(201);
  expect(c.all(EventName.openOrder)).toEqual([]);
  expect(await h.broker.getOpenOrders()).toEqual([]);
});

it('fills commission, minCommission and maxCommission in a what-if answer, which echoes the conditions', async () => {
  const c = await h.connect(1);
  c.ib.placeOrder(2, AAPL, { ...sent(), whatIf: true });
  const [, , order, state] = await c.waitFor(EventName.openOrder, (a) => a[0] === 2);
  expectEcho(order as Order);
  expectConditions(order as Order);
  const s = state as OrderState;
  expect(s.commission).toBeGreaterThan(0);
  expect(s.minCommission).toBe(s.commission);
  expect(s.maxCommission).toBe(s.commission);
});
