import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Decimal } from 'decimal.js';
import { executionFees, fillCommission, orderCommission } from './commissions.js';
import { secFeeRate } from './fee-schedule.js';

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

describe('third-party fees IBKR passes through (fee-schedule.ts)', () => {
  // A sale before 2025-05-14, when the SEC's Section 31 rate was still $27.80 per million.
  const APRIL_2025 = Date.parse('2025-04-30T15:00:00Z');
  const fees = (over: Partial<Parameters<typeof executionFees>[0]>) =>
    executionFees({ cls: 'equity', symbol: 'AAPL', side: 'SELL', quantity: new Decimal(100), valueUsd: new Decimal(23_000), commission: new Decimal(1), at: APRIL_2025, ...over });

  it('selling 100 AAPL at 230 pays the SEC fee (0.0000278 x 23,000 = 0.6394 -> 0.64) and FINRA TAF (0.000166 x 100 = 0.0166 -> 0.02)', () => {
    const f = fees({});
    expect(f.regulatory.toNumber()).toBe(0.66);
    expect(f.total.toNumber()).toBe(0.66);
  });

  it('from 2025-05-14 the SEC fee is $0.00 per million (SEC Release 34-102779), so the same sale pays only the FINRA TAF', () => {
    expect(secFeeRate(Date.parse('2025-05-13T20:00:00Z')).toString()).toBe('0.0000278');
    expect(secFeeRate(Date.parse('2025-05-14T13:30:00Z')).toNumber()).toBe(0);
    expect(fees({ at: Date.parse('2025-05-14T13:30:00Z') }).regulatory.toNumber()).toBe(0.02);
    expect(fees({ at: Date.parse('2026-12-02T15:00:00Z'), cls: 'option', quantity: new Decimal(10), valueUsd: new Decimal(5000) }).regulatory.toString()).toBe("0.41");
  });

  it('buying stock pays no regulatory fee; the TAF stops at USD 8.30 a trade', () => {
    expect(fees({ side: 'BUY' }).total.toNumber()).toBe(0);
    const big = fees({ quantity: new Decimal(100_000), valueUsd: new Decimal(1_000_000) });
    expect(big.regulatory.toNumber()).toBe(27.8 + 8.3);
  });

  it('futures pay the exchange fee of their root and the NFA fee, both ways', () => {
    const es = fees({ cls: 'future', symbol: 'ES', side: 'BUY', quantity: new Decimal(2), valueUsd: new Decimal(600_000), commission: new Decimal(1.7) });
    expect([es.exchange.toNumber(), es.regulatory.toNumber()]).toEqual([2.76, 0.04]);
    const mes = fees({ cls: 'future', symbol: 'MES', side: 'SELL', quantity: new Decimal(1), valueUsd: new Decimal(30_000), commission: new Decimal(0.25) });
    expect(mes.total.toNumber()).toBe(0.37);
  });

  it('options pay the ORF both ways, the SEC fee and TAF when sold, and OCC clearing under Tiered', () => {
    const bought = fees({ cls: 'option', side: 'BUY', quantity: new Decimal(10), valueUsd: new Decimal(5000), commission: new Decimal(6.5) });
    expect(bought.total.toNumber()).toBe(0.38);
    const sold = fees({ cls: 'option', side: 'SELL', quantity: new Decimal(10), valueUsd: new Decimal(5000), commission: new Decimal(6.5) });
    // ORF 0.379 -> 0.38, SEC 0.139 -> 0.14, TAF 0.0279 -> 0.03
    expect(sold.total.toNumber()).toBe(0.55);
    expect(fees({ cls: 'option', side: 'BUY', quantity: new Decimal(10), valueUsd: new Decimal(5000), commission: new Decimal(6.5), plan: 'tiered' }).clearing.toNumber()).toBe(0.2);
  });

  it('FX on IDEALPRO has none', () => {
    expect(fees({ cls: 'fx', symbol: 'EUR.USD', quantity: new Decimal(100_000), valueUsd: new Decimal(108_000) }).total.toNumber()).toBe(0);
  });

  it('Tiered: USD 0.0035/share (min 0.35) plus exchange, clearing and pass-through fees', () => {
    const commission = orderCommission({ cls: 'equity', symbol: 'AAPL', quantity: new Decimal(100), valueUsd: new Decimal(23_000), price: new Decimal(230), plan: 'tiered' });
    expect(commission.toNumber()).toBe(0.35);
    const f = fees({ side: 'BUY', commission, plan: 'tiered' });
    // exchange 100 x 0.003 = 0.30; clearing 100 x 0.0002 + 0.35 x 0.00074 = 0.0203 -> 0.02
    expect([f.exchange.toNumber(), f.clearing.toNumber(), f.regulatory.toNumber()]).toEqual([0.3, 0.02, 0]);
  });
});
