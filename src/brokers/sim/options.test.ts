import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { blackScholes, isOnStrikeGrid, listedExpirations, listedStrikes, normCdf, occSymbol, optionTick, smileVol } from './options.js';

describe('normal CDF', () => {
  it('matches reference values', () => {
    expect(normCdf(0)).toBeCloseTo(0.5, 15);
    expect(normCdf(1)).toBeCloseTo(0.8413447460685429, 12);
    expect(normCdf(-1.96)).toBeCloseTo(0.024997895148220435, 12);
    expect(normCdf(3)).toBeCloseTo(0.9986501019683699, 12);
  });
});

describe('Black-Scholes', () => {
  it('prices the textbook case (S=K=100, T=1, r=5%, vol=20%)', () => {
    const call = blackScholes('C', 100, 100, 1, 0.2, 0.05);
    const put = blackScholes('P', 100, 100, 1, 0.2, 0.05);
    expect(call.price).toBeCloseTo(10.4506, 4);
    expect(put.price).toBeCloseTo(5.5735, 4);
    expect(call.delta).toBeCloseTo(0.6368, 4);
    expect(put.delta).toBeCloseTo(-0.3632, 4);
    expect(call.gamma).toBeCloseTo(0.01876, 5);
    expect(call.vega).toBeCloseTo(0.3752, 4);
  });

  it('satisfies put-call parity and greeks match finite differences', () => {
    fc.assert(
      fc.property(fc.double({ min: 10, max: 1000, noNaN: true }), fc.double({ min: 0.5, max: 1.5, noNaN: true }), fc.double({ min: 0.02, max: 2, noNaN: true }), fc.double({ min: 0.05, max: 1.5, noNaN: true }), (spot, moneyness, years, vol) => {
        const strike = spot * moneyness;
        const r = 0.04;
        const c = blackScholes('C', spot, strike, years, vol, r);
        const p = blackScholes('P', spot, strike, years, vol, r);
        expect(c.price - p.price).toBeCloseTo(spot - strike * Math.exp(-r * years), 6);
        const h = spot * 1e-4;
        const up = blackScholes('C', spot + h, strike, years, vol, r).price;
        const down = blackScholes('C', spot - h, strike, years, vol, r).price;
        expect(c.delta).toBeCloseTo((up - down) / (2 * h), 4);
        expect(c.price).toBeGreaterThanOrEqual(Math.max(0, spot - strike * Math.exp(-r * years)) - 1e-9);
      }),
      { numRuns: 200 },
    );
  });

  it('is worth its intrinsic value at expiry', () => {
    expect(blackScholes('C', 110, 100, 0, 0.3).price).toBe(10);
    expect(blackScholes('P', 110, 100, 0, 0.3).price).toBe(0);
  });

  it('has a put skew', () => {
    expect(smileVol(0.25, 100, 80)).toBeGreaterThan(smileVol(0.25, 100, 100));
  });
});

describe('minimum ticks', () => {
  it('follows the Penny Interval Program by premium', () => {
    expect(optionTick('AAPL', 2.99)).toBe(0.01);
    expect(optionTick('AAPL', 3)).toBe(0.05);
    expect(optionTick('SPY', 25)).toBe(0.01);
    expect(optionTick('SPX', 2.5)).toBe(0.05);
    expect(optionTick('SPX', 30)).toBe(0.1);
  });
});

describe('listings', () => {
  it('lists Friday expirations, weeklies then monthlies, from the current week', () => {
    const list = listedExpirations(Date.parse('2026-01-05T15:00:00Z'));
    expect(list[0]).toBe('2026-01-09');
    expect(list).toContain('2026-01-16');
    expect(list).toContain('2026-02-20');
    // Fridays, except that the June monthly's third Friday, 19 June 2026, is Juneteenth (an NYSE holiday) and moves to Thursday 18 June.
    // (This test used to demand a Friday for every expiry, which listed one on the holiday.)
    expect(list).toContain('2026-06-18');
    for (const e of list) expect(e === '2026-06-18' || new Date(`${e}T12:00:00Z`).getUTCDay() === 5, e).toBe(true);
    // After Friday's 16:00 ET close that expiry is gone.
    expect(listedExpirations(Date.parse('2026-01-09T21:30:00Z'))[0]).toBe('2026-01-16');
  });

  it('lists strikes on the usual grid around the reference', () => {
    const strikes = listedStrikes(230);
    expect(strikes).toContain(230);
    expect(strikes).toContain(232.5);
    expect(isOnStrikeGrid(232.5, 230)).toBe(true);
    expect(isOnStrikeGrid(231, 230)).toBe(false);
  });

  it('names options OCC-style', () => {
    expect(occSymbol('AAPL', '2026-01-16', 230, 'C')).toBe('AAPL  260116C00230000');
  });
});
