/**
 * The real @stoqey/ib client (IBApi) over loopback against the emulator over
 * the simulated broker: every served request (options too: chain parameters,
 * OPT contract details, snapshots with the model option computation; bracket
 * orders sent with transmit=false legs as IBKR takes them; completed orders), with
 * values checked against the simulator and no decoder error from the client.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventName, IBApi, OptionType, OrderAction, OrderType, SecType, type Contract as IbContract, type Order, type OrderState } from '@stoqey/ib';
import type { Contract } from '../core/models.js';
import { makeHarness, recordClient, tick, type Harness, type TestClient } from '../testing/emulator-harness.js';

const AAPL: IbContract = { symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', currency: 'USD' };

let h: Harness;

beforeEach(async () => {
  h = await makeHarness();
});

afterEach(async () => {
  for (const c of h.clients) expect(c.decoderErrors()).toEqual([]);
  await h.close();
});

const aapl = async (): Promise<Contract> => {
  const [c] = await h.broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
  if (!c) throw new Error('AAPL missing from the simulator');
  return c;
};

const order = (action: OrderAction, qty: number, type: OrderType, extra: Partial<Order> = {}): Order => ({ action, totalQuantity: qty, orderType: type, tif: 'DAY', transmit: true, ...extra });

async function waitStatus(c: TestClient, orderId: number, status: string, ms = 3000): Promise<unknown[]> {
  return c.waitFor(EventName.orderStatus, (a) => a[0] === orderId && a[1] === status, ms);
}

describe('handshake', () => {
  it('answers START_API with managedAccounts, nextValidId and the farm status notices', async () => {
    const c = await h.connect(1);
    expect(c.ib.serverVersion).toBe(178);
    expect((await c.waitFor(EventName.managedAccounts))[0]).toBe(h.broker.accounts().join(','));
    expect((await c.waitFor(EventName.nextValidId))[0]).toBe(1);
    for (const code of [2104, 2106, 2158]) await c.waitFor(EventName.info, (a) => a[1] === code);
  });

  it('refuses a second connection with a client id in use (326) and closes it', async () => {
    await h.connect(7);
    const rec = recordClient(new IBApi({ host: '127.0.0.1', port: h.emulator.port }));
    h.clients.push(rec);
    rec.ib.connect(7);
    await rec.waitFor(EventName.info, (a) => a[1] === 326);
    await rec.waitFor(EventName.disconnected);
    expect(rec.all(EventName.nextValidId)).toEqual([]);
    expect(h.emulator.clientCount()).toBe(1);
  });
});

describe('requests', () => {
  it('reports the current time of the simulator clock', async () => {
    const c = await h.connect(1);
    c.ib.reqCurrentTime();
    expect((await c.waitFor(EventName.currentTime))[0]).toBe(Math.floor(h.clock.now() / 1000));
  });

  it('serves contract details with the real conId, and 200 for an unknown symbol', async () => {
    const c = await h.connect(1);
    c.ib.reqContractDetails(11, AAPL);
    const [reqId, details] = await c.waitFor(EventName.contractDetails);
    await c.waitFor(EventName.contractDetailsEnd, (a) => a[0] === 11);
    expect(reqId).toBe(11);
    expect(details).toMatchObject({ contract: { conId: 265598, symbol: 'AAPL', secType: 'STK', currency: 'USD' }, minTick: (await aapl()).minTick });
    c.ib.reqContractDetails(12, { symbol: 'NOSUCHTHING', secType: SecType.STK, currency: 'USD' });
    const err = await c.waitFor(EventName.error, (a) => a[2] === 12);
    expect(err[1]).toBe(200);
  });

  it('streams ticks that agree with the simulator quote, and a snapshot that ends', async () => {
    const c = await h.connect(1);
    const quote = await h.broker.getQuote(await aapl());
    c.ib.reqMktData(21, AAPL, '', false, false);
    expect((await c.waitFor(EventName.marketDataType, (a) => a[0] === 21))[1]).toBe(1);
    const bid = await c.waitFor(EventName.tickPrice, (a) => a[0] === 21 && a[1] === 1);
    const ask = await c.waitFor(EventName.tickPrice, (a) => a[0] === 21 && a[1] === 2);
    expect(bid[2]).toBe(quote.bid);
    expect(ask[2]).toBe(quote.ask);
    await c.waitFor(EventName.tickSize, (a) => a[0] === 21 && a[1] === 0);
    const before = c.all(EventName.tickPrice, (a) => a[0] === 21).length;
    await h.advance(60_000);
    await tick(50);
    expect(c.all(EventName.tickPrice, (a) => a[0] === 21).length).toBeGreaterThan(before);
    c.ib.cancelMktData(21);
    c.ib.reqMktData(22, AAPL, '', true, false);
    await c.waitFor(EventName.tickSnapshotEnd, (a) => a[0] === 22);
    expect(c.all(EventName.tickPrice, (a) => a[0] === 22).length).toBeGreaterThan(0);
  });

  it('serves historical bars equal to the simulator history', async () => {
    const c = await h.connect(1);
    const expected = await h.broker.getHistoricalBars(await aapl(), { barSize: '1 day', duration: '5 D', whatToShow: 'TRADES', useRth: true, endTime: new Date(h.clock.now()).toISOString() });
    c.ib.reqHistoricalData(31, AAPL, '', '5 D', '1 day' as never, 'TRADES', 1, 1, false);
    const end = await c.waitFor(EventName.historicalData, (a) => a[0] === 31 && String(a[1]).startsWith('finished'));
    expect(end).toBeDefined();
    const bars = c.all(EventName.historicalData, (a) => a[0] === 31 && !String(a[1]).startsWith('finished'));
    expect(bars.length).toBe(expected.length);
    expect(bars.map((b) => b[5])).toEqual(expected.map((b) => b.close));
  });

  it('serves the account summary, positions, account updates and PnL from the ledger', async () => {
    const c = await h.connect(1);
    const account = h.broker.accounts()[0] ?? '';
    c.ib.placeOrder(1, AAPL, order(OrderAction.BUY, 10, OrderType.MKT));
    await waitStatus(c, 1, 'Filled');
    const summary = await h.broker.getAccountSummary(account);
    c.ib.reqAccountSummary(41, 'All', 'NetLiquidation,TotalCashValue,BuyingPower');
    await c.waitFor(EventName.accountSummaryEnd, (a) => a[0] === 41);
    const nl = c.all(EventName.accountSummary, (a) => a[0] === 41 && a[2] === 'NetLiquidation')[0];
    expect(nl?.[1]).toBe(account);
    expect(Number(nl?.[3])).toBeCloseTo(summary.netLiquidation, 1);
    expect(c.all(EventName.accountSummary, (a) => a[0] === 41).length).toBe(3);

    c.ib.reqPositions();
    await c.waitFor(EventName.positionEnd);
    const pos = c.all(EventName.position)[0];
    expect(pos?.[0]).toBe(account);
    expect(pos?.[1]).toMatchObject({ conId: 265598, symbol: 'AAPL' });
    expect(pos?.[2]).toBe(10);

    c.ib.reqAccountUpdates(true, account);
    await c.waitFor(EventName.accountDownloadEnd, (a) => a[0] === account);
    expect(c.all(EventName.updateAccountValue, (a) => a[0] === 'NetLiquidation').length).toBeGreaterThan(0);
    const portfolio = c.all(EventName.updatePortfolio)[0];
    expect(portfolio?.[0]).toMatchObject({ conId: 265598 });
    expect(portfolio?.[1]).toBe(10);

    c.ib.reqPnL(42, account, '');
    const pnl = await c.waitFor(EventName.pnl, (a) => a[0] === 42);
    const expectedPnl = await h.broker.getPnl(account);
    expect(pnl[3]).toBeCloseTo(expectedPnl.realizedPnl, 2);
    c.ib.reqPnLSingle(43, account, '', 265598);
    const single = await c.waitFor(EventName.pnlSingle, (a) => a[0] === 43);
    expect(single[1]).toBe(10);
    c.ib.cancelPnL(42);
    c.ib.cancelPnLSingle(43);
  });
});

describe('orders', () => {
  it('rests a LMT order until the market crosses it, then reports Filled, execDetails and a commission report', async () => {
    const c = await h.connect(1);
    const quote = await h.broker.getQuote(await aapl());
    const limit = Math.round(((quote.bid ?? 0) - 0.3) * 100) / 100;
    c.ib.placeOrder(5, AAPL, order(OrderAction.BUY, 3, OrderType.LMT, { lmtPrice: limit }));
    await c.waitFor(EventName.openOrder, (a) => a[0] === 5);
    const first = await c.waitFor(EventName.orderStatus, (a) => a[0] === 5);
    expect(['Submitted', 'PreSubmitted']).toContain(first[1]);
    expect(c.all(EventName.execDetails)).toEqual([]);
    for (let i = 0; i < 600 && c.all(EventName.orderStatus, (a) => a[0] === 5 && a[1] === 'Filled').length === 0; i++) await h.advance(60_000);
    const filled = await waitStatus(c, 5, 'Filled');
    expect(filled[2]).toBe(3);
    expect(filled[4]).toBeLessThanOrEqual(limit);
    const [reqId, contract, exec] = await c.waitFor(EventName.execDetails);
    expect(reqId).toBe(-1);
    expect(contract).toMatchObject({ conId: 265598 });
    expect(exec).toMatchObject({ orderId: 5, side: 'BOT', shares: 3 });
    const execId = (exec as { execId: string }).execId;
    const [report] = await c.waitFor(EventName.commissionReport, (a) => (a[0] as { execId: string }).execId === execId);
    expect((report as { commission: number }).commission).toBeGreaterThan(0);

    c.ib.reqExecutions(51, {});
    await c.waitFor(EventName.execDetailsEnd, (a) => a[0] === 51);
    expect(c.all(EventName.execDetails, (a) => a[0] === 51).length).toBe(1);
  });

  it('answers whatIf with an openOrder carrying margin and commission estimates and places nothing', async () => {
    const c = await h.connect(1);
    c.ib.placeOrder(8, AAPL, order(OrderAction.BUY, 100, OrderType.LMT, { lmtPrice: 200, whatIf: true }));
    const [id, , o, state] = await c.waitFor(EventName.openOrder, (a) => a[0] === 8);
    expect(id).toBe(8);
    expect((o as Order).whatIf).toBe(true);
    const s = state as { commission?: number; initMarginChange?: number; commissionCurrency?: string };
    const expected = await h.broker.whatIf(await aapl(), { symbol: 'AAPL', securityType: 'STK', action: 'BUY', quantity: 100, orderType: 'LMT', limitPrice: 200, timeInForce: 'DAY', outsideRth: false }, h.broker.accounts()[0] ?? '');
    expect(s.commission).toBeCloseTo(expected.estimatedCommission ?? NaN, 4);
    expect(s.initMarginChange).toBeCloseTo(expected.initMarginChange ?? NaN, 2);
    expect(s.commissionCurrency).toBe('USD');
    await tick(50);
    expect(c.all(EventName.orderStatus)).toEqual([]);
    expect(await h.broker.getOpenOrders()).toEqual([]);
  });

  it('cancels a resting order (202 and Cancelled) and refuses to cancel an unknown one (10147)', async () => {
    const c = await h.connect(1);
    c.ib.placeOrder(9, AAPL, order(OrderAction.BUY, 1, OrderType.LMT, { lmtPrice: 1 }));
    await c.waitFor(EventName.orderStatus, (a) => a[0] === 9);
    c.ib.cancelOrder(9, {});
    await waitStatus(c, 9, 'Cancelled');
    await c.waitFor(EventName.error, (a) => a[2] === 9 && a[1] === 202);
    c.ib.cancelOrder(999, {});
    await c.waitFor(EventName.error, (a) => a[2] === 999 && a[1] === 10147);
  });

  it('keeps each client to its own orders; all open orders lists both', async () => {
    const a = await h.connect(1);
    const b = await h.connect(2);
    a.ib.placeOrder(1, AAPL, order(OrderAction.BUY, 1, OrderType.LMT, { lmtPrice: 1 }));
    b.ib.placeOrder(1, AAPL, order(OrderAction.BUY, 2, OrderType.LMT, { lmtPrice: 2 }));
    await a.waitFor(EventName.orderStatus, (x) => x[0] === 1);
    await b.waitFor(EventName.orderStatus, (x) => x[0] === 1);
    a.ib.reqOpenOrders();
    await a.waitFor(EventName.openOrderEnd);
    const own = a.all(EventName.openOrder).map((x) => (x[2] as Order).totalQuantity);
    expect(new Set(own)).toEqual(new Set([1]));
    expect(b.all(EventName.openOrder).map((x) => (x[2] as Order).totalQuantity).every((q) => q === 2)).toBe(true);
    b.ib.reqAllOpenOrders();
    await b.waitFor(EventName.openOrderEnd);
    const clientIds = new Set(b.all(EventName.openOrder).map((x) => (x[2] as Order).clientId));
    expect(clientIds).toEqual(new Set([1, 2]));
  });

  it('rejects an unsupported order type with 201', async () => {
    const c = await h.connect(1);
    c.ib.placeOrder(3, AAPL, order(OrderAction.BUY, 1, OrderType.REL));
    const err = await c.waitFor(EventName.error, (a) => a[2] === 3);
    expect(err[1]).toBe(201);
  });

  it('answers a request it does not serve with an error for that request id, not silence', async () => {
    const c = await h.connect(1);
    c.ib.calculateImpliedVolatility(61, AAPL, 5, 230);
    expect((await c.waitFor(EventName.error, (a) => a[2] === 61))[1]).toBe(321);
    c.ib.reqCurrentTime();
    await c.waitFor(EventName.currentTime);
  });

  it('gives a reconnecting client a next valid id above the ids it used', async () => {
    const c = await h.connect(4);
    c.ib.placeOrder(41, AAPL, order(OrderAction.BUY, 1, OrderType.LMT, { lmtPrice: 1 }));
    await c.waitFor(EventName.orderStatus, (a) => a[0] === 41);
    c.ib.reqIds();
    await c.waitFor(EventName.nextValidId, (a) => a[0] === 42);
  });
});

describe('options', () => {
  it('serves reqSecDefOptParams with the simulator chain expirations and strikes, then the End', async () => {
    const c = await h.connect(1);
    const und = await aapl();
    const chain = await h.broker.getOptionChain(und, { strikesAroundSpot: 1 });
    c.ib.reqSecDefOptParams(71, 'AAPL', '', SecType.STK, und.conId);
    await c.waitFor(EventName.securityDefinitionOptionParameterEnd, (a) => a[0] === 71);
    const rows = c.all(EventName.securityDefinitionOptionParameter, (a) => a[0] === 71);
    expect(rows).toHaveLength(1);
    const [, exchange, underlyingConId, tradingClass, multiplier, expirations, strikes] = rows[0] ?? [];
    expect(exchange).toBe('SMART');
    expect(underlyingConId).toBe(und.conId);
    expect(tradingClass).toBe('AAPL');
    expect(multiplier).toBe(100);
    expect(expirations).toEqual(chain.expirations.map((e) => e.replaceAll('-', '')));
    expect(strikes).toEqual(chain.strikes);

    // An underlying without listed options gets only the End.
    c.ib.reqSecDefOptParams(72, 'NOSUCHTHING', '', SecType.STK, 0);
    await c.waitFor(EventName.securityDefinitionOptionParameterEnd, (a) => a[0] === 72);
    expect(c.all(EventName.securityDefinitionOptionParameter, (a) => a[0] === 72)).toEqual([]);
  });

  it('serves contract details for OPT contracts and snapshots with the model option computation', async () => {
    const c = await h.connect(1);
    const und = await aapl();
    const chain = await h.broker.getOptionChain(und, { strikesAroundSpot: 1 });
    const row = chain.options.find((o) => o.right === 'C');
    if (!row) throw new Error('no call in the simulator chain');
    const opt: IbContract = { symbol: 'AAPL', secType: SecType.OPT, exchange: 'SMART', currency: 'USD', lastTradeDateOrContractMonth: row.expiry.replaceAll('-', ''), strike: row.strike, right: OptionType.Call };

    c.ib.reqContractDetails(73, opt);
    await c.waitFor(EventName.contractDetailsEnd, (a) => a[0] === 73);
    const details = c.all(EventName.contractDetails, (a) => a[0] === 73);
    expect(details).toHaveLength(1);
    expect(details[0]?.[1]).toMatchObject({ contract: { conId: row.conId, secType: 'OPT', strike: row.strike, right: 'C', multiplier: 100 } });

    // A whole expiry strip: every listed strike, both rights.
    c.ib.reqContractDetails(74, { symbol: 'AAPL', secType: SecType.OPT, exchange: 'SMART', currency: 'USD', lastTradeDateOrContractMonth: row.expiry.replaceAll('-', '') });
    await c.waitFor(EventName.contractDetailsEnd, (a) => a[0] === 74);
    expect(c.all(EventName.contractDetails, (a) => a[0] === 74)).toHaveLength(chain.strikes.length * 2);

    c.ib.reqMktData(75, { ...opt, conId: row.conId }, '', true, false);
    await c.waitFor(EventName.tickSnapshotEnd, (a) => a[0] === 75);
    const bid = c.all(EventName.tickPrice, (a) => a[0] === 75 && a[1] === 1)[0];
    const ask = c.all(EventName.tickPrice, (a) => a[0] === 75 && a[1] === 2)[0];
    expect(bid?.[2]).toBe(row.bid);
    expect(ask?.[2]).toBe(row.ask);
    const model = c.all(EventName.tickOptionComputation, (a) => a[0] === 75 && a[1] === 13)[0];
    if (!model) throw new Error('no model option computation tick');
    const [, , , iv, delta, optPrice, , gamma, vega, theta, undPrice] = model as number[];
    expect(iv).toBeCloseTo(row.impliedVolatility ?? NaN, 6);
    expect(delta).toBeCloseTo(row.delta ?? NaN, 6);
    expect(gamma).toBeCloseTo(row.gamma ?? NaN, 8);
    expect(vega).toBeCloseTo(row.vega ?? NaN, 6);
    expect(theta).toBeCloseTo(row.theta ?? NaN, 6);
    expect(optPrice).toBeCloseTo(((row.bid ?? 0) + (row.ask ?? 0)) / 2, 6);
    expect(undPrice).toBe(chain.underlyingPrice);
  });
});

describe('bracket orders', () => {
  it('holds untransmitted legs until the last child, then places entry, take-profit and stop-loss together', async () => {
    const c = await h.connect(1);
    const [aapl] = await h.broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
    if (!aapl) throw new Error('AAPL missing');
    const q = await h.broker.getQuote(aapl);
    const ask = q.ask ?? 100;
    const bid = q.bid ?? 100;
    c.ib.placeOrder(11, AAPL, order(OrderAction.BUY, 2, OrderType.LMT, { lmtPrice: Number((ask + 1).toFixed(2)), transmit: false }));
    c.ib.placeOrder(12, AAPL, order(OrderAction.SELL, 2, OrderType.LMT, { lmtPrice: Number((ask + 50).toFixed(2)), parentId: 11, transmit: false }));
    await tick(50);
    expect(c.all(EventName.openOrder)).toEqual([]);
    expect(await h.broker.getOpenOrders()).toEqual([]);

    c.ib.placeOrder(13, AAPL, order(OrderAction.SELL, 2, OrderType.STP, { auxPrice: Number((bid - 50).toFixed(2)), parentId: 11, transmit: true }));
    await c.waitFor(EventName.orderStatus, (a) => a[0] === 11 && a[1] === 'Filled');
    const tp = await c.waitFor(EventName.openOrder, (a) => a[0] === 12);
    const sl = await c.waitFor(EventName.openOrder, (a) => a[0] === 13);
    expect((tp[2] as Order).parentId).toBe(11);
    expect((sl[2] as Order).parentId).toBe(11);
    // The parent filled at once, so its children are working.
    await c.waitFor(EventName.orderStatus, (a) => a[0] === 12 && a[1] === 'Submitted');
    await c.waitFor(EventName.orderStatus, (a) => a[0] === 13 && a[1] === 'Submitted');
    const open = await h.broker.getOpenOrders();
    expect(open.map((o) => o.role).sort()).toEqual(['STOP_LOSS', 'TAKE_PROFIT']);
    expect(new Set(open.map((o) => o.parentOrderId)).size).toBe(1);
    expect(open.find((o) => o.role === 'TAKE_PROFIT')?.spec.limitPrice).toBe(Number((ask + 50).toFixed(2)));
    expect(open.find((o) => o.role === 'STOP_LOSS')?.spec.stopPrice).toBe(Number((bid - 50).toFixed(2)));
  });

  it('refuses a child of an order that was transmitted, and discards a cancelled untransmitted bracket', async () => {
    const c = await h.connect(1);
    c.ib.placeOrder(21, AAPL, order(OrderAction.BUY, 1, OrderType.LMT, { lmtPrice: 1 }));
    await c.waitFor(EventName.orderStatus, (a) => a[0] === 21);
    c.ib.placeOrder(22, AAPL, order(OrderAction.SELL, 1, OrderType.LMT, { lmtPrice: 500, parentId: 21 }));
    expect((await c.waitFor(EventName.error, (a) => a[2] === 22))[1]).toBe(201);

    c.ib.placeOrder(31, AAPL, order(OrderAction.BUY, 1, OrderType.LMT, { lmtPrice: 1, transmit: false }));
    c.ib.cancelOrder(31, {});
    expect((await c.waitFor(EventName.error, (a) => a[2] === 31))[1]).toBe(202);
    c.ib.placeOrder(32, AAPL, order(OrderAction.SELL, 1, OrderType.LMT, { lmtPrice: 500, parentId: 31 }));
    expect((await c.waitFor(EventName.error, (a) => a[2] === 32))[1]).toBe(201);
    expect((await h.broker.getOpenOrders()).length).toBe(1);
  });
});

describe('completed orders', () => {
  it('lists filled, cancelled and expired orders with their final status, then the End', async () => {
    const c = await h.connect(1);
    c.ib.placeOrder(1, AAPL, order(OrderAction.BUY, 3, OrderType.MKT, { orderRef: 'filled' }));
    c.ib.placeOrder(2, AAPL, order(OrderAction.BUY, 1, OrderType.LMT, { lmtPrice: 1, tif: 'GTC', orderRef: 'cancelled' }));
    c.ib.placeOrder(3, AAPL, order(OrderAction.BUY, 1, OrderType.LMT, { lmtPrice: 1, tif: 'DAY', orderRef: 'expired' }));
    c.ib.placeOrder(4, AAPL, order(OrderAction.BUY, 1, OrderType.LMT, { lmtPrice: 2, tif: 'GTC', orderRef: 'working' }));
    await c.waitFor(EventName.orderStatus, (a) => a[0] === 1 && a[1] === 'Filled');
    await c.waitFor(EventName.orderStatus, (a) => a[0] === 4);
    c.ib.cancelOrder(2, {});
    await c.waitFor(EventName.orderStatus, (a) => a[0] === 2 && a[1] === 'Cancelled');
    await h.advance(25 * 3600_000);
    await c.waitFor(EventName.orderStatus, (a) => a[0] === 3 && a[1] === 'Cancelled');

    c.ib.reqCompletedOrders(false);
    await c.waitFor(EventName.completedOrdersEnd);
    await tick(10);
    const done = c.all(EventName.completedOrder).map((a) => ({ order: a[1] as Order, state: a[2] as OrderState }));
    const byRef = new Map(done.map((d) => [d.order.orderRef, d]));
    expect([...byRef.keys()].sort()).toEqual(['cancelled', 'expired', 'filled']);
    expect(byRef.get('filled')?.state).toMatchObject({ status: 'Filled', completedStatus: 'Filled Size: 3' });
    expect(byRef.get('filled')?.order.filledQuantity).toBe(3);
    expect(byRef.get('cancelled')?.state.status).toBe('Cancelled');
    expect(byRef.get('cancelled')?.state.completedStatus).toMatch(/^Cancelled by Trader/);
    expect(byRef.get('expired')?.state.status).toBe('Cancelled');
    expect(byRef.get('expired')?.state.completedStatus).toMatch(/expired/i);
    expect(byRef.get('expired')?.order).toMatchObject({ tif: 'DAY', lmtPrice: 1, action: 'BUY', totalQuantity: 1 });
    for (const d of done) {
      expect(d.order.permId).toBeGreaterThan(0);
      expect(d.state.completedTime).toMatch(/^\d{8} \d{2}:\d{2}:\d{2} UTC$/);
    }
  });
});

describe('ETF options', () => {
  it('carries the model option computation in snapshots of ETF options too (SPY), as for stock options', async () => {
  const c = await h.connect(1);
  const [spy] = await h.broker.resolveContracts({ symbol: 'SPY', securityType: 'ETF' });
  if (!spy) throw new Error('SPY missing from the simulator');
  const chain = await h.broker.getOptionChain(spy, { strikesAroundSpot: 1 });
  const row = chain.options.find((o) => o.right === 'P');
  if (!row) throw new Error('no put in the simulator chain');
  c.ib.reqMktData(3, { conId: row.conId, symbol: 'SPY', secType: SecType.OPT, exchange: 'SMART', currency: 'USD', lastTradeDateOrContractMonth: row.expiry.replaceAll('-', ''), strike: row.strike, right: OptionType.Put }, '', true, false);
  await c.waitFor(EventName.tickSnapshotEnd, (a) => a[0] === 3);
  const model = c.all(EventName.tickOptionComputation, (a) => a[0] === 3 && a[1] === 13)[0];
  expect(model?.[4]).toBeCloseTo(row.delta ?? NaN, 6);
});
});
