import { describe, expect, it } from 'vitest';
import { OrderSpec } from '../../core/models.js';
import { availableSize, fillOrKill, initialTrigger, restingFill, sweep, updateTrigger, type Book } from './matching.js';

const book = (over: Partial<Book> = {}): Book => ({ time: 0, bid: 99.99, ask: 100.01, bidSize: 300, askSize: 200, last: 100, tick: 0.01, levelStep: 0.01, takenBid: 0, takenAsk: 0, ...over });

describe('sweeping the book', () => {
  it('fills at the touch up to the displayed size, then one step worse per level', () => {
    const b = book();
    expect(sweep(b, 'BUY', 500, null)).toEqual([
      { quantity: 200, price: 100.01 },
      { quantity: 200, price: 100.02 },
      { quantity: 100, price: 100.03 },
    ]);
    expect(b.takenAsk).toBe(500);
    // A second order in the same instant starts where the first stopped.
    expect(sweep(b, 'BUY', 150, null)).toEqual([
      { quantity: 100, price: 100.03 },
      { quantity: 50, price: 100.04 },
    ]);
  });

  it('stops at the limit', () => {
    const b = book();
    expect(sweep(b, 'SELL', 1000, 99.98)).toEqual([
      { quantity: 300, price: 99.99 },
      { quantity: 300, price: 99.98 },
    ]);
    expect(availableSize(book(), 'SELL', 99.98)).toBe(600);
  });

  it('a resting limit fills at its own price when the market trades through it', () => {
    expect(restingFill(book(), 'BUY', 100, 100)).toEqual([]);
    expect(restingFill(book({ bid: 99.97, ask: 99.99 }), 'BUY', 100, 100)).toEqual([{ quantity: 100, price: 100 }]);
  });

  // This test used to pin FOK to the displayed size only; IBKR fills an FOK from every level within its limit.
  it('fill-or-kill takes the whole book within its limit, or nothing', () => {
    expect(fillOrKill(book(), 'BUY', 2001, null)).toEqual([]);
    expect(fillOrKill(book(), 'BUY', 201, null)).toEqual([
      { quantity: 200, price: 100.01 },
      { quantity: 1, price: 100.02 },
    ]);
    expect(fillOrKill(book(), 'BUY', 201, 100.01)).toEqual([]);
    expect(fillOrKill(book(), 'BUY', 200, null)).toEqual([{ quantity: 200, price: 100.01 }]);
    expect(fillOrKill(book(), 'BUY', 100, 100)).toEqual([]);
  });
});

describe('stops and trails', () => {
  it('a buy stop triggers when the last trade reaches it', () => {
    const spec = OrderSpec.parse({ symbol: 'X', action: 'BUY', quantity: 1, orderType: 'STP', stopPrice: 101 });
    const s0 = initialTrigger(spec, 100, 0.01);
    expect(updateTrigger(spec, s0, 100.99, 0.01).triggered).toBe(false);
    expect(updateTrigger(spec, s0, 101, 0.01).triggered).toBe(true);
  });

  it('a stop-limit triggers into its limit', () => {
    const spec = OrderSpec.parse({ symbol: 'X', action: 'SELL', quantity: 1, orderType: 'STP_LMT', stopPrice: 99, limitPrice: 98.5 });
    const s = updateTrigger(spec, initialTrigger(spec, 100, 0.01), 98.9, 0.01);
    expect(s).toEqual({ triggered: true, trailStop: null, activeLimit: 98.5 });
  });

  it('a sell trail ratchets up with the market and never down', () => {
    const spec = OrderSpec.parse({ symbol: 'X', action: 'SELL', quantity: 1, orderType: 'TRAIL', trailingAmount: 1 });
    let s = initialTrigger(spec, 100, 0.01);
    expect(s.trailStop).toBe(99);
    s = updateTrigger(spec, s, 103, 0.01);
    expect(s.trailStop).toBe(102);
    s = updateTrigger(spec, s, 102.5, 0.01);
    expect(s.trailStop).toBe(102);
    expect(s.triggered).toBe(false);
    s = updateTrigger(spec, s, 101.99, 0.01);
    expect(s.triggered).toBe(true);
  });

  it('a percentage trail-limit sets its limit from the stop and the offset', () => {
    const spec = OrderSpec.parse({ symbol: 'X', action: 'BUY', quantity: 1, orderType: 'TRAIL_LIMIT', trailingPercent: 2, limitOffset: 0.1 });
    let s = initialTrigger(spec, 100, 0.01);
    expect(s.trailStop).toBe(102);
    s = updateTrigger(spec, s, 90, 0.01);
    expect(s.trailStop).toBe(91.8);
    s = updateTrigger(spec, s, 91.8, 0.01);
    expect(s.triggered).toBe(true);
    expect(s.activeLimit).toBe(91.9);
  });

  it('a trail-limit given an initial limit keeps that distance from the moving stop', () => {
    const spec = OrderSpec.parse({ symbol: 'X', action: 'SELL', quantity: 1, orderType: 'TRAIL_LIMIT', trailingAmount: 1, stopPrice: 99, limitPrice: 98.8 });
    let s = initialTrigger(spec, 100, 0.01);
    s = updateTrigger(spec, s, 105, 0.01);
    expect(s.trailStop).toBe(104);
    s = updateTrigger(spec, s, 103.9, 0.01);
    expect(s.triggered).toBe(true);
    expect(s.activeLimit).toBe(103.8);
  });
});
