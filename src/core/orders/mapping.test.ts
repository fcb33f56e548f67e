/**
 * An order version's average fill price and commission (mapping.ts) are exact decimal figures of its fills:
 * the volume-weighted average rounded to six places, the commissions' sum rounded to cents. The single-fill
 * shortcuts must give the very number the general sums give, for any price and quantity.
 */
import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Fill } from '../models.js';
import { toCents } from '../money.js';
import { avgPriceOf, commissionOf } from './mapping.js';

/** The sums as written before the shortcuts: the reference. */
const referenceAvg = (fills: readonly Fill[]): number | null => {
  if (fills.length === 0) return null;
  let qty = new Decimal(0);
  let value = new Decimal(0);
  for (const f of fills) {
    qty = qty.plus(f.quantity);
    value = value.plus(new Decimal(f.price).times(f.quantity));
  }
  return value.dividedBy(qty).toDecimalPlaces(6).toNumber();
};
const referenceCommission = (fills: readonly Fill[]): number | null => (fills.length === 0 ? null : toCents(fills.reduce((acc, f) => acc.plus(f.commission), new Decimal(0))));

const fill = (price: number, quantity: number, commission = 1): Fill => ({
  execId: 'e',
  orderId: '1',
  time: '2026-12-03T15:00:00.000Z',
  side: 'BUY',
  quantity,
  price,
  commission,
  commissionCurrency: 'USD',
  realizedPnl: null,
  exchange: 'NASDAQ',
});

/** Prices as brokers print them (a tick's places, up to eight) and as arithmetic leaves them (any double). */
const price = fc.oneof(
  fc.tuple(fc.integer({ min: -1e9, max: 1e12 }), fc.integer({ min: 0, max: 8 })).map(([n, places]) => n / 10 ** places),
  fc.double({ min: -1e9, max: 1e9, noNaN: true }),
  fc.constantFrom(0, -0, 190.12, 0.0001, 1e-7, 123456.1234565, 99999999.999999),
);
const quantity = fc.oneof(fc.integer({ min: 1, max: 10_000_000 }), fc.double({ min: 1e-6, max: 1e7, noNaN: true }), fc.constantFrom(0.5, 1, 100, 1e21));
const commission = fc.oneof(fc.integer({ min: -100_000, max: 100_000 }).map((c) => c / 1000), fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constantFrom(0, -0, 0.005, 1.005));

describe('order fills mapped to a version', () => {
  it("one fill's average price is what the weighted sum rounds to, to the same number (sign of zero included)", () => {
    fc.assert(
      fc.property(price, quantity, (p, q) => {
        expect(Object.is(avgPriceOf([fill(p, q)]), referenceAvg([fill(p, q)]))).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('several fills average as the weighted sum, rounded to six places', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(price, quantity), { minLength: 2, maxLength: 6 }), (parts) => {
        const fills = parts.map(([p, q]) => fill(p, q));
        expect(Object.is(avgPriceOf(fills), referenceAvg(fills))).toBe(true);
      }),
      { numRuns: 2000 },
    );
    expect(avgPriceOf([fill(100, 1), fill(101, 3)])).toBe(100.75);
    expect(avgPriceOf([fill(1, 3), fill(2, 0)])).toBe(1);
    expect(avgPriceOf([fill(10.123456789, 1)])).toBe(10.123457);
    expect(avgPriceOf([])).toBeNull();
  });

  it('the commission of one fill or several is their exact sum in cents', () => {
    fc.assert(
      fc.property(fc.array(commission, { minLength: 1, maxLength: 4 }), (cs) => {
        const fills = cs.map((c) => fill(100, 1, c));
        expect(Object.is(commissionOf(fills), referenceCommission(fills))).toBe(true);
      }),
      { numRuns: 5000 },
    );
    expect(commissionOf([fill(1, 1, 1.005)])).toBe(1.01);
    expect(Object.is(commissionOf([fill(1, 1, -0)]), 0)).toBe(true);
    expect(commissionOf([])).toBeNull();
  });
});
