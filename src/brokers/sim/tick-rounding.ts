/**
 * Rounding a price to its tick without float residue (prices are market data
 * here; money is decimal elsewhere).
 *
 * It runs some fifty times for every quote the simulator computes (the day's
 * open/high/low samples), so it is arithmetic only: the obvious
 * `Number((k * tick).toFixed(decimals))` spent most of a quote's time in
 * toFixed's exact decimal conversion. `k * tick` is within a few ulps of a
 * whole number of 10^-decimals, so rounding `k * tick * 10^decimals` to an
 * integer gives the same integer toFixed picks, and dividing it by the power
 * of ten (correctly rounded) gives the same double parsing toFixed's string
 * does. tick-rounding.test.ts checks the two agree.
 */

/** Decimal places of a tick as written (0.01 -> 2, 5e-7 -> 7), kept per tick: a market has a handful. */
const decimalsByTick = new Map<number, number>();

export function tickDecimals(tick: number): number {
  let d = decimalsByTick.get(tick);
  if (d === undefined) {
    const s = tick.toString();
    const dot = s.indexOf('.');
    d = s.includes('e-') ? Number(s.split('e-')[1]) : dot < 0 ? 0 : s.length - dot - 1;
    // Bounded: callers pass catalogue ticks and their hundredths, but a stray value must not grow it forever.
    if (decimalsByTick.size >= 1024) decimalsByTick.clear();
    decimalsByTick.set(tick, d);
  }
  return d;
}

/** Exact powers of ten as doubles (10^22 is the last one a double holds exactly). */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => 10 ** i);

export function roundTick(price: number, tick: number, mode: 'nearest' | 'down' | 'up' = 'nearest'): number {
  const n = price / tick;
  const k = mode === 'down' ? Math.floor(n + 1e-9) : mode === 'up' ? Math.ceil(n - 1e-9) : Math.round(n);
  const scale = POWERS_OF_TEN[tickDecimals(tick)];
  // Beyond 22 decimals (no real tick) keep the exact conversion.
  if (scale === undefined) return Number((k * tick).toFixed(Math.min(100, tickDecimals(tick))));
  return Math.round(k * tick * scale) / scale;
}
