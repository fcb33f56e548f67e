/**
 * Derived history: the head timestamp (where the simulator's history
 * starts), histogram data (volume at each price over a period) and
 * historical ticks (Last, BidAsk, Midpoint), all read from the same price
 * path as the bars: a tick is a one-second bar of the simulator.
 */
import type { Bar, Contract, WhatToShow } from '../../core/models.js';
import type { BarsQuery } from '../../core/broker/port.js';
import { headTimestampMessage, histogramMessage, historicalTicksBidAskMessage, historicalTicksLastMessage, historicalTicksMidpointMessage } from '../messages/ticks.js';
import { Err, Req } from '../protocol.js';
import { parseTwsTime } from '../requests.js';
import { parseHeadTimestamp, parseHistogram, parseHistoricalTicks } from '../requests-market-data.js';
import type { Handler, Session } from '../session.js';
import type { Field } from '../framing.js';

/** The simulator's price paths start on 2000-01-01; the first session after it is where history begins. */
const HEAD_UTC: Record<string, number> = {
  // 09:30 ET on Monday 2000-01-03 (EST, UTC-5)
  default: Date.UTC(2000, 0, 3, 14, 30),
  // Globex opens Sunday 18:00 ET, IDEALPRO Sunday 17:15 ET (2000-01-02)
  FUT: Date.UTC(2000, 0, 2, 23, 0),
  CASH: Date.UTC(2000, 0, 2, 22, 15),
};

/** IBKR serves at most this many historical ticks per request. */
const MAX_TICKS = 1000;
/** One-second bars are served over at most this window (IBKR's limit for 1-second bars). */
const TICK_WINDOW_S = 1800;

const pad = (n: number): string => String(n).padStart(2, '0');

/** "YYYYMMDD-HH:MM:SS" (UTC), or epoch seconds for formatDate 2, as headTimestamp carries it. */
function headText(ms: number, formatDate: number): string {
  if (formatDate === 2) return String(Math.floor(ms / 1000));
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}-${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

const HEAD_WHAT = new Set(['TRADES', 'MIDPOINT', 'BID', 'ASK', 'BID_ASK', 'ADJUSTED_LAST', 'HISTORICAL_VOLATILITY', 'OPTION_IMPLIED_VOLATILITY']);

const headTimestamp: Handler = async (s, r) => {
  const q = parseHeadTimestamp(r);
  if (!HEAD_WHAT.has(q.whatToShow)) {
    s.error(q.reqId, Err.HISTORICAL_SERVICE.code, `${Err.HISTORICAL_SERVICE.text}Historical data request is invalid: whatToShow ${q.whatToShow} is not supported`);
    return;
  }
  const contract = await s.shared.contracts.resolveOne(q.contract);
  if (!contract) {
    s.error(q.reqId, Err.NO_SECURITY.code, Err.NO_SECURITY.text);
    return;
  }
  s.send(headTimestampMessage(q.reqId, headText(HEAD_UTC[contract.securityType] ?? HEAD_UTC.default ?? 0, q.formatDate)));
};

/** "3 days", "1 week", "2 weeks", "1 month" -> the duration and a bar size the simulator accepts for it. */
function histogramWindow(period: string): { duration: BarsQuery['duration']; barSize: BarsQuery['barSize'] } | null {
  const m = /^(\d+)\s*(day|week|month)s?$/i.exec(period.trim());
  if (!m) return null;
  const n = Number(m[1]);
  const unit = (m[2] ?? '').toLowerCase();
  if (n < 1) return null;
  const days = unit === 'day' ? n : unit === 'week' ? n * 7 : n * 31;
  const duration = (unit === 'day' ? `${n} D` : unit === 'week' ? `${n} W` : `${n} M`) as BarsQuery['duration'];
  return { duration, barSize: days <= 7 ? '5 mins' : days <= 31 ? '30 mins' : '1 day' };
}

async function bars(s: Session, c: Contract, q: BarsQuery): Promise<Bar[]> {
  return s.shared.broker.getHistoricalBars(c, q);
}

const histogram: Handler = async (s, r) => {
  const q = parseHistogram(r);
  const window = histogramWindow(q.period);
  if (!window) {
    s.error(q.reqId, Err.HISTORICAL_SERVICE.code, `${Err.HISTORICAL_SERVICE.text}Historical data request is invalid: time period ${q.period} is not supported`);
    return;
  }
  const contract = await s.shared.contracts.resolveOne(q.contract);
  if (!contract) {
    s.error(q.reqId, Err.NO_SECURITY.code, Err.NO_SECURITY.text);
    return;
  }
  let rows: Bar[];
  try {
    rows = await bars(s, contract, { ...window, whatToShow: contract.securityType === 'CASH' ? 'MIDPOINT' : 'TRADES', useRth: q.useRth, endTime: new Date(s.shared.clock.now()).toISOString() });
  } catch (err) {
    s.error(q.reqId, Err.HISTORICAL_SERVICE.code, `${Err.HISTORICAL_SERVICE.text}${err instanceof Error ? err.message : String(err)}`);
    return;
  }
  // Volume at each price the path traded at (a bar's volume at its WAP, on the contract's tick grid).
  const byPrice = new Map<number, number>();
  for (const b of rows) {
    const price = Number((Math.round((b.wap ?? b.close) / contract.minTick) * contract.minTick).toFixed(8));
    byPrice.set(price, (byPrice.get(price) ?? 0) + b.volume);
  }
  s.send(histogramMessage(q.reqId, [...byPrice.entries()].sort((a, b) => a[0] - b[0]).map(([price, size]) => ({ price, size }))));
};

const TICK_WHAT = new Set(['TRADES', 'BID_ASK', 'MIDPOINT']);

/** One-second bars of one kind, in [from, to]. */
async function secondBars(s: Session, c: Contract, whatToShow: WhatToShow, useRth: boolean, toMs: number): Promise<Bar[]> {
  return bars(s, c, { barSize: '1 secs', duration: `${TICK_WINDOW_S} S` as BarsQuery['duration'], whatToShow, useRth, endTime: new Date(toMs).toISOString() });
}

export type TickKind = 'TRADES' | 'BID_ASK' | 'MIDPOINT';

interface TickWindow {
  anchor: number;
  /** Forward from the anchor (a start time), or back from it (an end time), as IBKR counts them. */
  forward: boolean;
  count: number;
  toMs: number;
  useRth: boolean;
}

/**
 * The historical ticks message of one kind: the one-second bars of the path
 * around the anchor, a Last tick for each second that traded, a BidAsk and a
 * Midpoint tick for each second quoted. Also what a tick-by-tick request with
 * numberOfTicks gets first.
 */
export async function ticksMessage(s: Session, contract: Contract, reqId: number, kind: TickKind, w: TickWindow): Promise<Field[]> {
  const pick = <T extends { time: string }>(list: T[]): T[] => {
    const inRange = list.filter((b) => (w.forward ? Date.parse(b.time) >= w.anchor : Date.parse(b.time) <= w.anchor));
    return w.forward ? inRange.slice(0, w.count) : inRange.slice(-w.count);
  };
  const epoch = (b: Bar): number => Math.floor(Date.parse(b.time) / 1000);
  if (kind === 'MIDPOINT') {
    const mids = pick(await secondBars(s, contract, 'MIDPOINT', w.useRth, w.toMs));
    return historicalTicksMidpointMessage(reqId, mids.map((b) => ({ time: epoch(b), price: b.close })), true);
  }
  if (kind === 'BID_ASK') {
    const [bids, asks] = await Promise.all([secondBars(s, contract, 'BID', w.useRth, w.toMs), secondBars(s, contract, 'ASK', w.useRth, w.toMs)]);
    const askAt = new Map(asks.map((b) => [b.time, b]));
    const ticks = pick(bids.filter((b) => askAt.has(b.time))).map((b) => {
      const a = askAt.get(b.time) ?? b;
      return { time: epoch(b), bid: b.close, ask: a.close, bidSize: b.volume, askSize: a.volume };
    });
    return historicalTicksBidAskMessage(reqId, ticks, true);
  }
  // A second with no volume had no trade: no Last tick.
  const trades = pick((await secondBars(s, contract, 'TRADES', w.useRth, w.toMs)).filter((b) => b.volume > 0));
  return historicalTicksLastMessage(reqId, trades.map((b) => ({ time: epoch(b), price: b.close, size: b.volume, exchange: contract.primaryExchange ?? contract.exchange })), true);
}

const historicalTicks: Handler = async (s, r) => {
  const q = parseHistoricalTicks(r);
  const fail = (text: string): void => s.error(q.reqId, Err.HISTORICAL_SERVICE.code, `${Err.HISTORICAL_SERVICE.text}${text}`);
  if (!TICK_WHAT.has(q.whatToShow)) return fail(`Historical ticks request is invalid: whatToShow ${q.whatToShow} is not supported (TRADES, BID_ASK or MIDPOINT)`);
  if ((q.start === '') === (q.end === '')) return fail('Historical ticks request is invalid: exactly one of start and end date/time must be set');
  if (q.numberOfTicks < 1 || q.numberOfTicks > MAX_TICKS) return fail(`Historical ticks request is invalid: number of ticks must be 1..${MAX_TICKS}`);
  const anchor = parseTwsTime(q.start !== '' ? q.start : q.end);
  if (anchor === null) return fail(`Historical ticks request is invalid: cannot read date/time ${q.start || q.end}`);
  const contract = await s.shared.contracts.resolveOne(q.contract);
  if (!contract) {
    s.error(q.reqId, Err.NO_SECURITY.code, Err.NO_SECURITY.text);
    return;
  }
  const toMs = q.start !== '' ? Math.min(anchor + TICK_WINDOW_S * 1000, s.shared.clock.now()) : anchor;
  try {
    s.send(await ticksMessage(s, contract, q.reqId, q.whatToShow as TickKind, { anchor, forward: q.start !== '', count: q.numberOfTicks, toMs, useRth: q.useRth }));
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
};

/** Head timestamp and histogram are answered at once: a cancel has nothing left to stop. */
const nothingToCancel: Handler = () => undefined;

export const historyTickHandlers: [number, Handler][] = [
  [Req.HEAD_TIMESTAMP, headTimestamp],
  [Req.CANCEL_HEAD_TIMESTAMP, nothingToCancel],
  [Req.HISTOGRAM_DATA, histogram],
  [Req.CANCEL_HISTOGRAM_DATA, nothingToCancel],
  [Req.HISTORICAL_TICKS, historicalTicks],
];
