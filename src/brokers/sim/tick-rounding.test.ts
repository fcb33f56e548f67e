import { describe, expect, it } from 'vitest';
import { uniform } from './random.js';
import { roundTick, tickDecimals } from './tick-rounding.js';

/** The definition roundTick replaced: exact decimal conversion through toFixed. */
function byToFixed(price: number, tick: number, mode: 'nearest' | 'down' | 'up'): number {
  const n = price / tick;
  const k = mode === 'down' ? Math.floor(n + 1e-9) : mode === 'up' ? Math.ceil(n - 1e-9) : Math.round(n);
  return Number((k * tick).toFixed(tickDecimals(tick)));
}

// Every tick the simulator rounds to: the catalogue's, the option ticks, and the hundredths used for VWAP.
const TICKS = [0.01, 0.05, 0.1, 0.25, 0.005, 0.00005, 1, 5, 0.5];
const ALL_TICKS = [...TICKS, ...TICKS.map((t) => t / 100)];

describe('roundTick', () => {
  it('gives bit for bit what toFixed gives, for every tick the market uses, at any price and in every mode', () => {
    let compared = 0;
    const differing: string[] = [];
    for (const [j, tick] of ALL_TICKS.entries()) {
      const random = (i: number, k: number): number => uniform(7, j, k, i);
      for (let i = 0; i < 20_000; i++) {
        // Prices from fractions of a cent to six figures, and exact multiples of the tick (where ties live).
        const price = i % 4 === 0 ? Math.round(random(i, 0) * 1e6) * tick : 10 ** (random(i, 1) * 8 - 3);
        for (const mode of ['nearest', 'down', 'up'] as const) {
          // Collected, not expect()ed one by one: a million expect calls would take the test's whole budget.
          if (!Object.is(roundTick(price, tick, mode), byToFixed(price, tick, mode))) differing.push(`${price} on ${tick} ${mode}`);
          compared++;
        }
      }
    }
    expect(differing).toEqual([]);
    expect(compared).toBe(ALL_TICKS.length * 60_000);
  });

  it('lands on the tick with no float residue', () => {
    expect(roundTick(252.915000001, 0.01)).toBe(252.92);
    expect(roundTick(1.0849999, 0.00005)).toBe(1.085);
    expect(roundTick(4321.13, 0.25, 'down')).toBe(4321);
    expect(roundTick(4321.01, 0.25, 'up')).toBe(4321.25);
    expect(roundTick(0.1 + 0.2, 0.1)).toBe(0.3);
  });

  it('reads a tick\'s decimals as written', () => {
    expect(tickDecimals(0.01)).toBe(2);
    expect(tickDecimals(0.25)).toBe(2);
    expect(tickDecimals(0.00005)).toBe(5);
    expect(tickDecimals(5e-7)).toBe(7);
    expect(tickDecimals(1)).toBe(0);
  });
});
