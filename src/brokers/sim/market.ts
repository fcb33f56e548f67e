/**
 * The simulated market: prices, the book, volume, bars and quotes of every
 * instrument, all read from one seeded random path per instrument root
 * (price-path.ts), so the price at any second is a pure function of (seed,
 * instrument, time): history, live quotes and the matching engine all read
 * the same path, and two runs with one seed see the same market. While a
 * market is closed its price is frozen at the last instant it traded. Which
 * bar requests IBKR accepts is decided in bar-requests.ts.
 */
import type { Bar, BarSize, Quote, WhatToShow } from '../../core/models.js';
import { MarketDataError } from '../../core/errors.js';
import { BAR_SECONDS, checkBarRequest, durationSeconds } from './bar-requests.js';
import type { Instrument } from './catalogue.js';
import { blackScholes, optionTick, RISK_FREE_RATE, smileVol, yearsTo, type Greeks } from './options.js';
import { Memo, PricePath } from './price-path.js';
import { isoTime } from './iso-time.js';
import { uniform } from './random.js';
import { roundTick } from './tick-rounding.js';
import {
  etToUtc,
  isoDateOfDay,
  lastTradingInstant,
  phaseAt,
  regularWindow,
  toEt,
  tradingWindow,
  type SessionMode,
  type SessionPhase,
  type Window,
} from './sessions.js';

const DAY_MS = 86_400_000;
const FIVE_MIN_MS = 300_000;

export interface Touch {
  time: number;
  phase: SessionPhase;
  mid: number;
  /** Last trade, rounded to the tick. */
  last: number;
  bid: number;
  ask: number;
  bidSize: number;
  askSize: number;
  tick: number;
}

export { roundTick } from './tick-rounding.js';

export class Market {
  private readonly path: PricePath;
  /**
   * Memos of pure functions of (seed, mode, instrument, time); the market is
   * a pure function of those, so caching never changes a price. Quotes ask for
   * the same seconds (the day's OHLC samples, the volume buckets) again and again.
   */
  /** Running volume totals from a fixed start over whole buckets: `volumeBetween`'s own fold, kept and reused. */
  private readonly volumePrefixes = new WeakMap<Instrument, Memo<number, number[]>>();
  /** The fair price rounded to the tick per instant (TRADES and MIDPOINT bars, and quotes' OHLC). */
  private readonly tradePrices = new WeakMap<Instrument, Memo<number, number>>();
  /** The last quote per instrument and the instant it was made for (quotes are pure in (instrument, t)). */
  private readonly lastQuotes = new WeakMap<Instrument, { t: number; quote: Readonly<Quote> }>();
  /** The last quote's day-range sample instants and their prices, per instrument (see dayRange). */
  private readonly daySamples = new WeakMap<Instrument, DaySamples>();
  /**
   * The last touch per instrument and its instant (a touch is pure in (instrument, t)): one order asks for the
   * same instant's touch several times (admission, matching, margin, valuation), each a new object and its numbers.
   */
  private readonly lastTouches = new WeakMap<Instrument, Readonly<Touch>>();
  /** noiseHash per instrument: building and hashing the key string cost more than the rest of a touch. */
  private readonly noiseHashes = new WeakMap<Instrument, number>();
  /** The last partial bucket's volume per instrument: a quote per millisecond asks for the same bucket ~300,000 times. */
  private readonly lastBuckets = new WeakMap<Instrument, { start: number; volume: number }>();
  /** The previous close per instrument and the New York day it was asked on (a pure function of the two). */
  private readonly previousCloses = new WeakMap<Instrument, { day: number; close: number | null }>();

  constructor(
    readonly seed: number,
    readonly mode: SessionMode,
  ) {
    this.path = new PricePath(seed);
  }

  private keyHash(key: string): number {
    return this.path.keyHash(key);
  }

  /** The key of an instrument's own noise (spread, sizes, volume): its path key and conId, hashed once per instrument. */
  private noiseHash(inst: Instrument): number {
    let h = this.noiseHashes.get(inst);
    if (h === undefined) {
      h = this.keyHash(inst.pathKey + String(inst.contract.conId));
      this.noiseHashes.set(inst, h);
    }
    return h;
  }

  /** The instant whose price applies at `t`: `t` itself while trading, else the last instant the market traded. */
  effectiveTime(inst: Instrument, t: number): number {
    return lastTradingInstant(inst.schedule, this.mode, t);
  }

  /** Unrounded fair price (mid) of an instrument at `t`. */
  fair(inst: Instrument, t: number): number {
    const eff = this.effectiveTime(inst, t);
    const tSec = Math.floor(eff / 1000);
    if (inst.option) return this.greeks(inst, eff).price;
    let x = 0;
    for (const f of inst.factors) x += f.weight * this.path.unit(f.key, tSec);
    const p = inst.refPrice * Math.exp(x);
    if (inst.cls === 'future' && inst.contract.expiry) {
      const expiry = Date.parse(`${inst.contract.expiry}T21:00:00Z`);
      return p * (1 + (inst.carry ?? 0) * yearsTo(expiry, eff));
    }
    return p;
  }

  /** Black-Scholes value and greeks of an option instrument at `t`. */
  greeks(inst: Instrument, t: number): Greeks & { iv: number; underlying: number } {
    const o = inst.option;
    if (!o) throw new Error('greeks() needs an option instrument');
    const eff = this.effectiveTime(inst, t);
    const spot = this.fair(o.underlying, eff);
    const iv = smileVol(o.underlying.vol, spot, o.strike);
    return { ...blackScholes(o.right, spot, o.strike, yearsTo(o.expiryMs, eff), iv, RISK_FREE_RATE), iv, underlying: spot };
  }

  /** Top of book at `t`: what the matching engine trades against. Shared between callers asking for the same instant: read-only. */
  touch(inst: Instrument, t: number): Readonly<Touch> {
    const last = this.lastTouches.get(inst);
    if (last !== undefined && last.time === t) return last;
    const touch = this.computeTouch(inst, t);
    this.lastTouches.set(inst, touch);
    return touch;
  }

  private computeTouch(inst: Instrument, t: number): Readonly<Touch> {
    let tick = inst.contract.minTick;
    const phase = phaseAt(inst.schedule, this.mode, t);
    const eff = this.effectiveTime(inst, t);
    const mid = this.fair(inst, t);
    let bid = 0;
    let ask = 0;
    if (inst.cls === 'option') {
      // Each side on the tick its own price allows (0.01 / 0.05 / 0.10 by premium and program, see optionTick).
      const half = Math.max(0.01, mid * 0.015);
      const und = inst.option?.underlying.contract.symbol ?? '';
      const bidTick = optionTick(und, mid - half);
      const askTick = optionTick(und, mid + half);
      bid = Math.max(0, roundTick(mid - half, bidTick, 'down'));
      ask = Math.max(askTick, roundTick(mid + half, askTick, 'up'));
      tick = Math.max(bidTick, askTick);
    }
    const h = this.noiseHash(inst);
    const sec = Math.floor(eff / 1000);
    if (inst.cls !== 'option') {
      // A whole number of ticks around the mid: the catalogue's spread most seconds, a tick wider one second in six,
      // three times as wide outside regular hours, when the book is thin.
      let ticks = inst.spreadTicks + (uniform(this.seed, h, 7, sec) < 1 / 6 ? 1 : 0);
      if (phase !== 'regular') ticks *= 3;
      bid = roundTick(mid - (ticks * tick) / 2, tick);
      ask = roundTick(bid + ticks * tick, tick);
    }
    if (ask <= bid) ask = roundTick(bid + tick, tick);
    const lots = (u: number): number => {
      const steps = Math.max(1, Math.floor((inst.displayMax - inst.displayMin) / inst.lot) + 1);
      const size = inst.displayMin + Math.floor(u * steps) * inst.lot;
      // Outside regular hours the book is thinner.
      return phase === 'regular' ? size : Math.max(inst.lot, Math.floor(size / 4 / inst.lot) * inst.lot);
    };
    return {
      time: t,
      phase,
      mid,
      last: Math.min(ask, Math.max(bid, roundTick(mid, tick))),
      bid,
      ask,
      bidSize: lots(uniform(this.seed, h, 3, sec)),
      askSize: lots(uniform(this.seed, h, 4, sec)),
      tick,
    };
  }

  // -------------------------------------------------------------------------
  // Volume
  // -------------------------------------------------------------------------

  /** Shares (contracts) traded in the 5-minute bucket starting at `bucketStart`. */
  private bucketVolume(inst: Instrument, bucketStart: number): number {
    if (inst.avgDailyVolume <= 0 || inst.cls === 'index' || inst.cls === 'fx') return 0;
    const phase = phaseAt(inst.schedule, this.mode, bucketStart);
    if (phase === 'closed') return 0;
    const et = toEt(bucketStart);
    const { rthOpen, rthClose } = inst.schedule;
    const inRth = et.minute >= rthOpen && et.minute < rthClose;
    const noise = 0.5 + uniform(this.seed, this.noiseHash(inst), 5, Math.floor(bucketStart / FIVE_MIN_MS));
    const adv = inst.cls === 'option' ? 500 : inst.avgDailyVolume;
    if (inRth) {
      const buckets = (rthClose - rthOpen) / 5;
      const u = ((et.minute - rthOpen) / (rthClose - rthOpen)) * 2 - 1;
      // U-shaped intraday profile: busy at the open and the close, normalised to average 1.
      const shape = (0.6 + 1.6 * u * u) / (0.6 + 1.6 / 3);
      return (adv * 0.9 * shape * noise) / buckets;
    }
    return (adv * 0.1 * noise) / 114;
  }

  /** bucketVolume of the bucket a running total ends in: the same bucket for five minutes of quotes, so the last one is kept. */
  private partialBucketVolume(inst: Instrument, bucketStart: number): number {
    const kept = this.lastBuckets.get(inst);
    if (kept?.start === bucketStart) return kept.volume;
    const volume = this.bucketVolume(inst, bucketStart);
    if (kept) {
      kept.start = bucketStart;
      kept.volume = volume;
    } else {
      this.lastBuckets.set(inst, { start: bucketStart, volume });
    }
    return volume;
  }

  /** Volume traded in [from, to), exact sum of bucket volumes with partial buckets pro rata. */
  volumeBetween(inst: Instrument, from: number, to: number): number {
    if (to <= from) return 0;
    const first = Math.floor(from / FIVE_MIN_MS) * FIVE_MIN_MS;
    // Buckets that end by `to` add the same terms whatever `to` is: their running total is cached per
    // (instrument, from) and extended on demand, so the sum (same terms, same order) is bit-for-bit the loop's.
    const whole = Math.floor((to - first) / FIVE_MIN_MS);
    let memo = this.volumePrefixes.get(inst);
    if (!memo) {
      memo = new Memo(64);
      this.volumePrefixes.set(inst, memo);
    }
    let prefix = memo.get(from);
    if (!prefix) {
      prefix = [0];
      memo.set(from, prefix);
    }
    for (let j = prefix.length - 1; j < whole; j++) {
      const b = first + j * FIVE_MIN_MS;
      const lo = Math.max(b, from);
      const hi = b + FIVE_MIN_MS;
      prefix.push((prefix[j] ?? 0) + (this.bucketVolume(inst, b) * (hi - lo)) / FIVE_MIN_MS);
    }
    let total = prefix[whole] ?? 0;
    const b = first + whole * FIVE_MIN_MS;
    if (b < to) {
      const lo = Math.max(b, from);
      const hi = Math.min(b + FIVE_MIN_MS, to);
      if (hi > lo) total += (this.partialBucketVolume(inst, b) * (hi - lo)) / FIVE_MIN_MS;
    }
    return Math.round(total / inst.lot) * inst.lot;
  }

  // -------------------------------------------------------------------------
  // Bars
  // -------------------------------------------------------------------------

  private priceFor(inst: Instrument, t: number, what: WhatToShow): number {
    if (what === 'TRADES' || what === 'MIDPOINT') {
      // The day's OHLC samples sit on whole seconds that move only as the day goes on: each quote asks for
      // nearly the same fifty instants as the one before.
      let memo = this.tradePrices.get(inst);
      if (!memo) {
        memo = new Memo(1024);
        this.tradePrices.set(inst, memo);
      }
      let price = memo.get(t);
      if (price === undefined) {
        price = roundTick(this.fair(inst, t), inst.contract.minTick);
        memo.set(t, price);
      }
      return price;
    }
    const touch = this.touch(inst, t);
    return what === 'BID' ? touch.bid : touch.ask;
  }

  /** OHLC of [from, to] sampled at `samples` evenly spaced instants plus the ends. */
  private ohlc(inst: Instrument, from: number, to: number, what: WhatToShow, samples: number): { open: number; high: number; low: number; close: number } {
    const open = this.priceFor(inst, from, what);
    const close = this.priceFor(inst, to, what);
    let high = Math.max(open, close);
    let low = Math.min(open, close);
    const n = sampleCount(from, to, samples);
    for (let i = 1; i <= n; i++) {
      const p = this.priceFor(inst, sampleAt(from, to, n, i), what);
      if (p > high) high = p;
      if (p < low) low = p;
    }
    return { open, high, low, close };
  }

  /**
   * The quote's day bar: what `ohlc(inst, from, to, 'TRADES', 48)` returns (the same instants, so the same
   * prices). The last quote's instants and prices are kept: as the day goes on an instant moves only when
   * its spacing crosses a whole second, so a quote reads the prices of the few instants that moved.
   */
  private dayRange(inst: Instrument, from: number, to: number): { open: number; high: number; low: number } {
    const open = this.priceFor(inst, from, 'TRADES');
    const close = this.priceFor(inst, to, 'TRADES');
    const n = sampleCount(from, to, DAY_BAR_SAMPLES);
    let kept = this.daySamples.get(inst);
    if (!kept || kept.from !== from || kept.instants.length !== n) {
      kept = { from, instants: [], prices: [], validFrom: 0, validUntil: 0, high: -Infinity, low: Infinity };
      this.daySamples.set(inst, kept);
    }
    // Every instant stays put from validFrom until validUntil (sampleAt only grows with `to`), so a quote a
    // millisecond after the last one reads the interior's range as it was: about 24 instants move a second.
    if (to < kept.validFrom || to >= kept.validUntil) {
      let high = -Infinity;
      let low = Infinity;
      let until = Infinity;
      for (let i = 1; i <= n; i++) {
        const at = sampleAt(from, to, n, i);
        let p = kept.prices[i - 1];
        if (kept.instants[i - 1] !== at || p === undefined) {
          p = this.priceFor(inst, at, 'TRADES');
          kept.instants[i - 1] = at;
          kept.prices[i - 1] = p;
        }
        if (p > high) high = p;
        if (p < low) low = p;
        until = Math.min(until, sampleMovesAt(from, to, n, i));
      }
      kept.validFrom = to;
      kept.validUntil = until;
      kept.high = high;
      kept.low = low;
    }
    return { open, high: Math.max(open, close, kept.high), low: Math.min(open, close, kept.low) };
  }

  /** The windows bars are drawn from on trading day `day`, on the calendar of `mode` (the market's own by default). */
  private barWindow(inst: Instrument, day: number, useRth: boolean, mode: SessionMode = this.mode): Window | null {
    // Under always-open every hour is a regular hour, so useRth keeps the whole day.
    if (useRth && mode === 'real') return regularWindow(inst.schedule, mode, day);
    return tradingWindow(inst.schedule, mode, day);
  }

  /**
   * The calendar a bar request is drawn on. Daily, weekly and monthly bars are the exchange's sessions in
   * every mode, as IBKR's are: always-open (which lets orders trade at any hour) would otherwise make a bar
   * of every calendar day, and a 3-month chart would have 94 bars where the same request on real sessions
   * has the 63-66 the exchange traded. Intraday bars follow the hours the market is simulated to trade.
   */
  private historyMode(barSize: BarSize | undefined): SessionMode {
    return barSize !== undefined && BAR_SECONDS[barSize] >= 86_400 ? 'real' : this.mode;
  }

  private makeBar(inst: Instrument, time: number, from: number, to: number, what: WhatToShow, samples: number): Bar {
    const { open, high, low, close } = this.ohlc(inst, from, to, what, samples);
    const volume = what === 'TRADES' ? this.volumeBetween(inst, from, to) : 0;
    const tick = inst.contract.minTick;
    return {
      time: new Date(time).toISOString(),
      open,
      high,
      low,
      close,
      volume,
      wap: roundTick((high + low + close) / 3, tick / 100),
      barCount: Math.round(volume / Math.max(1, inst.lot)),
    };
  }

  /** Daily bars for trading days in [fromMs, toMs], each cut at toMs if still in progress. */
  private dailyBars(inst: Instrument, fromMs: number, toMs: number, useRth: boolean, what: WhatToShow, mode: SessionMode = this.mode): Array<Bar & { day: number }> {
    const out: Array<Bar & { day: number }> = [];
    const firstDay = toEt(fromMs).day;
    const lastDay = toEt(toMs).day + 1;
    for (let day = firstDay; day <= lastDay; day++) {
      const w = this.barWindow(inst, day, useRth, mode);
      if (!w || w.start >= toMs || w.end <= fromMs) continue;
      const end = Math.min(w.end, toMs);
      out.push({ ...this.makeBar(inst, day * DAY_MS, w.start, end, what, DAY_BAR_SAMPLES), day });
    }
    return out;
  }

  /**
   * Where a bar request's window begins: "N D" means the last N sessions, as IBKR counts it (a weekend or
   * holiday is not a day of data); seconds, W, M and Y are spans of time back from the end.
   */
  requestStart(inst: Instrument, query: { duration: string; useRth: boolean; endMs: number; barSize?: BarSize }, nowMs: number): number {
    const end = Math.min(query.endMs, nowMs);
    const sessions = /^(\d+) D$/i.exec(query.duration.trim());
    return sessions ? this.sessionsBack(inst, end, Number(sessions[1]), query.useRth, this.historyMode(query.barSize)) : end - durationSeconds(query.duration) * 1000;
  }

  /** Start of the `n`-th last session (trading window, or regular with useRth) that began before `end`. */
  private sessionsBack(inst: Instrument, end: number, n: number, useRth: boolean, mode: SessionMode): number {
    let found = 0;
    let start = end;
    let day = toEt(end).day + 1;
    for (let guard = 0; guard < n * 3 + 14 && found < n; guard++, day--) {
      const w = this.barWindow(inst, day, useRth, mode);
      if (!w || w.start >= end) continue;
      start = w.start;
      found++;
    }
    return start;
  }

  /** Historical bars ending at `endMs` (clamped to `nowMs`: there is no future data). */
  bars(inst: Instrument, query: { barSize: BarSize; duration: string; whatToShow: WhatToShow; useRth: boolean; endMs: number }, nowMs: number): Bar[] {
    const refused = checkBarRequest(query.duration, query.barSize);
    if (refused) throw new MarketDataError(refused, 'HISTORICAL_DATA_ERROR', { barSize: query.barSize, duration: query.duration });
    if (inst.cls === 'fx' && query.whatToShow === 'TRADES') {
      throw new MarketDataError('No TRADES data for IDEALPRO FX (IBKR error 162); use whatToShow MIDPOINT, BID or ASK', 'HISTORICAL_DATA_ERROR');
    }
    if (inst.cls === 'index' && (query.whatToShow === 'BID' || query.whatToShow === 'ASK')) {
      throw new MarketDataError('Indices have no BID/ASK data; use whatToShow TRADES or MIDPOINT', 'HISTORICAL_DATA_ERROR');
    }
    const end = Math.min(query.endMs, nowMs);
    const start = this.requestStart(inst, query, nowMs);
    const barMs = BAR_SECONDS[query.barSize] * 1000;
    const what = query.whatToShow;

    const calendar = this.historyMode(query.barSize);
    if (query.barSize === '1 day') return this.dailyBars(inst, start, end, query.useRth, what, calendar).map(stripDay);
    if (query.barSize === '1 week' || query.barSize === '1 month') {
      const daily = this.dailyBars(inst, start, end, query.useRth, what, calendar);
      const groups = new Map<number, Array<Bar & { day: number }>>();
      for (const b of daily) {
        const key = query.barSize === '1 week' ? b.day - ((toEt(b.day * DAY_MS + 43_200_000).weekday + 6) % 7) : monthStartDay(b.day);
        const g = groups.get(key) ?? [];
        g.push(b);
        groups.set(key, g);
      }
      // IBKR dates a weekly or monthly bar by the last session it contains (a week's Friday, or its Thursday before Good Friday).
      return [...groups.values()].map((g) => aggregate((g[g.length - 1]?.day ?? 0) * DAY_MS, g));
    }

    const out: Bar[] = [];
    const samples = Math.min(30, Math.max(0, barMs / 1000 - 1));
    const firstDay = toEt(start).day;
    const lastDay = toEt(end).day + 1;
    for (let day = firstDay; day <= lastDay; day++) {
      const w = this.barWindow(inst, day, query.useRth);
      if (!w) continue;
      const lo = Math.max(w.start, start);
      const hi = Math.min(w.end, end);
      if (hi <= lo) continue;
      // Bars sit on their size's grid (a 5-minute bar starts at :00, :05, ...), cut only by the session's own edges.
      for (let b = Math.floor(lo / barMs) * barMs; b < hi; b += barMs) {
        const from = Math.max(b, w.start);
        const to = Math.min(b + barMs, hi);
        if (to <= from) continue;
        const last = out[out.length - 1];
        // A bar that straddles two trading days' windows (always-open midnight) is emitted once.
        if (last && Date.parse(last.time) >= from) continue;
        out.push(this.makeBar(inst, from, from, to, what, samples));
      }
    }
    return out;
  }

  // -------------------------------------------------------------------------
  // Quotes
  // -------------------------------------------------------------------------

  /**
   * A full quote snapshot: the touch plus the day's open/high/low, the previous close and the day's volume.
   * Frozen and shared: every caller asking for the same instant gets the same object, so nobody can change
   * what the next one reads, and the API writes its JSON once per instant (api/serializer.ts remembers the
   * last frozen answer it wrote).
   */
  quote(inst: Instrument, t: number): Readonly<Quote> {
    const last = this.lastQuotes.get(inst);
    if (last && last.t === t) return last.quote;
    const quote = Object.freeze(this.computeQuote(inst, t));
    if (last) {
      last.t = t;
      last.quote = quote;
    } else {
      this.lastQuotes.set(inst, { t, quote });
    }
    return quote;
  }

  private computeQuote(inst: Instrument, t: number): Quote {
    const touch = this.touch(inst, t);
    const today = toEt(t).day;
    const useRth = true;
    let open: number | null = null;
    let high: number | null = null;
    let low: number | null = null;
    const w = this.barWindow(inst, today, useRth);
    // Today's daily bar so far (dailyBars' bar for today, cut at t), when today's session has begun.
    if (w && w.start < t && w.end > w.start) {
      const todayBar = this.dayRange(inst, w.start, Math.min(w.end, t));
      open = todayBar.open;
      high = Math.max(todayBar.high, touch.last);
      low = Math.min(todayBar.low, touch.last);
    }
    const close = this.previousClose(inst, t);
    const tw = tradingWindow(inst.schedule, this.mode, today);
    const volume = inst.cls === 'index' || inst.cls === 'fx' ? null : tw && tw.start < t ? this.volumeBetween(inst, tw.start, Math.min(t, tw.end)) : 0;
    const isIndex = inst.cls === 'index';
    const isFx = inst.cls === 'fx';
    const h = this.noiseHash(inst);
    return {
      symbol: inst.contract.symbol,
      conId: inst.contract.conId,
      bid: isIndex ? null : touch.bid,
      ask: isIndex ? null : touch.ask,
      // IDEALPRO publishes no trades, as on IBKR.
      last: isFx ? null : touch.last,
      bidSize: isIndex ? null : touch.bidSize,
      askSize: isIndex ? null : touch.askSize,
      lastSize: isIndex || isFx ? null : inst.lot * (1 + Math.floor(uniform(this.seed, h, 6, Math.floor(t / 1000)) * 5)),
      volume,
      open,
      high,
      low,
      close,
      timestamp: isoTime(t),
      source: 'SIMULATED',
    };
  }

  /** Close of the last regular session that ended before the trading day of `t`. */
  previousClose(inst: Instrument, t: number): number | null {
    const today = toEt(t).day;
    const kept = this.previousCloses.get(inst);
    if (kept && kept.day === today) return kept.close;
    let close: number | null = null;
    for (let day = today - 1; day > today - 10; day--) {
      const pw = this.barWindow(inst, day, true);
      if (pw) {
        close = roundTick(this.fair(inst, pw.end), inst.contract.minTick);
        break;
      }
    }
    this.previousCloses.set(inst, { day: today, close });
    return close;
  }

  /** New York calendar date of `t`, for callers that label sessions. */
  static etDate(t: number): string {
    return isoDateOfDay(toEt(t).day);
  }

  /** The official close instant of trading day `day`: the instrument's RTH end, or the exchange's early close. */
  static closeOf(inst: Instrument, day: number): number {
    return regularWindow(inst.schedule, 'real', day)?.end ?? etToUtc(day, inst.schedule.rthClose);
  }
}

/** A daily bar (and a quote's day range, which is today's daily bar so far) samples this many instants inside its window. */
const DAY_BAR_SAMPLES = 48;

/** How many interior instants `ohlc` samples in [from, to]: at most `samples`, at most one per whole second inside. */
const sampleCount = (from: number, to: number, samples: number): number => Math.max(0, Math.min(samples, Math.floor((to - from) / 1000) - 1));

/** The `i`-th of `n` evenly spaced interior instants of [from, to], on a whole second from `from`. */
export const sampleAt = (from: number, to: number, n: number, i: number): number => from + Math.floor(((to - from) * i) / (n + 1) / 1000) * 1000;

/**
 * The first `to` (whole ms, as `from` and `to` are) at which sampleAt(from, to, n, i) moves on: the least
 * `to` with (to - from) * i >= (k + 1) * 1000 * (n + 1), k being its whole seconds now. Integer arithmetic,
 * exact in doubles; sampleAt's own floor is exact too, since its quotient is either a whole number or at
 * least 1 / 49,000 away from one, far beyond a double's rounding at these magnitudes.
 */
export const sampleMovesAt = (from: number, to: number, n: number, i: number): number => {
  const next = (Math.floor(((to - from) * i) / (n + 1) / 1000) + 1) * 1000 * (n + 1);
  return from + Math.floor((next + i - 1) / i);
};

/** What dayRange keeps per instrument. */
interface DaySamples {
  from: number;
  instants: number[];
  prices: number[];
  /** The `to` range over which every instant is the one kept, and the interior samples' range there. */
  validFrom: number;
  validUntil: number;
  high: number;
  low: number;
}

const stripDay = (b: Bar & { day: number }): Bar => {
  const { day: _day, ...bar } = b;
  return bar;
};

function monthStartDay(day: number): number {
  const d = new Date(day * DAY_MS);
  return Math.floor(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / DAY_MS);
}

function aggregate(time: number, group: Bar[]): Bar {
  const first = group[0];
  const last = group[group.length - 1];
  if (!first || !last) throw new Error('aggregate() needs at least one bar');
  let high = first.high;
  let low = first.low;
  let volume = 0;
  for (const b of group) {
    high = Math.max(high, b.high);
    low = Math.min(low, b.low);
    volume += b.volume;
  }
  return { time: new Date(time).toISOString(), open: first.open, high, low, close: last.close, volume, wap: last.wap, barCount: group.reduce((n, b) => n + (b.barCount ?? 0), 0) };
}
