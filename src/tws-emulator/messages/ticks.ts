/**
 * Tick-level and derived market data messages as @stoqey/ib decodes them at
 * server versions 176..178: head timestamp, histogram, historical ticks
 * (midpoint, bid/ask, last), tick-by-tick, real-time bars and market depth.
 */
import type { Field } from '../framing.js';
import { Msg } from '../protocol.js';

export const headTimestampMessage = (reqId: number, head: string): Field[] => [Msg.HEAD_TIMESTAMP, reqId, head];

export const histogramMessage = (reqId: number, rows: readonly { price: number; size: number }[]): Field[] => [
  Msg.HISTOGRAM_DATA, reqId, rows.length, ...rows.flatMap((r) => [r.price, r.size]),
];

/** HISTORICAL_TICKS (MIDPOINT): time, an unused int, price, size. */
export function historicalTicksMidpointMessage(reqId: number, ticks: readonly { time: number; price: number }[], done: boolean): Field[] {
  return [Msg.HISTORICAL_TICKS, reqId, ticks.length, ...ticks.flatMap((t) => [t.time, 0, t.price, 0]), done];
}

export interface BidAskTick {
  time: number;
  bid: number;
  ask: number;
  bidSize: number;
  askSize: number;
}

/** HISTORICAL_TICKS_BID_ASK: time, attribute mask, bid, ask, bid size, ask size. */
export function historicalTicksBidAskMessage(reqId: number, ticks: readonly BidAskTick[], done: boolean): Field[] {
  return [Msg.HISTORICAL_TICKS_BID_ASK, reqId, ticks.length, ...ticks.flatMap((t) => [t.time, 0, t.bid, t.ask, t.bidSize, t.askSize]), done];
}

export interface LastTick {
  time: number;
  price: number;
  size: number;
  exchange: string;
}

/** HISTORICAL_TICKS_LAST: time, attribute mask, price, size, exchange, special conditions. */
export function historicalTicksLastMessage(reqId: number, ticks: readonly LastTick[], done: boolean): Field[] {
  return [Msg.HISTORICAL_TICKS_LAST, reqId, ticks.length, ...ticks.flatMap((t) => [t.time, 0, t.price, t.size, t.exchange, '']), done];
}

/** TICK_BY_TICK types as the message numbers them. */
export const TickByTickType = { LAST: 1, ALL_LAST: 2, BID_ASK: 3, MID_POINT: 4 } as const;

export const tickByTickLastMessage = (reqId: number, type: 1 | 2, t: LastTick): Field[] => [Msg.TICK_BY_TICK, reqId, type, t.time, t.price, t.size, 0, t.exchange, ''];
export const tickByTickBidAskMessage = (reqId: number, t: BidAskTick): Field[] => [Msg.TICK_BY_TICK, reqId, TickByTickType.BID_ASK, t.time, t.bid, t.ask, t.bidSize, t.askSize, 0];
export const tickByTickMidPointMessage = (reqId: number, time: number, mid: number): Field[] => [Msg.TICK_BY_TICK, reqId, TickByTickType.MID_POINT, time, mid];

/** REAL_TIME_BARS version 3: bar start (epoch s), OHLC, volume, WAP, trade count. */
export const realTimeBarMessage = (reqId: number, b: { time: number; open: number; high: number; low: number; close: number; volume: number; wap: number; count: number }): Field[] => [
  Msg.REAL_TIME_BARS, 3, reqId, b.time, b.open, b.high, b.low, b.close, b.volume, b.wap, b.count,
];

/** Depth operations and sides as MARKET_DEPTH numbers them. */
export const DepthOp = { INSERT: 0, UPDATE: 1, DELETE: 2 } as const;
export const DepthSide = { ASK: 0, BID: 1 } as const;

export const marketDepthMessage = (reqId: number, position: number, op: number, side: number, price: number, size: number): Field[] => [Msg.MARKET_DEPTH, 1, reqId, position, op, side, price, size];

/** MARKET_DEPTH_L2 with the market maker (the venue) and the smart-depth flag (SMART_DEPTH, 146). */
export const marketDepthL2Message = (reqId: number, position: number, marketMaker: string, op: number, side: number, price: number, size: number, smartDepth: boolean): Field[] => [
  Msg.MARKET_DEPTH_L2, 1, reqId, position, marketMaker, op, side, price, size, smartDepth,
];
