/**
 * Market data ticks. TICK_PRICE is sent at version 6 with its size and an
 * attribute mask: @stoqey/ib (and IBKR's own decoders) then raise the
 * matching size tick themselves, exactly as with a real gateway.
 */
import type { Quote } from '../../core/models.js';
import type { Field } from '../framing.js';
import { MarketDataKind, Msg, Tick } from '../protocol.js';

const TICK_PRICE_VERSION = 6;
const TICK_SIZE_VERSION = 6;

export const tickPriceMessage = (reqId: number, tickType: number, price: number, size: number | null): Field[] => [
  Msg.TICK_PRICE, TICK_PRICE_VERSION, reqId, tickType, price, size ?? 0, 0,
];

export const tickSizeMessage = (reqId: number, tickType: number, size: number): Field[] => [Msg.TICK_SIZE, TICK_SIZE_VERSION, reqId, tickType, size];

export const tickStringMessage = (reqId: number, tickType: number, value: string): Field[] => [Msg.TICK_STRING, 6, reqId, tickType, value];

export const tickSnapshotEndMessage = (reqId: number): Field[] => [Msg.TICK_SNAPSHOT_END, 1, reqId];

export const marketDataTypeMessage = (reqId: number, kind: number): Field[] => [Msg.MARKET_DATA_TYPE, 1, reqId, kind];

const REALTIME_TICKS = {
  bid: Tick.BID, ask: Tick.ASK, last: Tick.LAST, high: Tick.HIGH, low: Tick.LOW, close: Tick.CLOSE, open: Tick.OPEN, volume: Tick.VOLUME,
};
const DELAYED_TICKS = {
  bid: Tick.DELAYED_BID, ask: Tick.DELAYED_ASK, last: Tick.DELAYED_LAST, high: Tick.DELAYED_HIGH, low: Tick.DELAYED_LOW,
  close: Tick.DELAYED_CLOSE, open: Tick.DELAYED_OPEN, volume: Tick.DELAYED_VOLUME,
};

/**
 * The ticks for one quote. `previous` suppresses unchanged values, as a real
 * gateway only sends what changed after the first full set.
 */
export function quoteTicks(reqId: number, quote: Quote, kind: number, previous: Quote | null): Field[][] {
  const t = kind === MarketDataKind.DELAYED || kind === MarketDataKind.DELAYED_FROZEN ? DELAYED_TICKS : REALTIME_TICKS;
  const out: Field[][] = [];
  const changed = <K extends keyof Quote>(k: K): boolean => previous === null || previous[k] !== quote[k];
  const price = (k: 'bid' | 'ask' | 'last', size: 'bidSize' | 'askSize' | 'lastSize', tick: number, sizeTick: number): void => {
    const p = quote[k];
    if (p === null || (!changed(k) && !changed(size))) return;
    out.push(tickPriceMessage(reqId, tick, p, quote[size]));
    // Gateways follow each price with its own size tick; clients rely on it (e.g. @stoqey/ib derives no BID_SIZE from tickPrice).
    const sz = quote[size];
    if (sz !== null) out.push(tickSizeMessage(reqId, sizeTick, sz));
  };
  const delayed = t === DELAYED_TICKS;
  price('bid', 'bidSize', t.bid, delayed ? Tick.DELAYED_BID_SIZE : Tick.BID_SIZE);
  price('ask', 'askSize', t.ask, delayed ? Tick.DELAYED_ASK_SIZE : Tick.ASK_SIZE);
  price('last', 'lastSize', t.last, delayed ? Tick.DELAYED_LAST_SIZE : Tick.LAST_SIZE);
  for (const k of ['high', 'low', 'close', 'open'] as const) {
    const p = quote[k];
    if (p !== null && changed(k)) out.push(tickPriceMessage(reqId, t[k], p, null));
  }
  if (quote.volume !== null && changed('volume')) out.push(tickSizeMessage(reqId, t.volume, quote.volume));
  if (changed('timestamp') && t === REALTIME_TICKS) {
    out.push(tickStringMessage(reqId, Tick.LAST_TIMESTAMP, String(Math.floor(Date.parse(quote.timestamp) / 1000))));
  }
  return out;
}

export interface OptionComputation {
  impliedVolatility: number | null;
  delta: number | null;
  optPrice: number | null;
  gamma: number | null;
  vega: number | null;
  theta: number | null;
  undPrice: number | null;
}

/**
 * TICK_OPTION_COMPUTATION at >= PRICE_BASED_VOLATILITY (156): no version
 * field, a tickAttrib (0: return-based), then the values; unknown values go
 * out as IBKR's "not computed" markers (-1 for prices and volatility, -2 for greeks).
 */
export const optionComputationMessage = (reqId: number, tickType: number, c: OptionComputation): Field[] => [
  Msg.TICK_OPTION_COMPUTATION, reqId, tickType, 0,
  c.impliedVolatility ?? -1, c.delta ?? -2, c.optPrice ?? -1, 0 /* pvDividend */,
  c.gamma ?? -2, c.vega ?? -2, c.theta ?? -2, c.undPrice ?? -1,
];
