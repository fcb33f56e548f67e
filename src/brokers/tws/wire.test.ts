/**
 * Golden tests of the adapter's wire encoding: a known OrderSpec becomes
 * exactly this @stoqey/ib Order, field for field, as IBKR documents the fields
 * (see src/ibkr/order-map.test.ts for the field meanings). Exact equality, so
 * a field added, dropped or moved shows up here rather than only in a round
 * trip through the emulator, which reads with the same vocabulary.
 */
import { describe, expect, it } from 'vitest';
import { OrderAction, type Order } from '@stoqey/ib';
import { OrderSpec, type OrderSpecInput } from '../../core/models.js';
import { ibOrderToSpec, specToIbOrder } from './wire.js';

const base = { symbol: 'AAPL', securityType: 'STK', action: 'BUY', quantity: 100, timeInForce: 'DAY' } as const;
const spec = (s: Partial<OrderSpecInput>): OrderSpec => OrderSpec.parse({ ...base, ...s });
const extra = { account: 'DU1234567', orderRef: 'ref-1' };
/** The fields every order carries. */
const common = { action: OrderAction.BUY, totalQuantity: 100, tif: 'DAY', outsideRth: false, account: 'DU1234567', orderRef: 'ref-1', transmit: true };

describe('specToIbOrder: our order -> the exact @stoqey/ib Order', () => {
  it.each<[string, OrderSpec, Order]>([
    ['MKT', spec({ orderType: 'MKT' }), { ...common, orderType: 'MKT' } as Order],
    ['LMT GTC', spec({ orderType: 'LMT', limitPrice: 187.25, timeInForce: 'GTC' }), { ...common, orderType: 'LMT', lmtPrice: 187.25, tif: 'GTC' } as Order],
    ['SELL STP: stop in auxPrice', spec({ action: 'SELL', orderType: 'STP', stopPrice: 180 }), { ...common, action: OrderAction.SELL, orderType: 'STP', auxPrice: 180 } as Order],
    ['STP LMT', spec({ orderType: 'STP_LMT', stopPrice: 190, limitPrice: 190.5 }), { ...common, orderType: 'STP LMT', lmtPrice: 190.5, auxPrice: 190 } as Order],
    ['TRAIL by amount with an initial stop', spec({ action: 'SELL', orderType: 'TRAIL', trailingAmount: 1.5, stopPrice: 185, timeInForce: 'GTC' }), { ...common, action: OrderAction.SELL, orderType: 'TRAIL', auxPrice: 1.5, trailStopPrice: 185, tif: 'GTC' } as Order],
    ['TRAIL by percent', spec({ action: 'SELL', orderType: 'TRAIL', trailingPercent: 2.5 }), { ...common, action: OrderAction.SELL, orderType: 'TRAIL', trailingPercent: 2.5 } as Order],
    ['TRAIL LIMIT with a limit offset', spec({ action: 'SELL', orderType: 'TRAIL_LIMIT', trailingAmount: 1, stopPrice: 185, limitOffset: 0.05 }), { ...common, action: OrderAction.SELL, orderType: 'TRAIL LIMIT', auxPrice: 1, trailStopPrice: 185, lmtPriceOffset: 0.05 } as Order],
    ['TRAIL LIMIT with an initial limit price', spec({ action: 'SELL', orderType: 'TRAIL_LIMIT', trailingPercent: 1, limitPrice: 184.5 }), { ...common, action: OrderAction.SELL, orderType: 'TRAIL LIMIT', trailingPercent: 1, lmtPrice: 184.5 } as Order],
    ['MOC', spec({ orderType: 'MOC' }), { ...common, orderType: 'MOC' } as Order],
    ['MIDPRICE with its cap in lmtPrice', spec({ orderType: 'MIDPRICE', limitPrice: 187 }), { ...common, orderType: 'MIDPRICE', lmtPrice: 187 } as Order],
    ['LOC: limit-on-close, the limit in lmtPrice', spec({ orderType: 'LOC', limitPrice: 187 }), { ...common, orderType: 'LOC', lmtPrice: 187 } as Order],
    ['OPG: market-on-open is MKT with tif OPG', spec({ orderType: 'OPG' }), { ...common, orderType: 'MKT', tif: 'OPG' } as Order],
    ['LMT with tif OPG: limit-on-open', spec({ orderType: 'LMT', limitPrice: 187, timeInForce: 'OPG' }), { ...common, orderType: 'LMT', lmtPrice: 187, tif: 'OPG' } as Order],
    ['IOC and outsideRth', spec({ orderType: 'LMT', limitPrice: 187, timeInForce: 'IOC', outsideRth: true }), { ...common, orderType: 'LMT', lmtPrice: 187, tif: 'IOC', outsideRth: true } as Order],
    ['GTD with a goodAfterTime: both in IBKR\'s UTC form', spec({ orderType: 'LMT', limitPrice: 187, timeInForce: 'GTD', goodAfterTime: '2026-01-06T14:30:00Z', goodTillDate: '2026-01-09T21:00:00.000Z' }), { ...common, orderType: 'LMT', lmtPrice: 187, tif: 'GTD', goodAfterTime: '20260106-14:30:00', goodTillDate: '20260109-21:00:00' } as Order],
    ['an OCA member: ocaGroup with ocaType 1 (cancel the rest, with block)', spec({ orderType: 'LMT', limitPrice: 187, ocaGroup: 'exit-1' }), { ...common, orderType: 'LMT', lmtPrice: 187, ocaGroup: 'exit-1', ocaType: 1 } as Order],
  ])('%s', (_name, input, expected) => {
    expect(specToIbOrder(input, extra)).toEqual(expected);
  });

  it('marks a what-if order whatIf=true and nothing else changes', () => {
    const s = spec({ orderType: 'LMT', limitPrice: 187 });
    expect(specToIbOrder(s, { ...extra, whatIf: true })).toEqual({ ...specToIbOrder(s, extra), whatIf: true });
  });
});

describe('ibOrderToSpec: an order IBKR reports (openOrder) -> our spec', () => {
  const aapl = { conId: 265598, symbol: 'AAPL', securityType: 'STK', exchange: 'SMART', currency: 'USD', multiplier: 1, minTick: 0.01 } as const;

  it('reads IBKR\'s documented fields, with Double.MAX_VALUE meaning unset', () => {
    const UNSET = 1.7976931348623157e308;
    expect(ibOrderToSpec(aapl, { action: 'SELL', totalQuantity: 100, orderType: 'STP LMT', lmtPrice: 179.5, auxPrice: 180, tif: 'GTC', outsideRth: true, account: 'DU1234567', trailingPercent: UNSET })).toEqual(
      spec({ action: 'SELL', orderType: 'STP_LMT', limitPrice: 179.5, stopPrice: 180, timeInForce: 'GTC', outsideRth: true, account: 'DU1234567', currency: 'USD' }),
    );
    expect(ibOrderToSpec(aapl, { action: 'BUY', totalQuantity: 100, orderType: 'MKT', tif: 'OPG', lmtPrice: UNSET, auxPrice: UNSET })).toEqual(
      spec({ orderType: 'OPG', timeInForce: 'OPG', currency: 'USD' }),
    );
    expect(ibOrderToSpec(aapl, { action: 'SELL', totalQuantity: 100, orderType: 'TRAIL LIMIT', auxPrice: 1, lmtPriceOffset: 0.05, trailStopPrice: 185, tif: 'DAY', ocaGroup: 'g' })).toEqual(
      spec({ action: 'SELL', orderType: 'TRAIL_LIMIT', trailingAmount: 1, limitOffset: 0.05, stopPrice: 185, ocaGroup: 'g', currency: 'USD' }),
    );
    // goodAfterTime / goodTillDate in a named zone, and a GTD given as a date only (IBKR: until that day's close).
    expect(ibOrderToSpec(aapl, { action: 'BUY', totalQuantity: 100, orderType: 'LMT', lmtPrice: 187, tif: 'GTD', goodAfterTime: '20260106 09:30:00 US/Eastern', goodTillDate: '20260109' })).toEqual(
      spec({ orderType: 'LMT', limitPrice: 187, timeInForce: 'GTD', goodAfterTime: '2026-01-06T14:30:00.000Z', goodTillDate: '2026-01-09T21:00:00.000Z', currency: 'USD' }),
    );
    // IBKR's TrailingStop sample: the percent in trailingPercent, the stop in trailStopPrice, auxPrice unset.
    expect(ibOrderToSpec(aapl, { action: 'SELL', totalQuantity: 100, orderType: 'TRAIL', trailingPercent: 5.5, trailStopPrice: 200, auxPrice: UNSET, tif: 'GTC' })).toEqual(
      spec({ action: 'SELL', orderType: 'TRAIL', trailingPercent: 5.5, stopPrice: 200, timeInForce: 'GTC', currency: 'USD' }),
    );
  });

  it('refuses an order type it does not model', () => {
    expect(ibOrderToSpec(aapl, { action: 'BUY', totalQuantity: 1, orderType: 'REL', lmtPrice: 1, auxPrice: 0.01, tif: 'DAY' })).toBeNull();
  });
});
