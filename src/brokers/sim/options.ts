/**
 * Option pricing and chains for the simulator: Black-Scholes (European, no
 * dividends) with greeks, a volatility smile around the underlying's own
 * volatility, and IBKR-like listings (weekly Fridays for the next weeks plus
 * the monthly third Fridays, strikes on the usual grid around spot).
 */
import { hashString } from './random.js';
import { thirdFriday } from './catalogue.js';
import { dayRule, onOrBeforeTradingDay } from '../../core/exchange-calendar.js';
import { etToUtc, isoDateOfDay, toEt } from './sessions.js';

export const RISK_FREE_RATE = 0.04;
const YEAR_MS = 365 * 86_400_000;

/** Standard normal CDF (Hart / West, double precision to ~1e-15). */
export function normCdf(x: number): number {
  const z = Math.abs(x);
  let c: number;
  if (z > 37) c = 0;
  else {
    const e = Math.exp((-z * z) / 2);
    if (z < 7.07106781186547) {
      let n = 3.52624965998911e-2 * z + 0.700383064443688;
      n = n * z + 6.37396220353165;
      n = n * z + 33.912866078383;
      n = n * z + 112.079291497871;
      n = n * z + 221.213596169931;
      n = n * z + 220.206867912376;
      let d = 8.83883476483184e-2 * z + 1.75566716318264;
      d = d * z + 16.064177579207;
      d = d * z + 86.7807322029461;
      d = d * z + 296.564248779674;
      d = d * z + 637.333633378831;
      d = d * z + 793.826512519948;
      d = d * z + 440.413735824752;
      c = (e * n) / d;
    } else {
      const f = z + 1 / (z + 2 / (z + 3 / (z + 4 / (z + 0.65))));
      c = e / (f * 2.506628274631);
    }
  }
  return x <= 0 ? c : 1 - c;
}

export const normPdf = (x: number): number => Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);

export interface Greeks {
  price: number;
  delta: number;
  gamma: number;
  /** Per calendar day. */
  theta: number;
  /** Per 1 volatility point (0.01). */
  vega: number;
}

/** Black-Scholes price and greeks. At or after expiry (t <= 0) the option is worth its intrinsic value. */
export function blackScholes(right: 'C' | 'P', spot: number, strike: number, years: number, vol: number, rate = RISK_FREE_RATE): Greeks {
  if (years <= 0 || vol <= 0) {
    const intrinsic = right === 'C' ? Math.max(0, spot - strike) : Math.max(0, strike - spot);
    const itm = right === 'C' ? spot > strike : spot < strike;
    return { price: intrinsic, delta: itm ? (right === 'C' ? 1 : -1) : 0, gamma: 0, theta: 0, vega: 0 };
  }
  const sqrtT = Math.sqrt(years);
  const d1 = (Math.log(spot / strike) + (rate + (vol * vol) / 2) * years) / (vol * sqrtT);
  const d2 = d1 - vol * sqrtT;
  const discount = Math.exp(-rate * years);
  const gamma = normPdf(d1) / (spot * vol * sqrtT);
  const vega = (spot * normPdf(d1) * sqrtT) / 100;
  if (right === 'C') {
    const price = spot * normCdf(d1) - strike * discount * normCdf(d2);
    const theta = (-(spot * normPdf(d1) * vol) / (2 * sqrtT) - rate * strike * discount * normCdf(d2)) / 365;
    return { price, delta: normCdf(d1), gamma, theta, vega };
  }
  const price = strike * discount * normCdf(-d2) - spot * normCdf(-d1);
  const theta = (-(spot * normPdf(d1) * vol) / (2 * sqrtT) + rate * strike * discount * normCdf(-d2)) / 365;
  return { price, delta: normCdf(d1) - 1, gamma, theta, vega };
}

/** Implied volatility of a strike: the underlying's volatility with a put skew and a smile. */
export function smileVol(baseVol: number, spot: number, strike: number): number {
  const m = Math.log(strike / spot);
  return Math.min(3, Math.max(0.05, baseVol * (1 - 0.6 * m + 1.5 * m * m)));
}

export const yearsTo = (expiryMs: number, nowMs: number): number => Math.max(0, (expiryMs - nowMs) / YEAR_MS);

/** Options expire at the close of their expiry date: 16:00 ET, or NYSE's early close that day. */
export const optionExpiryMs = (isoDate: string): number => {
  const day = Math.floor(Date.parse(`${isoDate}T00:00:00Z`) / 86_400_000);
  return etToUtc(day, dayRule('NYSE', day).earlyClose ?? 16 * 60);
};

/** A Friday expiry that falls on an NYSE holiday moves to the trading day before it (Good Friday: the Thursday). */
const expiryFor = (friday: number): number => onOrBeforeTradingDay('NYSE', friday);

/** Expirations listed at `nowMs`: the next 4 weekly Fridays and the monthly third Fridays of the next 6 months. */
export function listedExpirations(nowMs: number): string[] {
  const today = toEt(nowMs);
  // An expiry is listed until its 16:00 ET close has passed.
  const firstDay = today.minute >= 16 * 60 ? today.day + 1 : today.day;
  const days = new Set<number>();
  let friday = firstDay;
  while ((((friday + 4) % 7) + 7) % 7 !== 5) friday++;
  for (let i = 0; i < 4; i++) days.add(expiryFor(friday + 7 * i));
  const d = new Date(firstDay * 86_400_000);
  for (let i = 0; i < 7; i++) {
    const y = d.getUTCFullYear() + Math.floor((d.getUTCMonth() + i) / 12);
    const m = ((d.getUTCMonth() + i) % 12) + 1;
    const tf = expiryFor(thirdFriday(y, m));
    if (tf >= firstDay) days.add(tf);
  }
  return [...days].sort((a, b) => a - b).slice(0, 10).map(isoDateOfDay);
}

/** Whether an expiry date is one the simulator lists (a week's Friday, or the trading day before a holiday Friday), whether or not still in the listed window. */
export function isListableExpiry(isoDate: string): boolean {
  const day = Math.floor(Date.parse(`${isoDate}T00:00:00Z`) / 86_400_000);
  if (!Number.isFinite(day)) return false;
  const weekday = (((day + 4) % 7) + 7) % 7;
  if (weekday < 1 || weekday > 5) return false;
  return expiryFor(day + (5 - weekday)) === day;
}

/** Underlyings whose options trade in pennies at every price (the Penny Interval Program's "all prices" names). */
const PENNY_ALL = new Set(['SPY', 'QQQ', 'IWM']);
/** Index options outside the Penny Interval Program. */
const NOT_PENNY = new Set(['SPX', 'NDX', 'VIX']);

/**
 * Minimum tick of a US option premium (OCC/Cboe rules as IBKR applies them): Penny Interval Program names
 * 0.01 under $3.00 and 0.05 from $3.00 (SPY, QQQ, IWM 0.01 at every price); the others 0.05 under $3.00 and 0.10 above.
 */
export function optionTick(underlying: string, price: number): number {
  if (PENNY_ALL.has(underlying)) return 0.01;
  const penny = !NOT_PENNY.has(underlying);
  if (price < 3) return penny ? 0.01 : 0.05;
  return penny ? 0.05 : 0.1;
}

/** Strike spacing by price level, as US listed options use. */
export function strikeIncrement(spot: number): number {
  if (spot < 25) return 0.5;
  if (spot < 200) return 1;
  if (spot < 500) return 2.5;
  if (spot < 1000) return 5;
  if (spot < 5000) return 10;
  return 25;
}

/** Strikes listed around a reference price (the first session's price keeps the grid stable through the day). */
export function listedStrikes(reference: number): number[] {
  const inc = strikeIncrement(reference);
  const lo = Math.ceil((reference * 0.6) / inc);
  const hi = Math.floor((reference * 1.4) / inc);
  const out: number[] = [];
  for (let k = lo; k <= hi; k++) out.push(Number((k * inc).toFixed(2)));
  return out;
}

export function isOnStrikeGrid(strike: number, reference: number): boolean {
  const inc = strikeIncrement(reference);
  const k = strike / inc;
  return Math.abs(k - Math.round(k)) < 1e-9 && strike >= reference * 0.3 && strike <= reference * 3;
}

/** A stable conId for an option: hashed from its terms into a range no listed instrument uses. */
export function optionConId(underlying: string, expiry: string, strike: number, right: 'C' | 'P'): number {
  return 700_000_000 + (hashString(`${underlying}|${expiry}|${strike.toFixed(3)}|${right}`) % 290_000_000);
}

/** OCC-style local symbol, e.g. "AAPL  260116C00230000". */
export function occSymbol(underlying: string, expiry: string, strike: number, right: 'C' | 'P'): string {
  const yymmdd = expiry.slice(2, 4) + expiry.slice(5, 7) + expiry.slice(8, 10);
  return `${underlying.padEnd(6, ' ')}${yymmdd}${right}${String(Math.round(strike * 1000)).padStart(8, '0')}`;
}
