/**
 * reqPositionsMulti (74) and reqAccountUpdatesMulti (76), which ib_insync-family
 * clients send while connecting, and the whole start-up synchronisation such a
 * client performs, against the real @stoqey/ib client on a fresh account and on
 * one with a position and history.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventName, OrderAction, OrderType, SecType, type Contract as IbContract } from '@stoqey/ib';
import { makeHarness, tick, type Harness } from '../testing/emulator-harness.js';

const AAPL: IbContract = { symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', currency: 'USD' };

let h: Harness;
let account: string;

beforeEach(async () => {
  h = await makeHarness();
  account = h.broker.accounts()[0] ?? '';
});

afterEach(async () => {
  for (const c of h.clients) expect(c.decoderErrors()).toEqual([]);
  await h.close();
});

/** A position and a fill in the account's history, bought through the emulator by client 1 in an earlier connection. */
async function buyAapl(quantity: number): Promise<void> {
  const c = await h.connect(1);
  c.ib.placeOrder(100, AAPL, { action: OrderAction.BUY, totalQuantity: quantity, orderType: OrderType.MKT, tif: 'DAY', transmit: true });
  await c.waitFor(EventName.orderStatus, (a) => a[0] === 100 && a[1] === 'Filled');
  c.disconnect();
  for (let i = 0; i < 50 && h.emulator.clientCount() > 0; i++) await tick(10);
}

describe('positions multi', () => {
  it('answers a fresh account with only the End', async () => {
    const c = await h.connect(1);
    c.ib.reqPositionsMulti(7, account, '');
    await c.waitFor(EventName.positionMultiEnd, (a) => a[0] === 7);
    expect(c.all(EventName.positionMulti)).toEqual([]);
  });

  it('lists the position with the account and model code, then streams its change until cancelled', async () => {
    await buyAapl(10);
    const c = await h.connect(1);
    c.ib.reqPositionsMulti(7, account, '');
    await c.waitFor(EventName.positionMultiEnd, (a) => a[0] === 7);
    const [reqId, acct, model, contract, pos, avgCost] = c.all(EventName.positionMulti)[0] ?? [];
    expect([reqId, acct, model, pos]).toEqual([7, account, '', 10]);
    expect(contract).toMatchObject({ conId: 265598, symbol: 'AAPL', secType: 'STK' });
    const [ledger] = await h.broker.getPositions(account);
    expect(avgCost).toBeCloseTo(ledger?.avgCost ?? NaN, 4);

    c.ib.placeOrder(1, AAPL, { action: OrderAction.SELL, totalQuantity: 4, orderType: OrderType.MKT, tif: 'DAY', transmit: true });
    const update = await c.waitFor(EventName.positionMulti, (a) => a[0] === 7 && a[4] === 6);
    expect(update[1]).toBe(account);

    c.ib.cancelPositionsMulti(7);
    await tick(30);
    const seen = c.all(EventName.positionMulti).length;
    c.ib.placeOrder(2, AAPL, { action: OrderAction.SELL, totalQuantity: 6, orderType: OrderType.MKT, tif: 'DAY', transmit: true });
    await c.waitFor(EventName.orderStatus, (a) => a[0] === 2 && a[1] === 'Filled');
    await tick(30);
    expect(c.all(EventName.positionMulti).length).toBe(seen);
  });
});

describe('account updates multi', () => {
  it('sends the account values with the model code, then the End, and streams after a fill', async () => {
    const c = await h.connect(1);
    c.ib.reqAccountUpdatesMulti(8, account, '', false);
    await c.waitFor(EventName.accountUpdateMultiEnd, (a) => Number(a[0]) === 8);
    const nl = c.all(EventName.accountUpdateMulti, (a) => a[0] === 8 && a[3] === 'NetLiquidation')[0];
    expect(nl?.[1]).toBe(account);
    expect(nl?.[2]).toBe('');
    expect(nl?.[5]).toBe('USD');
    expect(Number(nl?.[4])).toBeCloseTo((await h.broker.getAccountSummary(account)).netLiquidation, 1);
    expect(c.all(EventName.accountUpdateMulti, (a) => a[3] === 'BuyingPower').length).toBe(1);

    const before = c.all(EventName.accountUpdateMulti).length;
    c.ib.placeOrder(1, AAPL, { action: OrderAction.BUY, totalQuantity: 5, orderType: OrderType.MKT, tif: 'DAY', transmit: true });
    await c.waitFor(EventName.orderStatus, (a) => a[0] === 1 && a[1] === 'Filled');
    await tick(50);
    expect(c.all(EventName.accountUpdateMulti).length).toBeGreaterThan(before);
    c.ib.cancelAccountUpdatesMulti(8);
  });

  it('narrows to the ledger and net liquidation when ledgerAndNLV is set', async () => {
    const c = await h.connect(1);
    c.ib.reqAccountUpdatesMulti(9, account, '', true);
    await c.waitFor(EventName.accountUpdateMultiEnd, (a) => Number(a[0]) === 9);
    const keys = new Set(c.all(EventName.accountUpdateMulti).map((a) => a[3]));
    expect(keys.has('NetLiquidation')).toBe(true);
    expect(keys.has('TotalCashValue')).toBe(true);
    expect(keys.has('BuyingPower')).toBe(false);
  });

  it('reports cash by currency as IBKR does (CashBalance per currency and BASE, with ExchangeRate) once EUR is bought', async () => {
    const c = await h.connect(1);
    c.ib.placeOrder(1, { symbol: 'EUR', secType: SecType.CASH, exchange: 'IDEALPRO', currency: 'USD' }, { action: OrderAction.BUY, totalQuantity: 20_000, orderType: OrderType.MKT, tif: 'DAY', transmit: true });
    await c.waitFor(EventName.orderStatus, (a) => a[0] === 1 && a[1] === 'Filled');
    c.ib.reqAccountUpdatesMulti(9, account, '', true);
    await c.waitFor(EventName.accountUpdateMultiEnd, (a) => Number(a[0]) === 9);
    const cash = new Map(c.all(EventName.accountUpdateMulti, (a) => a[0] === 9 && a[3] === 'CashBalance').map((a) => [a[5], Number(a[4])]));
    expect(cash.get('EUR')).toBe(20_000);
    expect(cash.get('USD')).toBeLessThan(1_000_000 - 20_000);
    const summary = await h.broker.getAccountSummary(account);
    expect(cash.get('BASE')).toBeCloseTo(summary.totalCash, 2);
    const eurRate = c.all(EventName.accountUpdateMulti, (a) => a[0] === 9 && a[3] === 'ExchangeRate' && a[5] === 'EUR')[0];
    expect(Number(eurRate?.[4])).toBeGreaterThan(0.9);
  });
});

describe('start-up synchronisation', () => {
  for (const history of [false, true]) {
    it(`completes every request an ib_insync-style client makes at connect (${history ? 'with a position and history' : 'fresh account'})`, async () => {
      if (history) await buyAapl(3);
      const started = performance.now();
      // @stoqey/ib paces its own sending (40 requests a second by default); lifted so the figure is the gateway's.
      const c = await h.connect(1, { maxReqPerSec: 1000 });
      const connected = performance.now();
      c.ib.reqOpenOrders();
      c.ib.reqCompletedOrders(false);
      c.ib.reqExecutions(1, {});
      c.ib.reqPositions();
      c.ib.reqAccountUpdates(true, account);
      c.ib.reqAccountUpdatesMulti(2, account, '', false);
      await Promise.all([
        c.waitFor(EventName.openOrderEnd),
        c.waitFor(EventName.completedOrdersEnd),
        c.waitFor(EventName.execDetailsEnd, (a) => a[0] === 1),
        c.waitFor(EventName.positionEnd),
        c.waitFor(EventName.accountDownloadEnd, (a) => a[0] === account),
        c.waitFor(EventName.accountUpdateMultiEnd, (a) => Number(a[0]) === 2),
      ]);
      const ms = performance.now() - started;
      console.info(`start-up synchronisation (${history ? 'with history' : 'fresh'}): ${ms.toFixed(1)} ms from connect, ${(performance.now() - connected).toFixed(1)} ms after nextValidId`);
      expect(c.all(EventName.execDetails, (a) => a[0] === 1).length).toBe(history ? 1 : 0);
      expect(c.all(EventName.completedOrder).length).toBe(history ? 1 : 0);
      expect(c.all(EventName.position).length).toBe(history ? 1 : 0);
      expect(c.all(EventName.error, (a) => a[1] !== 2104 && a[1] !== 2106 && a[1] !== 2158)).toEqual([]);
    });
  }
});
