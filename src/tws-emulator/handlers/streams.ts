/**
 * Streams derived from the simulated quote: market depth (the book the
 * matching engine fills against: the touch, then levels half a spread apart
 * with the displayed size, as the simulator assumes hidden depth behind the
 * touch), real-time 5-second bars (the simulator's own 5-second bars, sent as
 * each one completes) and tick-by-tick data (Last, AllLast, BidAsk, MidPoint;
 * with numberOfTicks, the last ticks first as historical ticks).
 */
import type { Contract, Quote, WhatToShow } from '../../core/models.js';
import { DepthOp, DepthSide, marketDepthL2Message, marketDepthMessage, realTimeBarMessage, tickByTickBidAskMessage, tickByTickLastMessage, tickByTickMidPointMessage, TickByTickType } from '../messages/ticks.js';
import { Err, Req } from '../protocol.js';
import { parseVersionedCancel } from '../requests.js';
import { parseMktDepth, parseRealTimeBars, parseTickByTick } from '../requests-market-data.js';
import type { Handler, Session } from '../session.js';
import { acquireLine } from '../market-lines.js';
import { ticksMessage, type TickKind } from './history-ticks.js';

/** The simulated book has this many levels (the matching engine's depth). */
const DEPTH_LEVELS = 10;
const BAR_MS = 5000;
/** At most this many completed bars are sent at once (a clock jump of a minute or more sends the last minute). */
const MAX_CATCH_UP_BARS = 12;

type StreamKind = 'depth' | 'bars' | 'tbt';

/**
 * A broker subscription that can be stopped any number of times: the
 * simulator's unsubscribe is not idempotent (a second call can drop a newer
 * subscription to the same contract), and a stream may be stopped by its
 * cancel and again when the connection closes.
 */
function subscribe(s: Session, contract: Contract, listener: (q: Quote) => void): () => void {
  let stop: (() => void) | null = s.shared.broker.subscribeQuotes(contract, listener);
  return () => {
    stop?.();
    stop = null;
  };
}
const key = (kind: StreamKind, reqId: number): string => `${kind}:${reqId}`;

/** A stream's stop: ends the broker subscription and gives its market data line back. */
const holding = (release: () => void, stop: () => void) => (): void => {
  stop();
  release();
};

function levels(q: Quote, c: Contract, rows: number): { bids: { price: number; size: number }[]; asks: { price: number; size: number }[] } {
  if (q.bid === null || q.ask === null) return { bids: [], asks: [] };
  const tick = c.minTick;
  const round = (p: number): number => Number((Math.round(p / tick) * tick).toFixed(8));
  const step = Math.max(tick, round((q.ask - q.bid) / 2));
  const n = Math.min(rows, DEPTH_LEVELS);
  const bids = Array.from({ length: n }, (_, k) => ({ price: round((q.bid ?? 0) - k * step), size: q.bidSize ?? 0 }));
  const asks = Array.from({ length: n }, (_, k) => ({ price: round((q.ask ?? 0) + k * step), size: q.askSize ?? 0 }));
  return { bids, asks };
}

const mktDepth: Handler = async (s, r) => {
  const q = parseMktDepth(r);
  const contract = await s.shared.contracts.resolveOne(q.contract);
  if (!contract) {
    s.error(q.reqId, Err.NO_SECURITY.code, Err.NO_SECURITY.text);
    return;
  }
  const line = acquireLine(s.shared, 'depth');
  if ('refusal' in line) {
    s.error(q.reqId, line.refusal.code, line.refusal.text);
    return;
  }
  const venue = contract.primaryExchange ?? contract.exchange;
  const row = (position: number, op: number, side: number, l: { price: number; size: number }): void => {
    s.send(q.smartDepth ? marketDepthL2Message(q.reqId, position, venue, op, side, l.price, l.size, true) : marketDepthMessage(q.reqId, position, op, side, l.price, l.size));
  };
  let book: ReturnType<typeof levels> | null = null;
  const publish = (quote: Quote): void => {
    const next = levels(quote, contract, q.numRows > 0 ? q.numRows : DEPTH_LEVELS);
    for (const [side, now, before] of [
      [DepthSide.BID, next.bids, book?.bids ?? []],
      [DepthSide.ASK, next.asks, book?.asks ?? []],
    ] as const) {
      now.forEach((l, i) => {
        const was = before[i];
        if (!was) row(i, DepthOp.INSERT, side, l);
        else if (was.price !== l.price || was.size !== l.size) row(i, DepthOp.UPDATE, side, l);
      });
      for (let i = before.length - 1; i >= now.length; i--) row(i, DepthOp.DELETE, side, before[i] ?? { price: 0, size: 0 });
    }
    book = next;
  };
  const k = key('depth', q.reqId);
  s.streams.set(k, line.release);
  publish(await s.shared.broker.getQuote(contract));
  if (!s.streams.has(k)) return;
  s.streams.set(k, holding(line.release, subscribe(s, contract, publish)));
};

const REALTIME_WHAT = new Set(['TRADES', 'MIDPOINT', 'BID', 'ASK']);

const realTimeBars: Handler = async (s, r) => {
  const q = parseRealTimeBars(r);
  if (!REALTIME_WHAT.has(q.whatToShow)) {
    s.error(q.reqId, Err.VALIDATION.code, `${Err.VALIDATION.text}'bU' : cause - Invalid whatToShow ${q.whatToShow} for real-time bars (TRADES, MIDPOINT, BID or ASK)`);
    return;
  }
  const contract = await s.shared.contracts.resolveOne(q.contract);
  if (!contract) {
    s.error(q.reqId, Err.NO_SECURITY.code, Err.NO_SECURITY.text);
    return;
  }
  const line = acquireLine(s.shared, 'bars');
  if ('refusal' in line) {
    s.error(q.reqId, line.refusal.code, line.refusal.text);
    return;
  }
  // The first bar is the one completing after the request, as with a gateway.
  let sentUpTo = Math.floor(s.shared.clock.now() / BAR_MS) * BAR_MS;
  let busy = false;
  const k = key('bars', q.reqId);
  const onQuote = (): void => {
    const boundary = Math.floor(s.shared.clock.now() / BAR_MS) * BAR_MS;
    if (boundary <= sentUpTo || busy) return;
    busy = true;
    const from = Math.max(sentUpTo, boundary - MAX_CATCH_UP_BARS * BAR_MS);
    s.shared.broker
      .getHistoricalBars(contract, { barSize: '5 secs', duration: '60 S', whatToShow: q.whatToShow as WhatToShow, useRth: q.useRth, endTime: new Date(boundary).toISOString() })
      .then((bars) => {
        if (!s.streams.has(k)) return;
        for (const b of bars) {
          const t = Date.parse(b.time);
          if (t < from || t >= boundary) continue;
          s.send(realTimeBarMessage(q.reqId, { time: Math.floor(t / 1000), open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume, wap: b.wap ?? b.close, count: b.barCount ?? 0 }));
        }
        sentUpTo = boundary;
      })
      .catch((err: unknown) => s.error(q.reqId, Err.HISTORICAL_SERVICE.code, `${Err.HISTORICAL_SERVICE.text}${err instanceof Error ? err.message : String(err)}`))
      .finally(() => {
        busy = false;
      });
  };
  s.streams.set(k, holding(line.release, subscribe(s, contract, onQuote)));
};

const TBT_TYPES: Record<string, number> = { Last: TickByTickType.LAST, AllLast: TickByTickType.ALL_LAST, BidAsk: TickByTickType.BID_ASK, MidPoint: TickByTickType.MID_POINT };

const tickByTick: Handler = async (s, r) => {
  const q = parseTickByTick(r);
  const type = TBT_TYPES[q.tickType];
  if (type === undefined) {
    s.error(q.reqId, Err.VALIDATION.code, `${Err.VALIDATION.text}'bY' : cause - Invalid tick type ${q.tickType} (Last, AllLast, BidAsk or MidPoint)`);
    return;
  }
  const contract = await s.shared.contracts.resolveOne(q.contract);
  if (!contract) {
    s.error(q.reqId, Err.NO_SECURITY.code, Err.NO_SECURITY.text);
    return;
  }
  const line = acquireLine(s.shared, 'tbt');
  if ('refusal' in line) {
    s.error(q.reqId, line.refusal.code, line.refusal.text);
    return;
  }
  const k = key('tbt', q.reqId);
  s.streams.set(k, line.release);
  if (q.numberOfTicks > 0) {
    // As IBKR does: the last numberOfTicks ticks first, as historical ticks, then the stream.
    const now = s.shared.clock.now();
    const kind: TickKind = type === TickByTickType.BID_ASK ? 'BID_ASK' : type === TickByTickType.MID_POINT ? 'MIDPOINT' : 'TRADES';
    const history = await ticksMessage(s, contract, q.reqId, kind, { anchor: now, forward: false, count: Math.min(q.numberOfTicks, 1000), toMs: now, useRth: false }).catch(() => null);
    if (history) s.send(history);
  }
  const exchange = contract.primaryExchange ?? contract.exchange;
  let prev: Quote | null = null;
  const publish = (quote: Quote): void => {
    const time = Math.floor(Date.parse(quote.timestamp) / 1000);
    const changed = (...ks: (keyof Quote)[]): boolean => prev === null || ks.some((k) => prev?.[k] !== quote[k]);
    if ((type === TickByTickType.LAST || type === TickByTickType.ALL_LAST) && quote.last !== null && changed('last', 'lastSize', 'volume')) {
      s.send(tickByTickLastMessage(q.reqId, type, { time, price: quote.last, size: quote.lastSize ?? 0, exchange }));
    }
    if (type === TickByTickType.BID_ASK && quote.bid !== null && quote.ask !== null && changed('bid', 'ask', 'bidSize', 'askSize')) {
      s.send(tickByTickBidAskMessage(q.reqId, { time, bid: quote.bid, ask: quote.ask, bidSize: quote.bidSize ?? 0, askSize: quote.askSize ?? 0 }));
    }
    if (type === TickByTickType.MID_POINT && quote.bid !== null && quote.ask !== null && changed('bid', 'ask')) {
      s.send(tickByTickMidPointMessage(q.reqId, time, (quote.bid + quote.ask) / 2));
    }
    prev = quote;
  };
  if (!s.streams.has(k)) return;
  publish(await s.shared.broker.getQuote(contract));
  if (!s.streams.has(k)) return;
  s.streams.set(k, holding(line.release, subscribe(s, contract, publish)));
};

const stop = (kind: StreamKind, reqId: number, s: Session): void => {
  const k = key(kind, reqId);
  s.streams.get(k)?.();
  s.streams.delete(k);
};

export const streamHandlers: [number, Handler][] = [
  [Req.MKT_DEPTH, mktDepth],
  // CANCEL_MKT_DEPTH: version, reqId, isSmartDepth
  [Req.CANCEL_MKT_DEPTH, (s, r) => stop('depth', parseVersionedCancel(r), s)],
  [Req.REAL_TIME_BARS, realTimeBars],
  [Req.CANCEL_REAL_TIME_BARS, (s, r) => stop('bars', parseVersionedCancel(r), s)],
  [Req.TICK_BY_TICK, tickByTick],
  [Req.CANCEL_TICK_BY_TICK, (s, r) => stop('tbt', r.int(), s)],
];
