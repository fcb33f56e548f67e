/**
 * Market data lines, shared by every client of the gateway as IBKR counts
 * them per user: reqMktData, market depth, tick-by-tick and real-time bars
 * each hold one line while they stream (real-time bars "combine the
 * limitations of both top and historical market data", IBKR's TWS API
 * reference); beyond the allowance a request is refused with 101.
 *
 * Depth and tick-by-tick have a second, smaller limit: IBKR allows 3 depth
 * subscriptions at the base 100 lines and one more per further 100 lines
 * (quote booster packs), and the same formula caps tick-by-tick ("determined
 * by the same formula used to calculate maximum number of market depth
 * subscriptions"); beyond it depth is refused with 309 and tick-by-tick with
 * 10190 ("Max number of tick-by-tick requests has been reached."). (Some
 * accounts have been observed to get 5 tick-by-tick streams; the documented
 * formula is what is modelled.)
 */
import { Err } from './protocol.js';
import type { EmulatorState } from './gateway-state.js';

export type LineKind = 'depth' | 'tbt' | 'bars';

/** Depth (and tick-by-tick) subscriptions allowed with this many market data lines. */
export const depthLimit = (lines: number): number => Math.max(3, Math.floor(lines / 100));

export interface Refusal {
  code: number;
  text: string;
}

/**
 * Takes one line (and a depth / tick-by-tick slot) for a stream. Returns the
 * release function, to be called when the stream ends (any number of times),
 * or the refusal IB Gateway would send.
 */
export function acquireLine(shared: EmulatorState, kind: LineKind): { release: () => void } | { refusal: Refusal } {
  if (shared.marketDataLines >= shared.maxMarketDataLines) return { refusal: { code: Err.MAX_TICKERS.code, text: Err.MAX_TICKERS.text } };
  const limit = depthLimit(shared.maxMarketDataLines);
  if (kind === 'depth' && shared.depthStreams >= limit) return { refusal: { code: 309, text: `Max number (${limit}) of market depth requests has been reached` } };
  if (kind === 'tbt' && shared.tickByTickStreams >= limit) return { refusal: { code: 10190, text: 'Max number of tick-by-tick requests has been reached.' } };
  shared.marketDataLines += 1;
  if (kind === 'depth') shared.depthStreams += 1;
  if (kind === 'tbt') shared.tickByTickStreams += 1;
  let held = true;
  return {
    release: () => {
      if (!held) return;
      held = false;
      shared.marketDataLines = Math.max(0, shared.marketDataLines - 1);
      if (kind === 'depth') shared.depthStreams = Math.max(0, shared.depthStreams - 1);
      if (kind === 'tbt') shared.tickByTickStreams = Math.max(0, shared.tickByTickStreams - 1);
    },
  };
}
