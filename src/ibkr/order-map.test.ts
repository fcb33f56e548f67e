/**
 * Golden tests of the order-type mapping, written from IBKR's documented
 * meaning of each Order field (TWS API "Order Types" and IBKR's own
 * OrderSamples), not from what the adapter or the emulator happen to do:
 *
 * - STP: the stop (trigger) price is auxPrice.
 * - STP LMT: the limit is lmtPrice, the stop auxPrice.
 * - TRAIL: the trailing amount is auxPrice, or trailingPercent (one or the
 *   other, never both); trailStopPrice is the initial stop.
 * - TRAIL LIMIT: auxPrice the trailing amount, trailStopPrice the initial
 *   stop, and either lmtPriceOffset or lmtPrice for the limit.
 * - MOC is its own order type; market-on-open is a MKT order with tif OPG,
 *   limit-on-open an LMT order with tif OPG; limit-on-close is order type
 *   LOC with its limit in lmtPrice.
 * - MIDPRICE is its own order type, lmtPrice its optional price cap.
 * - GTD is a time in force of its own (with the Order's goodTillDate).
 *
 * Both directions are pinned against these fixed answers, so a symmetric
 * mistake (written wrong, read back equally wrong) fails here.
 */
import { describe, expect, it } from 'vitest';
import { OrderSpec, type OrderSpecInput } from '../core/models.js';
import { IB_ORDER_TYPE, ibTif, ibTypeToSpecFields, specInstrument, specToIbPrices, specToIbTif } from './order-map.js';

const base = { symbol: 'AAPL', securityType: 'STK', action: 'SELL', quantity: 100, timeInForce: 'GTC' } as const;
const spec = (s: Partial<OrderSpecInput>): OrderSpec => OrderSpec.parse({ ...base, ...s });

describe('our order type -> IBKR orderType and price fields', () => {
  it.each([
    ['MKT', spec({ orderType: 'MKT' }), { orderType: 'MKT', lmtPrice: null, auxPrice: null, trailingPercent: null, trailStopPrice: null }],
    ['LMT', spec({ orderType: 'LMT', limitPrice: 187.25 }), { orderType: 'LMT', lmtPrice: 187.25, auxPrice: null, trailingPercent: null, trailStopPrice: null }],
    ['STP: the stop price is auxPrice', spec({ orderType: 'STP', stopPrice: 180 }), { orderType: 'STP', lmtPrice: null, auxPrice: 180, trailingPercent: null, trailStopPrice: null }],
    ['STP_LMT: "STP LMT", limit in lmtPrice, stop in auxPrice', spec({ orderType: 'STP_LMT', stopPrice: 180, limitPrice: 179.5 }), { orderType: 'STP LMT', lmtPrice: 179.5, auxPrice: 180, trailingPercent: null, trailStopPrice: null }],
    ['TRAIL by amount: the trail in auxPrice, the initial stop in trailStopPrice', spec({ orderType: 'TRAIL', trailingAmount: 1.5, stopPrice: 185 }), { orderType: 'TRAIL', lmtPrice: null, auxPrice: 1.5, trailingPercent: null, trailStopPrice: 185 }],
    ['TRAIL by percent: trailingPercent, auxPrice left unset', spec({ orderType: 'TRAIL', trailingPercent: 2.5 }), { orderType: 'TRAIL', lmtPrice: null, auxPrice: null, trailingPercent: 2.5, trailStopPrice: null }],
    ['TRAIL_LIMIT: "TRAIL LIMIT", trail in auxPrice, stop in trailStopPrice, limit in lmtPrice', spec({ orderType: 'TRAIL_LIMIT', trailingAmount: 1, stopPrice: 185, limitPrice: 184.5 }), { orderType: 'TRAIL LIMIT', lmtPrice: 184.5, auxPrice: 1, trailingPercent: null, trailStopPrice: 185 }],
    ['MOC', spec({ orderType: 'MOC', timeInForce: 'DAY' }), { orderType: 'MOC', lmtPrice: null, auxPrice: null, trailingPercent: null, trailStopPrice: null }],
    ['LOC: limit-on-close, the limit in lmtPrice', spec({ orderType: 'LOC', limitPrice: 187, timeInForce: 'DAY' }), { orderType: 'LOC', lmtPrice: 187, auxPrice: null, trailingPercent: null, trailStopPrice: null }],
    ['OPG (market-on-open) is a MKT order', spec({ orderType: 'OPG', timeInForce: 'OPG' }), { orderType: 'MKT', lmtPrice: null, auxPrice: null, trailingPercent: null, trailStopPrice: null }],
  ] as const)('%s', (_name, input, expected) => {
    expect(specToIbPrices(input)).toEqual(expected);
  });

  it('sends market-on-open with tif OPG whatever the spec\'s own time in force; every other order keeps its own', () => {
    expect(specToIbTif(spec({ orderType: 'OPG', timeInForce: 'DAY' }))).toBe('OPG');
    expect(specToIbTif(spec({ orderType: 'OPG', timeInForce: 'OPG' }))).toBe('OPG');
    expect(specToIbTif(spec({ orderType: 'LMT', limitPrice: 187, timeInForce: 'OPG' }))).toBe('OPG');
    expect(specToIbTif(spec({ orderType: 'MKT', timeInForce: 'IOC' }))).toBe('IOC');
    expect(specToIbTif(spec({ orderType: 'MOC', timeInForce: 'DAY' }))).toBe('DAY');
  });

  it('spells every order type as IBKR does', () => {
    expect(IB_ORDER_TYPE).toEqual({ MKT: 'MKT', LMT: 'LMT', STP: 'STP', STP_LMT: 'STP LMT', TRAIL: 'TRAIL', TRAIL_LIMIT: 'TRAIL LIMIT', MOC: 'MOC', OPG: 'MKT', LOC: 'LOC', MIDPRICE: 'MIDPRICE' });
  });
});

describe('an IBKR order (as IBKR documents it) -> our order fields', () => {
  it('reads MKT, LMT, STP and STP LMT from lmtPrice and auxPrice', () => {
    expect(ibTypeToSpecFields('MKT', {})).toEqual({ orderType: 'MKT' });
    expect(ibTypeToSpecFields('LMT', { lmtPrice: 187.25 })).toEqual({ orderType: 'LMT', limitPrice: 187.25 });
    expect(ibTypeToSpecFields('STP', { auxPrice: 180 })).toEqual({ orderType: 'STP', stopPrice: 180 });
    expect(ibTypeToSpecFields('STP LMT', { lmtPrice: 179.5, auxPrice: 180 })).toEqual({ orderType: 'STP_LMT', limitPrice: 179.5, stopPrice: 180 });
    expect(ibTypeToSpecFields('MOC', {})).toEqual({ orderType: 'MOC' });
    expect(ibTypeToSpecFields('LOC', { lmtPrice: 187 })).toEqual({ orderType: 'LOC', limitPrice: 187 });
    // IBKR's Midprice sample: lmtPrice is the price cap, 0 for none.
    expect(ibTypeToSpecFields('MIDPRICE', { lmtPrice: 187 })).toEqual({ orderType: 'MIDPRICE', limitPrice: 187 });
    expect(ibTypeToSpecFields('MIDPRICE', { lmtPrice: 0 })).toEqual({ orderType: 'MIDPRICE' });
  });

  it('reads IBKR\'s MarketOnOpen sample (MKT with tif OPG) as our OPG; a limit-on-open stays LMT', () => {
    expect(ibTypeToSpecFields('MKT', {}, 'OPG')).toEqual({ orderType: 'OPG' });
    expect(ibTypeToSpecFields('MKT', {}, 'DAY')).toEqual({ orderType: 'MKT' });
    expect(ibTypeToSpecFields('LMT', { lmtPrice: 187 }, 'OPG')).toEqual({ orderType: 'LMT', limitPrice: 187 });
  });

  it('reads IBKR\'s TrailingStop sample (trailingPercent + trailStopPrice) and a trail by amount (auxPrice)', () => {
    expect(ibTypeToSpecFields('TRAIL', { trailingPercent: 5.5, trailStopPrice: 200 })).toEqual({ orderType: 'TRAIL', trailingPercent: 5.5, stopPrice: 200 });
    expect(ibTypeToSpecFields('TRAIL', { auxPrice: 1.5, trailStopPrice: 185 })).toEqual({ orderType: 'TRAIL', trailingAmount: 1.5, stopPrice: 185 });
  });

  it('reads IBKR\'s TrailingStopLimit sample (auxPrice trail, lmtPriceOffset, trailStopPrice)', () => {
    expect(ibTypeToSpecFields('TRAIL LIMIT', { auxPrice: 1, lmtPriceOffset: 0.05, trailStopPrice: 185 })).toEqual({ orderType: 'TRAIL_LIMIT', trailingAmount: 1, limitOffset: 0.05, stopPrice: 185 });
    // "You must specify one value: limit price or limit price offset": with only lmtPrice, it is the limit.
    expect(ibTypeToSpecFields('TRAIL LIMIT', { auxPrice: 1, lmtPrice: 184.5 })).toEqual({ orderType: 'TRAIL_LIMIT', trailingAmount: 1, limitPrice: 184.5 });
  });

  it('does not claim order types it does not model (REL, MIT, PEG MID ...)', () => {
    for (const t of ['REL', 'MIT', 'LIT', 'PEG MID', 'MTL', 'STP PRT']) expect(ibTypeToSpecFields(t, { lmtPrice: 1, auxPrice: 1 })).toBeNull();
  });

  it('knows the times in force we model and refuses the rest', () => {
    for (const t of ['DAY', 'GTC', 'IOC', 'FOK', 'OPG', 'GTD']) expect(ibTif(t)).toBe(t);
    for (const t of ['AUC', 'DTC', 'day', '']) expect(ibTif(t)).toBeNull();
  });
});

describe('instrument fields of an order', () => {
  it('carries an option\'s expiry, strike and right, and nothing extra for a stock', () => {
    const stock = { conId: 265598, symbol: 'AAPL', securityType: 'STK', exchange: 'SMART', currency: 'USD', multiplier: 1, minTick: 0.01 } as const;
    expect(specInstrument(stock)).toEqual({ symbol: 'AAPL', securityType: 'STK', currency: 'USD' });
    expect(specInstrument({ ...stock, conId: 1, securityType: 'OPT', expiry: '2026-01-16', strike: 230, right: 'C', multiplier: 100 })).toEqual({
      symbol: 'AAPL', securityType: 'OPT', currency: 'USD', expiry: '2026-01-16', strike: 230, right: 'C',
    });
  });
});
