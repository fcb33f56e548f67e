/**
 * openOrder (and completedOrder) report back what the client sent, as a
 * gateway does: goodAfterTime, goodTillDate and the order fields the
 * simulator does not act on (conditions in what-if answers); conditional
 * orders, which the simulator cannot honour, are refused rather than worked
 * at once; goodAfterTime and GTD are honoured; a what-if answer fills commission,
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

it('refuses what it cannot honour instead of working it at once: conditions', async () => {
  const c = await h.connect(1);
  c.ib.placeOrder(4, AAPL, sent());
  expect((await c.waitFor(EventName.error, (a) => a[2] === 4))[1]).toBe(201);
  expect(c.all(EventName.openOrder)).toEqual([]);
  expect(await h.broker.getOpenOrders()).toEqual([]);
});

it('holds an order whose goodAfterTime is still to come (PreSubmitted, order message 399) and works it from that time', async () => {
  const c = await h.connect(1);
  // 11:00 US/Eastern that Monday, an hour after the harness clock; a marketable limit.
  c.ib.placeOrder(5, AAPL, { ...sent(), conditions: [], lmtPrice: 1000, goodAfterTime: '20260105 11:00:00 US/Eastern' });
  const warning = await c.waitFor(EventName.error, (a) => a[2] === 5);
  expect(warning[1]).toBe(399);
  expect(String(warning[0])).toContain('Warning: your order will not be placed at the exchange until 2026-01-05 11:00:00 US/Eastern');
  await c.waitFor(EventName.orderStatus, (a) => a[0] === 5 && a[1] === 'PreSubmitted');
  const [, , order] = await c.waitFor(EventName.openOrder, (a) => a[0] === 5);
  expect((order as Order).goodAfterTime).toBe('20260105 11:00:00 US/Eastern');
  await h.advance(59 * 60_000);
  expect(c.all(EventName.execDetails)).toEqual([]);
  await h.advance(2 * 60_000);
  await c.waitFor(EventName.orderStatus, (a) => a[0] === 5 && a[1] === 'Filled');
  const fills = await h.broker.getExecutions();
  expect(fills.map((f) => f.time)).toEqual(['2026-01-05T16:00:00.000Z']);
});

it('expires a GTD order at its goodTillDate, given in UTC (YYYYMMDD-HH:MM:SS)', async () => {
  const c = await h.connect(1);
  c.ib.placeOrder(6, AAPL, { ...sent(), conditions: [], goodAfterTime: '', tif: 'GTD', goodTillDate: '20260105-17:00:00' });
  await c.waitFor(EventName.orderStatus, (a) => a[0] === 6 && a[1] === 'Submitted');
  await h.advance(2 * 3_600_000 - 1000);
  expect(c.all(EventName.orderStatus, (a) => a[0] === 6 && a[1] === 'Cancelled')).toEqual([]);
  await h.advance(2000);
  await c.waitFor(EventName.orderStatus, (a) => a[0] === 6 && a[1] === 'Cancelled');
  const done = (await h.broker.getExecutions()).length;
  expect(done).toBe(0);
  const [, , order] = c.all(EventName.openOrder, (a) => a[0] === 6).at(-1) ?? [];
  expect((order as Order).tif).toBe('GTD');
  expect((order as Order).goodTillDate).toBe('20260105-17:00:00');
});

it('refuses a GTD order without a goodTillDate, and a goodAfterTime it cannot read', async () => {
  const c = await h.connect(1);
  c.ib.placeOrder(7, AAPL, { ...sent(), conditions: [], tif: 'GTD', goodTillDate: '' });
  expect((await c.waitFor(EventName.error, (a) => a[2] === 7))[1]).toBe(201);
  c.ib.placeOrder(8, AAPL, { ...sent(), conditions: [], goodAfterTime: 'tomorrow morning' });
  const [text, code] = await c.waitFor(EventName.error, (a) => a[2] === 8);
  expect(code).toBe(201);
  expect(String(text)).toContain('goodAfterTime "tomorrow morning"');
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
