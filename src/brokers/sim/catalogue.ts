/**
 * The simulated instrument catalogue.
 *
 * conIds of stocks, ETFs, indices and FX pairs are IBKR's real ones, so a
 * script written against the simulator finds the same instruments on a real
 * account. Futures months and options have no fixed ids here: theirs are
 * derived deterministically from the root and the expiry (and strike/right), in
 * ranges that do not collide with the listed ones.
 */
import type { Contract, SymbolSpec } from '../../core/models.js';
import { isTradingDay, onOrBeforeTradingDay } from '../../core/exchange-calendar.js';
import { isoDateOfDay, toEt, type Schedule } from './sessions.js';

export type InstrumentClass = 'equity' | 'index' | 'future' | 'fx' | 'option';

export interface MarginRule {
  /** Fraction of market value (equities, FX) ... */
  initialRate?: number;
  maintenanceRate?: number;
  /** ... or a fixed amount per contract (futures). */
  initialPerContract?: number;
  maintenancePerContract?: number;
}

/** One factor an instrument's log-price loads on: a seeded unit-volatility path (price-path.ts) and its annualised weight. */
export interface Factor {
  key: string;
  weight: number;
}

/** An instrument as the market model and the matching engine see it. */
export interface Instrument {
  contract: Contract;
  cls: InstrumentClass;
  schedule: Schedule;
  /** Key of the instrument's own noise (book sizes, volume); futures of one root and options share their underlying's. */
  pathKey: string;
  refPrice: number;
  /** log(price / refPrice) = sum of weight x factor path: one market for every instrument (see MARKET MODEL below). */
  factors: Factor[];
  /** Annualised volatility: the root of the summed squared factor weights. */
  vol: number;
  /** The quoted spread in ticks most of the time (it widens now and then, and outside regular hours). */
  spreadTicks: number;
  /** Displayed size at the touch ranges between these (units: shares, contracts, currency). */
  displayMin: number;
  displayMax: number;
  /** Sizes are multiples of this. */
  lot: number;
  avgDailyVolume: number;
  optionable: boolean;
  /** Futures: price = path x (1 + carry x years to expiry). */
  carry?: number;
  margin: MarginRule;
  option?: { underlying: Instrument; expiryMs: number; strike: number; right: 'C' | 'P' };
}

interface ListedDef {
  symbol: string;
  conId: number;
  primary: string;
  name: string;
  price: number;
  vol: number;
  etf?: boolean;
  adv: number;
  /** Sensitivity to the market factor (the S&P 500's moves). */
  beta?: number;
  /** The sector factor and the weight on it. */
  sector?: [SectorName, number];
  /** An ETF or index that follows an index: its price is the index's x ratio, less a tracking term. */
  tracks?: { index: string; ratio: number };
  /** Shares its idiosyncratic factor with another listing (GOOG and GOOGL are one company). */
  sameAs?: string;
  /** Spread in ticks on the touch for most seconds (liquid names: one tick). */
  spreadTicks?: number;
}

const STOCKS: ListedDef[] = [
  { symbol: 'AAPL', conId: 265598, primary: 'NASDAQ', name: 'APPLE INC', price: 230, vol: 0.26, adv: 55e6, beta: 1.1, sector: ['TECH', 0.1], spreadTicks: 1 },
  { symbol: 'MSFT', conId: 272093, primary: 'NASDAQ', name: 'MICROSOFT CORP', price: 420, vol: 0.24, adv: 22e6, beta: 1.05, sector: ['TECH', 0.1], spreadTicks: 1 },
  { symbol: 'NVDA', conId: 4815747, primary: 'NASDAQ', name: 'NVIDIA CORP', price: 135, vol: 0.5, adv: 250e6, beta: 1.6, sector: ['TECH', 0.15], spreadTicks: 1 },
  { symbol: 'TSLA', conId: 76792991, primary: 'NASDAQ', name: 'TESLA INC', price: 250, vol: 0.6, adv: 90e6, beta: 1.5, sector: ['CONSUMER', 0.1], spreadTicks: 1 },
  { symbol: 'AMZN', conId: 3691937, primary: 'NASDAQ', name: 'AMAZON.COM INC', price: 190, vol: 0.32, adv: 40e6, beta: 1.2, sector: ['CONSUMER', 0.1], spreadTicks: 1 },
  { symbol: 'GOOGL', conId: 208813719, primary: 'NASDAQ', name: 'ALPHABET INC-CL A', price: 170, vol: 0.3, adv: 25e6, beta: 1.1, sector: ['COMMS', 0.1], spreadTicks: 1 },
  { symbol: 'GOOG', conId: 208813720, primary: 'NASDAQ', name: 'ALPHABET INC-CL C', price: 172, vol: 0.3, adv: 18e6, beta: 1.1, sector: ['COMMS', 0.1], sameAs: 'GOOGL', spreadTicks: 1 },
  { symbol: 'META', conId: 107113386, primary: 'NASDAQ', name: 'META PLATFORMS INC-CLASS A', price: 560, vol: 0.38, adv: 14e6, beta: 1.2, sector: ['COMMS', 0.1], spreadTicks: 2 },
  { symbol: 'NFLX', conId: 15124833, primary: 'NASDAQ', name: 'NETFLIX INC', price: 700, vol: 0.38, adv: 4e6, beta: 1.0, sector: ['COMMS', 0.1], spreadTicks: 5 },
  { symbol: 'AMD', conId: 4391, primary: 'NASDAQ', name: 'ADVANCED MICRO DEVICES', price: 150, vol: 0.48, adv: 45e6, beta: 1.5, sector: ['TECH', 0.15], spreadTicks: 1 },
  { symbol: 'INTC', conId: 270639, primary: 'NASDAQ', name: 'INTEL CORP', price: 22, vol: 0.45, adv: 60e6, beta: 1.1, sector: ['TECH', 0.12], spreadTicks: 1 },
  { symbol: 'CSCO', conId: 268084, primary: 'NASDAQ', name: 'CISCO SYSTEMS INC', price: 55, vol: 0.2, adv: 18e6, beta: 0.9, sector: ['TECH', 0.06], spreadTicks: 1 },
  { symbol: 'ORCL', conId: 272800, primary: 'NYSE', name: 'ORACLE CORP', price: 170, vol: 0.35, adv: 9e6, beta: 1.0, sector: ['TECH', 0.1], spreadTicks: 2 },
  { symbol: 'IBM', conId: 8314, primary: 'NYSE', name: 'INTL BUSINESS MACHINES CORP', price: 210, vol: 0.22, adv: 4e6, beta: 0.8, sector: ['TECH', 0.06], spreadTicks: 3 },
  { symbol: 'JPM', conId: 1520593, primary: 'NYSE', name: 'JPMORGAN CHASE & CO', price: 220, vol: 0.22, adv: 9e6, beta: 1.0, sector: ['FINANCIALS', 0.1], spreadTicks: 1 },
  { symbol: 'BAC', conId: 10098, primary: 'NYSE', name: 'BANK OF AMERICA CORP', price: 42, vol: 0.25, adv: 35e6, beta: 1.1, sector: ['FINANCIALS', 0.12], spreadTicks: 1 },
  { symbol: 'XOM', conId: 13977, primary: 'NYSE', name: 'EXXON MOBIL CORP', price: 115, vol: 0.22, adv: 15e6, beta: 0.7, sector: ['ENERGY', 0.12], spreadTicks: 1 },
  { symbol: 'JNJ', conId: 8719, primary: 'NYSE', name: 'JOHNSON & JOHNSON', price: 155, vol: 0.16, adv: 7e6, beta: 0.5, sector: ['HEALTH', 0.06], spreadTicks: 1 },
  { symbol: 'WMT', conId: 13824, primary: 'NYSE', name: 'WALMART INC', price: 85, vol: 0.18, adv: 15e6, beta: 0.5, sector: ['STAPLES', 0.06], spreadTicks: 1 },
  { symbol: 'KO', conId: 8894, primary: 'NYSE', name: 'COCA-COLA CO/THE', price: 64, vol: 0.14, adv: 13e6, beta: 0.5, sector: ['STAPLES', 0.06], spreadTicks: 1 },
  { symbol: 'DIS', conId: 6459, primary: 'NYSE', name: 'WALT DISNEY CO/THE', price: 100, vol: 0.26, adv: 9e6, beta: 1.0, sector: ['COMMS', 0.08], spreadTicks: 1 },
  { symbol: 'V', conId: 49462172, primary: 'NYSE', name: 'VISA INC-CLASS A SHARES', price: 300, vol: 0.2, adv: 6e6, beta: 0.9, sector: ['FINANCIALS', 0.08], spreadTicks: 2 },
  { symbol: 'SPY', conId: 756733, primary: 'ARCA', name: 'SPDR S&P 500 ETF TRUST', price: 590, vol: 0.16, etf: true, adv: 60e6, tracks: { index: 'SPX', ratio: 0.1 }, spreadTicks: 1 },
  { symbol: 'QQQ', conId: 320227571, primary: 'NASDAQ', name: 'INVESCO QQQ TRUST SERIES 1', price: 510, vol: 0.2, etf: true, adv: 35e6, tracks: { index: 'NDX', ratio: 1 / 41.2 }, spreadTicks: 1 },
  { symbol: 'IWM', conId: 9579970, primary: 'ARCA', name: 'ISHARES RUSSELL 2000 ETF', price: 225, vol: 0.22, etf: true, adv: 30e6, beta: 1.1, sector: ['SMALLCAP', 0.12], spreadTicks: 1 },
  { symbol: 'DIA', conId: 73128548, primary: 'ARCA', name: 'SPDR DJIA TRUST', price: 430, vol: 0.15, etf: true, adv: 3e6, beta: 0.9, spreadTicks: 2 },
  { symbol: 'GLD', conId: 51529211, primary: 'ARCA', name: 'SPDR GOLD SHARES', price: 245, vol: 0.15, etf: true, adv: 8e6, beta: 0.05, sector: ['GOLD', 0.14], spreadTicks: 1 },
  { symbol: 'TLT', conId: 15547841, primary: 'NASDAQ', name: 'ISHARES 20+ YEAR TREASURY BD', price: 92, vol: 0.15, etf: true, adv: 35e6, beta: -0.1, sector: ['RATES', 0.14], spreadTicks: 1 },
];

const INDICES: ListedDef[] = [
  { symbol: 'SPX', conId: 416904, primary: 'CBOE', name: 'S&P 500 Stock Index', price: 5900, vol: 0.16, adv: 0, beta: 1 },
  { symbol: 'NDX', conId: 416843, primary: 'NASDAQ', name: 'NASDAQ 100 Stock Index', price: 21000, vol: 0.2, adv: 0, beta: 1, sector: ['TECH', 0.12] },
  { symbol: 'VIX', conId: 13455763, primary: 'CBOE', name: 'CBOE Volatility Index', price: 16, vol: 0.9, adv: 0, beta: -4.2 },
];

interface FutureDef {
  symbol: string;
  exchange: string;
  name: string;
  price: number;
  vol: number;
  multiplier: number;
  minTick: number;
  /** Listed contract months (1-12). */
  months: number[];
  expiryRule: 'third-friday' | 'cl' | 'third-last-business-day';
  conIdBase: number;
  rth: [number, number];
  margin: [number, number];
  adv: number;
  /** An index future: priced as the index x (1 + carry x years to expiry), so ES and MES are one price. */
  index?: string;
  /** A commodity future: its own factor weights. */
  factors?: Factor[];
  /** Annual cost of carry (rate less dividend yield for an index). */
  carry: number;
}

const QUARTERLY = [3, 6, 9, 12];
const FUTURES: FutureDef[] = [
  { symbol: 'ES', exchange: 'CME', name: 'E-mini S&P 500', price: 5950, vol: 0.16, multiplier: 50, minTick: 0.25, months: QUARTERLY, expiryRule: 'third-friday', conIdBase: 495_000_000, rth: [570, 960], margin: [22_000, 20_000], adv: 1.5e6, index: 'SPX', carry: 0.027 },
  { symbol: 'NQ', exchange: 'CME', name: 'E-mini Nasdaq-100', price: 21200, vol: 0.2, multiplier: 20, minTick: 0.25, months: QUARTERLY, expiryRule: 'third-friday', conIdBase: 496_000_000, rth: [570, 960], margin: [31_000, 28_000], adv: 6e5, index: 'NDX', carry: 0.033 },
  { symbol: 'MES', exchange: 'CME', name: 'Micro E-mini S&P 500', price: 5950, vol: 0.16, multiplier: 5, minTick: 0.25, months: QUARTERLY, expiryRule: 'third-friday', conIdBase: 497_000_000, rth: [570, 960], margin: [2_200, 2_000], adv: 1.2e6, index: 'SPX', carry: 0.027 },
  { symbol: 'CL', exchange: 'NYMEX', name: 'Light Sweet Crude Oil', price: 72, vol: 0.35, multiplier: 1000, minTick: 0.01, months: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], expiryRule: 'cl', conIdBase: 498_000_000, rth: [540, 870], margin: [6_500, 5_900], adv: 3e5, factors: [{ key: 'MKT', weight: 0.05 }, { key: 'SECTOR:ENERGY', weight: 0.34 }], carry: 0.04 },
  { symbol: 'GC', exchange: 'COMEX', name: 'Gold', price: 2650, vol: 0.15, multiplier: 100, minTick: 0.1, months: [2, 4, 6, 8, 10, 12], expiryRule: 'third-last-business-day', conIdBase: 499_000_000, rth: [500, 810], margin: [11_000, 10_000], adv: 2e5, factors: [{ key: 'SECTOR:GOLD', weight: 0.15 }], carry: 0.04 },
];

interface FxDef {
  symbol: string;
  conId: number;
  base: string;
  quote: string;
  price: number;
  minTick: number;
  /** Each pair against the dollar loads on its currency's factor (GBP partly on the euro's); a cross is the product of its two dollar pairs. */
  factors?: Factor[];
  cross?: [string, string];
}

const FX: FxDef[] = [
  { symbol: 'EUR.USD', conId: 12087792, base: 'EUR', quote: 'USD', price: 1.08, minTick: 0.00005, factors: [{ key: 'FX:EUR', weight: 0.07 }] },
  { symbol: 'GBP.USD', conId: 12087797, base: 'GBP', quote: 'USD', price: 1.27, minTick: 0.00005, factors: [{ key: 'FX:EUR', weight: 0.045 }, { key: 'FX:GBP', weight: 0.065 }] },
  { symbol: 'USD.JPY', conId: 15016059, base: 'USD', quote: 'JPY', price: 150, minTick: 0.005, factors: [{ key: 'FX:JPY', weight: 0.09 }] },
  // EUR.JPY = EUR.USD x USD.JPY at every instant (its reference and factors are the two pairs' product and sum).
  { symbol: 'EUR.JPY', conId: 14321016, base: 'EUR', quote: 'JPY', price: 0, minTick: 0.005, cross: ['EUR.USD', 'USD.JPY'] },
];

// ---------------------------------------------------------------------------
// MARKET MODEL: one market under every instrument.
//
// Equities load on the market factor (beta x MARKET_VOL), on their sector's
// factor and on their own idiosyncratic factor, whose weight makes up the
// listed volatility. SPX is the market factor itself; NDX is the market plus
// the tech sector. An ETF that tracks an index is the index x its ratio less a
// tracking term; an index future is the index x carry to expiry (ES and MES
// identical); an FX cross is the product of its dollar pairs. All factors are
// seeded paths (price-path.ts), so the whole market is deterministic per seed.
// ---------------------------------------------------------------------------

type SectorName = 'TECH' | 'CONSUMER' | 'COMMS' | 'FINANCIALS' | 'ENERGY' | 'HEALTH' | 'STAPLES' | 'SMALLCAP' | 'GOLD' | 'RATES';

/** Annualised volatility of the market factor (the S&P 500's). */
const MARKET_VOL = 0.16;
/** An index ETF's price is below index x ratio by its fees and dividend timing ... */
const TRACKING_DISCOUNT = 0.001;
/** ... and wanders from it by a little noise of its own (annualised). */
const TRACKING_NOISE = 0.002;

const volOf = (factors: Factor[]): number => Math.sqrt(factors.reduce((a, f) => a + f.weight * f.weight, 0));

function listedDef(symbol: string): ListedDef {
  const def = STOCKS.find((d) => d.symbol === symbol) ?? INDICES.find((d) => d.symbol === symbol);
  if (!def) throw new Error(`No listed definition for ${symbol}`);
  return def;
}

/** The factor weights and reference price of a stock, ETF or index. */
function listedModel(def: ListedDef): { factors: Factor[]; refPrice: number } {
  if (def.tracks) {
    const index = listedModel(listedDef(def.tracks.index));
    return {
      factors: [...index.factors, { key: `TRACK:${def.symbol}`, weight: TRACKING_NOISE }],
      refPrice: Number((index.refPrice * def.tracks.ratio * (1 - TRACKING_DISCOUNT)).toFixed(2)),
    };
  }
  const factors: Factor[] = [{ key: 'MKT', weight: (def.beta ?? 1) * MARKET_VOL }];
  if (def.sector) factors.push({ key: `SECTOR:${def.sector[0]}`, weight: def.sector[1] });
  const systematic = volOf(factors);
  const idio = Math.sqrt(Math.max(0, def.vol * def.vol - systematic * systematic));
  if (idio > 1e-6) factors.push({ key: `IDIO:${def.sameAs ?? def.symbol}`, weight: idio });
  return { factors, refPrice: def.price };
}

function fxModel(def: FxDef): { factors: Factor[]; refPrice: number } {
  if (def.cross) {
    const [a, b] = def.cross.map((sym) => {
      const leg = FX.find((f) => f.symbol === sym);
      if (!leg) throw new Error(`No FX pair ${sym}`);
      return fxModel(leg);
    });
    if (!a || !b) throw new Error(`FX cross ${def.symbol} needs two legs`);
    return { factors: [...a.factors, ...b.factors], refPrice: a.refPrice * b.refPrice };
  }
  return { factors: def.factors ?? [], refPrice: def.price };
}

function futureModel(def: FutureDef): { factors: Factor[]; refPrice: number } {
  if (def.index) return listedModel(listedDef(def.index));
  return { factors: def.factors ?? [], refPrice: def.price };
}

const MONTH_CODES = 'FGHJKMNQUVXZ';
const DAY_MS = 86_400_000;

const equitySchedule: Schedule = { kind: 'us-equity', rthOpen: 570, rthClose: 960 };
const indexSchedule: Schedule = { kind: 'us-index', rthOpen: 570, rthClose: 960 };
const fxSchedule: Schedule = { kind: 'idealpro', rthOpen: 570, rthClose: 960 };

function listedInstrument(def: ListedDef, cls: 'equity' | 'index'): Instrument {
  const contract: Contract = {
    conId: def.conId,
    symbol: def.symbol,
    securityType: cls === 'index' ? 'IND' : 'STK',
    exchange: cls === 'index' ? def.primary : 'SMART',
    primaryExchange: def.primary,
    currency: 'USD',
    localSymbol: def.symbol,
    tradingClass: cls === 'index' ? def.symbol : def.primary === 'NYSE' ? def.symbol : 'NMS',
    description: def.etf ? `${def.name} (ETF)` : def.name,
    multiplier: 1,
    minTick: 0.01,
  };
  const model = listedModel(def);
  return {
    contract,
    cls,
    schedule: cls === 'index' ? indexSchedule : equitySchedule,
    pathKey: def.symbol,
    refPrice: model.refPrice,
    factors: model.factors,
    vol: volOf(model.factors),
    spreadTicks: def.spreadTicks ?? 2,
    displayMin: 100,
    displayMax: def.adv > 20e6 ? 2000 : 800,
    lot: 100,
    avgDailyVolume: def.adv,
    optionable: cls === 'equity' || def.symbol !== 'VIX',
    margin: { initialRate: 0.5, maintenanceRate: 0.25 },
  };
}

function fxInstrument(def: FxDef): Instrument {
  const model = fxModel(def);
  return {
    contract: {
      conId: def.conId,
      symbol: def.symbol,
      securityType: 'CASH',
      exchange: 'IDEALPRO',
      currency: def.quote,
      localSymbol: def.symbol,
      tradingClass: def.symbol,
      description: `${def.base}/${def.quote} spot`,
      multiplier: 1,
      minTick: def.minTick,
    },
    cls: 'fx',
    schedule: fxSchedule,
    pathKey: def.symbol,
    refPrice: model.refPrice,
    factors: model.factors,
    vol: volOf(model.factors),
    spreadTicks: def.cross ? 2 : 1,
    displayMin: 1_000_000,
    displayMax: 10_000_000,
    lot: 1_000_000,
    avgDailyVolume: 0,
    optionable: false,
    margin: { initialRate: 0.03, maintenanceRate: 0.025 },
  };
}

// ---------------------------------------------------------------------------
// Futures expiries
// ---------------------------------------------------------------------------

const utcDay = (y: number, m1: number, d: number): number => Math.floor(Date.UTC(y, m1 - 1, d) / DAY_MS);
const weekdayOf = (day: number): number => (((day + 4) % 7) + 7) % 7;
/** CME's business days (core/exchange-calendar.ts): expiry rules count them, and an expiry on a holiday moves before it. */
const isBusinessDay = (day: number): boolean => isTradingDay('CME', day);

export function thirdFriday(year: number, month1: number): number {
  const first = utcDay(year, month1, 1);
  const offset = (5 - weekdayOf(first) + 7) % 7;
  return first + offset + 14;
}

/** Last trading day (days since epoch) of a futures contract month. */
function futureExpiryDay(def: FutureDef, year: number, month1: number): number {
  switch (def.expiryRule) {
    case 'third-friday':
      return onOrBeforeTradingDay('CME', thirdFriday(year, month1));
    case 'cl': {
      // CL: three business days before the 25th of the month before the contract month.
      let day = utcDay(month1 === 1 ? year - 1 : year, month1 === 1 ? 12 : month1 - 1, 25);
      if (!isBusinessDay(day)) while (!isBusinessDay(day)) day--;
      for (let n = 0; n < 3; ) {
        day--;
        if (isBusinessDay(day)) n++;
      }
      return day;
    }
    case 'third-last-business-day': {
      let day = utcDay(month1 === 12 ? year + 1 : year, month1 === 12 ? 1 : month1 + 1, 1);
      for (let n = 0; n < 3; ) {
        day--;
        if (isBusinessDay(day)) n++;
      }
      return day;
    }
  }
}

function futureInstrument(def: FutureDef, year: number, month1: number): Instrument {
  const expiryDay = futureExpiryDay(def, year, month1);
  const local = `${def.symbol}${MONTH_CODES[month1 - 1] ?? ''}${year % 10}`;
  const model = futureModel(def);
  return {
    contract: {
      conId: def.conIdBase + (year - 2000) * 100 + month1,
      symbol: def.symbol,
      securityType: 'FUT',
      exchange: def.exchange,
      currency: 'USD',
      localSymbol: local,
      tradingClass: def.symbol,
      description: `${def.name} ${local}`,
      expiry: isoDateOfDay(expiryDay),
      multiplier: def.multiplier,
      minTick: def.minTick,
    },
    cls: 'future',
    schedule: { kind: 'globex', rthOpen: def.rth[0], rthClose: def.rth[1] },
    pathKey: def.symbol,
    refPrice: model.refPrice,
    factors: model.factors,
    vol: volOf(model.factors),
    spreadTicks: 1,
    displayMin: 5,
    displayMax: 60,
    lot: 1,
    avgDailyVolume: def.adv,
    optionable: false,
    carry: def.carry,
    margin: { initialPerContract: def.margin[0], maintenancePerContract: def.margin[1] },
  };
}

/** Listed months from the one expiring on or after `fromDay`, as many as asked. */
function listedFutures(def: FutureDef, fromDay: number, count: number): Instrument[] {
  const out: Instrument[] = [];
  const start = new Date(fromDay * DAY_MS);
  let year = start.getUTCFullYear();
  let month = start.getUTCMonth() + 1;
  for (let guard = 0; out.length < count && guard < 60; guard++) {
    if (def.months.includes(month)) {
      const inst = futureInstrument(def, year, month);
      if (futureExpiryDay(def, year, month) >= fromDay) out.push(inst);
    }
    month++;
    if (month > 12) {
      month = 1;
      year++;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Lookup
// ---------------------------------------------------------------------------

export class Catalogue {
  private readonly byConId = new Map<number, Instrument>();
  private readonly bySymbol = new Map<string, Instrument[]>();

  constructor() {
    for (const def of STOCKS) this.add(listedInstrument(def, 'equity'), def.etf === true);
    for (const def of INDICES) this.add(listedInstrument(def, 'index'), false);
    for (const def of FX) this.add(fxInstrument(def), false);
  }

  private readonly etfs = new Set<number>();

  private add(inst: Instrument, etf: boolean): void {
    this.byConId.set(inst.contract.conId, inst);
    const list = this.bySymbol.get(inst.contract.symbol) ?? [];
    list.push(inst);
    this.bySymbol.set(inst.contract.symbol, list);
    if (etf) this.etfs.add(inst.contract.conId);
  }

  /** Every listed (non-derivative) instrument. */
  listed(): Instrument[] {
    return [...this.byConId.values()];
  }

  isEtf(conId: number): boolean {
    return this.etfs.has(conId);
  }

  listedByConId(conId: number): Instrument | undefined {
    return this.byConId.get(conId);
  }

  listedBySymbol(symbol: string): Instrument[] {
    return this.bySymbol.get(symbol) ?? [];
  }

  futureRoot(symbol: string): FutureDef | undefined {
    return FUTURES.find((f) => f.symbol === symbol);
  }

  /** The futures months listed at `nowMs`: the front month first. */
  futuresListed(symbol: string, nowMs: number, count = 4): Instrument[] {
    const def = this.futureRoot(symbol);
    if (!def) return [];
    return listedFutures(def, toEt(nowMs).day, count);
  }

  /** A futures contract by root and month (any month, listed now or not, so old positions still price). */
  futureByMonth(symbol: string, year: number, month1: number): Instrument | undefined {
    const def = this.futureRoot(symbol);
    if (!def || !def.months.includes(month1)) return undefined;
    return futureInstrument(def, year, month1);
  }

  /** Resolves a futures conId made by futureInstrument back to its instrument. */
  futureByConId(conId: number): Instrument | undefined {
    for (const def of FUTURES) {
      const rest = conId - def.conIdBase;
      if (rest <= 0 || rest >= 1_000_000) continue;
      const year = 2000 + Math.floor(rest / 100);
      const month = rest % 100;
      if (month >= 1 && month <= 12 && def.months.includes(month)) return futureInstrument(def, year, month);
    }
    return undefined;
  }

  /** The symbols every asset class lists, for documentation and the CLI. */
  symbols(): { stocks: string[]; etfs: string[]; indices: string[]; futures: string[]; fx: string[] } {
    return {
      stocks: STOCKS.filter((s) => !s.etf).map((s) => s.symbol),
      etfs: STOCKS.filter((s) => s.etf).map((s) => s.symbol),
      indices: INDICES.map((s) => s.symbol),
      futures: FUTURES.map((f) => f.symbol),
      fx: FX.map((f) => f.symbol),
    };
  }
}

/** How an FX spec may name a pair: "EUR.USD", "EURUSD", or "EUR" with currency USD. */
export function fxSymbolCandidates(spec: SymbolSpec): string[] {
  const s = spec.symbol.replace('/', '.');
  if (s.includes('.')) return [s];
  if (s.length === 6) return [`${s.slice(0, 3)}.${s.slice(3)}`];
  if (spec.currency) return [`${s}.${spec.currency}`];
  return FX.filter((f) => f.base === s).map((f) => f.symbol);
}
