/**
 * Fault injection and IBKR's limits, observed through the real @stoqey/ib
 * client: each produces the events and codes a real gateway produces.
 * Note: a gateway sends connectivity, rate and client-id notices with id -1,
 * which @stoqey/ib emits as `info` (not `error`) events; that is what is checked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EventName, IBApi, OrderAction, OrderType, SecType, type Contract as IbContract } from '@stoqey/ib';
import { makeHarness, recordClient, tick, type Harness } from '../testing/emulator-harness.js';

const AAPL: IbContract = { symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', currency: 'USD' };

let h: Harness;

afterEach(async () => {
  for (const c of h.clients) expect(c.decoderErrors()).toEqual([]);
  await h.close();
});

describe('fault injection', () => {
  it('dropAllConnections: the client sees disconnected', async () => {
    h = await makeHarness();
    const c = await h.connect(1);
    h.emulator.dropAllConnections();
    await c.waitFor(EventName.disconnected);
  });

  it('goSilent: the connection stays open but nothing is answered; a new client is served, and the silent one frees its id when it leaves', async () => {
    h = await makeHarness();
    const c = await h.connect(1);
    h.emulator.goSilent();
    c.ib.reqCurrentTime();
    await tick(300);
    expect(c.all(EventName.currentTime)).toEqual([]);
    expect(c.all(EventName.disconnected)).toEqual([]);
    expect(c.ib.isConnected).toBe(true);
    const other = await h.connect(2);
    other.ib.reqCurrentTime();
    await other.waitFor(EventName.currentTime);
    c.disconnect();
    await tick(50);
    const again = await h.connect(1);
    again.ib.reqCurrentTime();
    await again.waitFor(EventName.currentTime);
  });

  it('1100 then 1102 reach the client; 1101 also ends market data subscriptions', async () => {
    h = await makeHarness();
    const c = await h.connect(1);
    h.emulator.sendConnectivity(1100);
    await c.waitFor(EventName.info, (a) => a[1] === 1100);
    h.emulator.sendConnectivity(1102);
    await c.waitFor(EventName.info, (a) => a[1] === 1102);
    c.ib.reqMktData(5, AAPL, '', false, false);
    await c.waitFor(EventName.tickPrice, (a) => a[0] === 5);
    h.emulator.sendConnectivity(1101);
    await c.waitFor(EventName.info, (a) => a[1] === 1101);
    const before = c.all(EventName.tickPrice, (a) => a[0] === 5).length;
    await h.advance(60_000);
    await tick(50);
    expect(c.all(EventName.tickPrice, (a) => a[0] === 5).length).toBe(before);
  });

  it('refuseConnectionsFor: clients are dropped, connecting fails with 502 (ECONNREFUSED), then works again', async () => {
    h = await makeHarness();
    const c = await h.connect(1);
    const back = h.emulator.refuseConnectionsFor(400);
    await c.waitFor(EventName.disconnected);
    await tick(50);
    const late = recordClient(new IBApi({ host: '127.0.0.1', port: h.emulator.port }));
    h.clients.push(late);
    late.ib.connect(2);
    const err = await late.waitFor(EventName.error, (a) => a[1] === 502);
    expect(String((err[0] as Error).message)).toMatch(/ECONNREFUSED/);
    await back;
    const again = await h.connect(1);
    expect(again.all(EventName.nextValidId).length).toBe(1);
  });

  it('forceDelayedMarketData: 354 without delayed data requested; 10167 and delayed ticks with it', async () => {
    h = await makeHarness();
    const c = await h.connect(1);
    h.emulator.forceDelayedMarketData();
    c.ib.reqMktData(6, AAPL, '', false, false);
    await c.waitFor(EventName.error, (a) => a[2] === 6 && a[1] === 354);
    c.ib.reqMarketDataType(3);
    c.ib.reqMktData(7, AAPL, '', false, false);
    await c.waitFor(EventName.error, (a) => a[2] === 7 && a[1] === 10167);
    expect((await c.waitFor(EventName.marketDataType, (a) => a[0] === 7))[1]).toBe(3);
    await c.waitFor(EventName.tickPrice, (a) => a[0] === 7 && a[1] === 66);
  });

  it('dropNextOrderAck: the order is placed and fills, but its acknowledgement never arrives', async () => {
    h = await makeHarness();
    const c = await h.connect(1);
    h.emulator.dropNextOrderAck();
    c.ib.placeOrder(1, AAPL, { action: OrderAction.BUY, totalQuantity: 1, orderType: OrderType.MKT, transmit: true });
    await c.waitFor(EventName.execDetails, (a) => (a[2] as { orderId: number }).orderId === 1);
    await tick(50);
    expect(c.all(EventName.orderStatus, (a) => a[0] === 1)).toEqual([]);
    expect((await h.broker.getExecutions()).length).toBe(1);
  });

  it('delayOrderAcks: the first orderStatus arrives only after the delay', async () => {
    h = await makeHarness();
    const c = await h.connect(1);
    h.emulator.delayOrderAcks(300);
    const t0 = Date.now();
    c.ib.placeOrder(1, AAPL, { action: OrderAction.BUY, totalQuantity: 1, orderType: OrderType.LMT, lmtPrice: 1, transmit: true });
    await c.waitFor(EventName.orderStatus, (a) => a[0] === 1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
  });
});

describe('limits', () => {
  it('historical pacing: an identical request within 15 s gets 162', async () => {
    h = await makeHarness();
    const c = await h.connect(1);
    c.ib.reqHistoricalData(1, AAPL, '', '2 D', '1 hour' as never, 'TRADES', 1, 1, false);
    await c.waitFor(EventName.historicalData, (a) => a[0] === 1 && String(a[1]).startsWith('finished'));
    c.ib.reqHistoricalData(2, AAPL, '', '2 D', '1 hour' as never, 'TRADES', 1, 1, false);
    const err = await c.waitFor(EventName.error, (a) => a[2] === 2);
    expect(err[1]).toBe(162);
    expect(String((err[0] as Error).message)).toMatch(/pacing violation/);
  });

  it('market data lines: one more than the configured maximum gets 101', async () => {
    h = await makeHarness({ maxMarketDataLines: 1 });
    const c = await h.connect(1);
    c.ib.reqMktData(1, AAPL, '', false, false);
    await c.waitFor(EventName.tickPrice, (a) => a[0] === 1);
    c.ib.reqMktData(2, { ...AAPL, symbol: 'MSFT' }, '', false, false);
    expect((await c.waitFor(EventName.error, (a) => a[2] === 2))[1]).toBe(101);
  });

  it('more than 50 messages a second gets 100; twice the limit disconnects', async () => {
    h = await makeHarness();
    const c = await h.connect(1, { maxReqPerSec: 10_000 });
    for (let i = 0; i < 60; i++) c.ib.reqCurrentTime();
    await c.waitFor(EventName.info, (a) => a[1] === 100);
    expect(c.ib.isConnected).toBe(true);
    for (let i = 0; i < 120; i++) c.ib.reqCurrentTime();
    await c.waitFor(EventName.disconnected);
  });
});
