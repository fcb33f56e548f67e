import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Decimal } from 'decimal.js';
import { fillCommission, orderCommission } from './commissions.js';

const equity = (shares: number, price: number): Decimal =>
  orderCommission({ cls: 'equity', symbol: 'AAPL', quantity: new Decimal(shares), valueUsd: new Decimal(shares).times(price), price: new Decimal(price) });

describe('IBKR Pro Fixed commissions', () => {
  it('US stocks: USD 0.005/share, min USD 1.00, max 1% of trade value', () => {
    expect(equity(100, 230).toNumber()).toBe(1);
    expect(equity(1000, 230).toNumber()).toBe(5);
    expect(equity(333, 50).toNumber()).toBe(1.67);
    // A tiny trade is capped at 1% of its value, below the minimum.
    expect(equity(10, 0.5).toNumber()).toBe(0.05);
  });

  it('options, futures and FX', () => {
    expect(orderCommission({ cls: 'option', symbol: 'AAPL', quantity: new Decimal(10), valueUsd: new Decimal(5000), price: new Decimal(5) }).toNumber()).toBe(6.5);
    expect(orderCommission({ cls: 'option', symbol: 'AAPL', quantity: new Decimal(1), valueUsd: new Decimal(500), price: new Decimal(5) }).toNumber()).toBe(1);
    expect(orderCommission({ cls: 'future', symbol: 'ES', quantity: new Decimal(2), valueUsd: new Decimal(600000), price: new Decimal(6000) }).toNumber()).toBe(1.7);
    expect(orderCommission({ cls: 'future', symbol: 'MES', quantity: new Decimal(4), valueUsd: new Decimal(120000), price: new Decimal(6000) }).toNumber()).toBe(1);
    expect(orderCommission({ cls: 'fx', symbol: 'EUR.USD', quantity: new Decimal(25000), valueUsd: new Decimal(27000), price: new Decimal(1.08) }).toNumber()).toBe(2);
    expect(orderCommission({ cls: 'fx', symbol: 'EUR.USD', quantity: new Decimal(1e6), valueUsd: new Decimal(1.08e6), price: new Decimal(1.08) }).toNumber()).toBe(21.6);
  });

  it('charges a partially filled order by difference, so its fills add up to the whole-order commission', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 12 }), fc.integer({ min: 100, max: 50000 }), (parts, cents) => {
        const price = new Decimal(cents).dividedBy(100);
        let qty = new Decimal(0);
        let total = new Decimal(0);
        for (const p of parts) {
          const before = { cls: 'equity' as const, symbol: 'X', quantity: qty, valueUsd: qty.times(price), price };
          qty = qty.plus(p);
          const after = { cls: 'equity' as const, symbol: 'X', quantity: qty, valueUsd: qty.times(price), price };
          const c = fillCommission(before, after);
          expect(c.gte(0)).toBe(true);
          total = total.plus(c);
        }
        expect(total.eq(equity(qty.toNumber(), price.toNumber()))).toBe(true);
      }),
    );
  });
});
