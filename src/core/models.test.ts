import { describe, expect, it } from 'vitest';
import { fromZodIssues } from './errors.js';
import { Contract, Expiry, OrderSpec, PlaceOrderRequest, Quote, SymbolSpec } from './models.js';

const order = (extra: Record<string, unknown>) => ({ symbol: 'aapl', action: 'BUY', quantity: 10, orderType: 'MKT', ...extra });
const problems = (input: unknown): string[] => {
  const r = OrderSpec.safeParse(input);
  return r.success ? [] : fromZodIssues(r.error.issues).issues.map((i) => `${i.path}: ${i.message}`);
};

describe('SymbolSpec', () => {
  it('trims and upper-cases the symbol and defaults securityType to STK', () => {
    expect(SymbolSpec.parse({ symbol: '  aapl ' })).toEqual({ symbol: 'AAPL', securityType: 'STK' });
  });

  it.each(['STK', 'ETF', 'FUT', 'OPT', 'IND', 'CASH', 'CFD', 'BOND', 'FUND', 'CRYPTO'])('accepts securityType %s', (securityType) => {
    expect(SymbolSpec.safeParse({ symbol: 'X', securityType }).success).toBe(true);
  });

  it.each([
    ['unknown securityType', { symbol: 'X', securityType: 'STOCK' }],
    ['empty symbol', { symbol: '   ' }],
    ['unknown field', { symbol: 'X', colour: 'red' }],
    ['right other than C or P', { symbol: 'X', securityType: 'OPT', right: 'CALL' }],
    ['negative strike', { symbol: 'X', securityType: 'OPT', strike: -1 }],
    ['NaN strike', { symbol: 'X', securityType: 'OPT', strike: Number.NaN }],
    ['Infinity strike', { symbol: 'X', securityType: 'OPT', strike: Number.POSITIVE_INFINITY }],
    ['symbol as a number', { symbol: 42 }],
  ])('rejects %s', (_name, input) => {
    expect(SymbolSpec.safeParse(input).success).toBe(false);
  });
});

describe('Expiry', () => {
  it.each(['2026-12-18', '202612'])('accepts %s', (e) => expect(Expiry.safeParse(e).success).toBe(true));
  it.each(['2026-13-01', '2026-02-30', '18-12-2026', '20261218', '2026-1-5'])('rejects %s', (e) => expect(Expiry.safeParse(e).success).toBe(false));
});

describe('OrderSpec', () => {
  it('fills defaults: DAY, outsideRth false', () => {
    expect(OrderSpec.parse(order({}))).toMatchObject({ symbol: 'AAPL', securityType: 'STK', timeInForce: 'DAY', outsideRth: false });
  });

  it.each([
    ['quantity 0', order({ quantity: 0 }), 'quantity'],
    ['negative quantity', order({ quantity: -5 }), 'quantity'],
    ['NaN quantity', order({ quantity: Number.NaN }), 'quantity'],
    ['Infinity quantity', order({ quantity: Number.POSITIVE_INFINITY }), 'quantity'],
    ['quantity as a string', order({ quantity: '10' }), 'quantity'],
    ['LMT without limitPrice', order({ orderType: 'LMT' }), 'limitPrice'],
    ['LMT with limitPrice 0', order({ orderType: 'LMT', limitPrice: 0 }), 'limitPrice'],
    ['STP without stopPrice', order({ orderType: 'STP' }), 'stopPrice'],
    ['STP_LMT without stopPrice', order({ orderType: 'STP_LMT', limitPrice: 10 }), 'stopPrice'],
    ['STP_LMT without limitPrice', order({ orderType: 'STP_LMT', stopPrice: 10 }), 'limitPrice'],
    ['MKT with a limitPrice', order({ limitPrice: 10 }), 'limitPrice'],
    ['TRAIL with neither amount nor percent', order({ orderType: 'TRAIL' }), 'trailingAmount'],
    ['TRAIL with both amount and percent', order({ orderType: 'TRAIL', trailingAmount: 1, trailingPercent: 1 }), 'trailingAmount'],
    ['MOC with GTC', order({ orderType: 'MOC', timeInForce: 'GTC' }), 'timeInForce'],
    ['OPT without strike and right', order({ securityType: 'OPT', expiry: '2026-12-18' }), 'expiry'],
    ['bracket on a STP parent', order({ orderType: 'STP', stopPrice: 5, takeProfitPrice: 10 }), 'orderType'],
    ['BUY bracket with take-profit below stop-loss', order({ orderType: 'LMT', limitPrice: 100, takeProfitPrice: 90, stopLossPrice: 95 }), 'takeProfitPrice'],
    ['BUY bracket stop-loss above the entry', order({ orderType: 'LMT', limitPrice: 100, takeProfitPrice: 110, stopLossPrice: 105 }), 'stopLossPrice'],
    ['unknown field', order({ price: 10 }), 'price'],
    ['unknown order type', order({ orderType: 'LIMIT' }), 'orderType'],
    ['unknown time in force', order({ timeInForce: 'DTC' }), 'timeInForce'],
    ['GTD without goodTillDate', order({ orderType: 'LMT', limitPrice: 10, timeInForce: 'GTD' }), 'goodTillDate'],
    ['goodAfterTime that is not UTC ISO 8601', order({ goodAfterTime: '20260105 09:30:00 US/Eastern' }), 'goodAfterTime'],
    ['LOC without limitPrice', order({ orderType: 'LOC' }), 'limitPrice'],
    ['LOC with GTC', order({ orderType: 'LOC', limitPrice: 10, timeInForce: 'GTC' }), 'timeInForce'],
    ['MIDPRICE with IOC', order({ orderType: 'MIDPRICE', timeInForce: 'IOC' }), 'timeInForce'],
  ])('rejects %s, naming the field', (_name, input, field) => {
    const found = problems(input);
    expect(found.length).toBeGreaterThan(0);
    if (field) expect(found.some((p) => p.startsWith(`${field}:`))).toBe(true);
  });

  it.each([
    ['LMT', order({ orderType: 'LMT', limitPrice: 150.25 })],
    ['STP_LMT', order({ orderType: 'STP_LMT', stopPrice: 150, limitPrice: 151 })],
    ['TRAIL by percent', order({ orderType: 'TRAIL', trailingPercent: 2 })],
    ['TRAIL_LIMIT', order({ orderType: 'TRAIL_LIMIT', trailingAmount: 1, limitOffset: 0.1 })],
    ['MOC', order({ orderType: 'MOC' })],
    ['OPG', order({ orderType: 'OPG', timeInForce: 'OPG' })],
    ['IOC', order({ orderType: 'LMT', limitPrice: 1, timeInForce: 'IOC' })],
    ['FOK', order({ orderType: 'LMT', limitPrice: 1, timeInForce: 'FOK' })],
    ['outside RTH', order({ orderType: 'LMT', limitPrice: 1, outsideRth: true })],
    ['BUY bracket', order({ orderType: 'LMT', limitPrice: 100, takeProfitPrice: 110, stopLossPrice: 95 })],
    ['SELL bracket', order({ action: 'SELL', orderType: 'LMT', limitPrice: 100, takeProfitPrice: 90, stopLossPrice: 105 })],
    ['OCA group', order({ orderType: 'LMT', limitPrice: 1, ocaGroup: 'exit-1' })],
    ['option', order({ securityType: 'OPT', expiry: '2026-12-18', strike: 250, right: 'C' })],
  ])('accepts %s', (_name, input) => {
    expect(problems(input)).toEqual([]);
  });

  it('place requests take an optional previewId and nothing else extra', () => {
    expect(PlaceOrderRequest.safeParse(order({ previewId: 'pv_1' })).success).toBe(true);
    expect(PlaceOrderRequest.safeParse(order({ previewId: 'pv_1', confirm: true })).success).toBe(false);
  });
});

describe('Quote and Contract', () => {
  it('reject NaN and Infinity in any number', () => {
    const base = { symbol: 'AAPL', conId: 265598, bid: 1, ask: 1.01, last: 1, bidSize: 100, askSize: 100, lastSize: 1, volume: 10, open: 1, high: 1, low: 1, close: 1, timestamp: '2026-01-05T15:00:00.000Z', source: 'SIMULATED' };
    expect(Quote.safeParse(base).success).toBe(true);
    expect(Quote.safeParse({ ...base, bid: Number.NaN }).success).toBe(false);
    expect(Quote.safeParse({ ...base, ask: Number.POSITIVE_INFINITY }).success).toBe(false);
    expect(Quote.safeParse({ ...base, timestamp: '2026-01-05 15:00' }).success).toBe(false);
  });

  it('contract multiplier defaults to 1', () => {
    expect(Contract.parse({ conId: 265598, symbol: 'AAPL', securityType: 'STK', exchange: 'SMART', currency: 'USD', minTick: 0.01 }).multiplier).toBe(1);
  });
});
