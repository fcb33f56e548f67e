/**
 * The historical bar kinds IBKR serves beyond the simulator's own (TRADES,
 * MIDPOINT, BID, ASK), derived from them so every kind reads the same price
 * path:
 *
 * - BID_ASK: open = time-average bid, high = highest ask, low = lowest bid,
 *   close = time-average ask; volume, WAP and count are not applicable (-1),
 *   as IBKR documents it.
 * - ADJUSTED_LAST: TRADES adjusted for splits and dividends; the simulator
 *   has neither, so the trades themselves.
 * - HISTORICAL_VOLATILITY: the annualised standard deviation of the last 30
 *   daily log returns up to each bar (the bar's own close standing in for
 *   its day's close).
 * - OPTION_IMPLIED_VOLATILITY: the at-the-money implied volatility of the
 *   simulator's option model for the underlying (its volatility does not
 *   change over time, so the series is flat at the current value).
 */
import type { Bar, Contract } from '../core/models.js';
import type { Broker, BarsQuery } from '../core/broker/port.js';

export const DERIVED_KINDS = new Set(['BID_ASK', 'ADJUSTED_LAST', 'HISTORICAL_VOLATILITY', 'OPTION_IMPLIED_VOLATILITY']);
/** Kinds IBKR knows but the simulator has no data for (bonds' yields, short-sale fees, schedules): IBKR's "no data" answer. */
export const NO_DATA_KINDS = new Set(['FEE_RATE', 'REBATE_RATE', 'YIELD_BID', 'YIELD_ASK', 'YIELD_BID_ASK', 'YIELD_LAST', 'SCHEDULE', 'AGGTRADES']);

const VOL_DAYS = 30;
const TRADING_DAYS = 252;

export class NoDataError extends Error {}

const notApplicable = { volume: -1, wap: -1, barCount: -1 };

async function bidAsk(broker: Broker, c: Contract, q: Omit<BarsQuery, 'whatToShow'>): Promise<Bar[]> {
  const [bids, asks] = await Promise.all([broker.getHistoricalBars(c, { ...q, whatToShow: 'BID' }), broker.getHistoricalBars(c, { ...q, whatToShow: 'ASK' })]);
  const askAt = new Map(asks.map((a) => [a.time, a]));
  return bids.flatMap((b) => {
    const a = askAt.get(b.time);
    if (!a) return [];
    return [{ time: b.time, open: b.wap ?? (b.open + b.close) / 2, high: a.high, low: b.low, close: a.wap ?? (a.open + a.close) / 2, ...notApplicable }];
  });
}

function stdevAnnualised(closes: readonly number[]): number | null {
  const returns: number[] = [];
  for (let i = 1; i < closes.length; i++) {
    const prev = closes[i - 1] ?? 0;
    const cur = closes[i] ?? 0;
    if (prev > 0 && cur > 0) returns.push(Math.log(cur / prev));
  }
  if (returns.length < 2) return null;
  const mean = returns.reduce((s, r) => s + r, 0) / returns.length;
  const variance = returns.reduce((s, r) => s + (r - mean) ** 2, 0) / (returns.length - 1);
  return Math.sqrt(variance * TRADING_DAYS);
}

async function historicalVolatility(broker: Broker, c: Contract, q: Omit<BarsQuery, 'whatToShow'>, nowMs: number): Promise<Bar[]> {
  const what = c.securityType === 'CASH' ? 'MIDPOINT' : 'TRADES';
  const bars = await broker.getHistoricalBars(c, { ...q, whatToShow: what });
  if (bars.length === 0) return [];
  // Daily closes from VOL_DAYS (plus weekends) before the first bar to the end of the window.
  const endMs = Math.min(Date.parse(q.endTime ?? new Date(nowMs).toISOString()), nowMs);
  const spanDays = Math.ceil((endMs - Date.parse(bars[0]?.time ?? '')) / 86_400_000) + Math.ceil((VOL_DAYS * 7) / 5) + 5;
  const duration = (spanDays > 365 ? `${Math.ceil(spanDays / 365)} Y` : `${spanDays} D`) as BarsQuery['duration'];
  const daily = await broker.getHistoricalBars(c, { barSize: '1 day', duration, whatToShow: what, useRth: true, endTime: new Date(endMs).toISOString() });
  const out: Bar[] = [];
  for (const b of bars) {
    const day = b.time.slice(0, 10);
    const before = daily.filter((d) => d.time.slice(0, 10) < day).slice(-VOL_DAYS).map((d) => d.close);
    const hv = stdevAnnualised([...before, b.close]);
    if (hv === null) continue;
    const v = Number(hv.toFixed(6));
    out.push({ time: b.time, open: v, high: v, low: v, close: v, ...notApplicable });
  }
  return out;
}

async function impliedVolatility(broker: Broker, c: Contract, q: Omit<BarsQuery, 'whatToShow'>): Promise<Bar[]> {
  const chain = await broker.getOptionChain(c, { strikesAroundSpot: 1 }).catch(() => null);
  const atm = chain?.options
    .filter((o) => o.impliedVolatility !== null)
    .sort((a, b) => Math.abs(a.strike - (chain.underlyingPrice ?? 0)) - Math.abs(b.strike - (chain.underlyingPrice ?? 0)))[0];
  if (!chain || !atm || atm.impliedVolatility === null) throw new NoDataError(`No data of type OPTION_IMPLIED_VOLATILITY: ${c.symbol} has no listed options`);
  const iv = Number(atm.impliedVolatility.toFixed(6));
  const bars = await broker.getHistoricalBars(c, { ...q, whatToShow: c.securityType === 'IND' || c.securityType === 'CASH' ? 'MIDPOINT' : 'TRADES' });
  return bars.map((b) => ({ time: b.time, open: iv, high: iv, low: iv, close: iv, ...notApplicable }));
}

/** Bars of one of the derived kinds. */
export async function derivedBars(broker: Broker, c: Contract, kind: string, q: Omit<BarsQuery, 'whatToShow'>, nowMs: number): Promise<Bar[]> {
  switch (kind) {
    case 'BID_ASK':
      return bidAsk(broker, c, q);
    case 'ADJUSTED_LAST':
      return broker.getHistoricalBars(c, { ...q, whatToShow: 'TRADES' });
    case 'HISTORICAL_VOLATILITY':
      return historicalVolatility(broker, c, q, nowMs);
    case 'OPTION_IMPLIED_VOLATILITY':
      return impliedVolatility(broker, c, q);
    default:
      throw new NoDataError(`No data of type ${kind}`);
  }
}
