/**
 * An order's running totals from the executions TWS reports (executions.ts fillTotals): what the adapter
 * writes into the order's state when executions run ahead of orderStatus.
 */
import { describe, expect, it } from 'vitest';
import { fillTotals } from './executions.js';

const fill = (quantity: number, price: number, commission = 0): { quantity: number; price: number; commission: number } => ({ quantity, price, commission });

describe('an order’s running totals from its fills', () => {
  it('sums fractional quantities exactly, so three fills of 0.1 fill an order of 0.3 with nothing left', () => {
    const totals = fillTotals([fill(0.1, 10), fill(0.1, 10), fill(0.1, 10)], 0.3);
    expect(totals.filledQuantity).toBe(0.3);
    expect(totals.remainingQuantity).toBe(0);
  });

  it('averages the price over the quantity exactly, to six places rounded half up', () => {
    // 100.0000005 is a hair below itself in binary, so the float average rounded to 100.000000.
    expect(fillTotals([fill(2, 100.0000005)], 2).avgFillPrice).toBe(100.000001);
    expect(fillTotals([fill(100, 187.51), fill(50, 187.54)], 200)).toEqual({ filledQuantity: 150, remainingQuantity: 50, avgFillPrice: 187.52, commission: 0 });
  });

  it('adds commissions exactly and rounds the total to cents', () => {
    expect(fillTotals([fill(1, 10, 0.1), fill(1, 10, 0.2)], 2).commission).toBe(0.3);
    expect(fillTotals([fill(1, 10, 0.3333), fill(1, 10, 0.3333), fill(1, 10, 0.3333)], 3).commission).toBe(1);
  });

  it('never gives a negative remainder when executions exceed the order (a report repeated after a reconnect)', () => {
    expect(fillTotals([fill(6, 10), fill(6, 10)], 10)).toMatchObject({ filledQuantity: 12, remainingQuantity: 0 });
  });

  it('has no average price before any fill', () => {
    expect(fillTotals([], 5)).toEqual({ filledQuantity: 0, remainingQuantity: 5, avgFillPrice: null, commission: 0 });
  });
});
