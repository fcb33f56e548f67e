/**
 * The seeded random factors the market is built from: each a unit-volatility
 * log-price path, a pure function of (seed, factor key, second). market.ts
 * combines them with per-instrument weights from the catalogue (market,
 * sector, idiosyncratic; an ETF or a future takes its index's weights).
 *
 * Days and the session clock: the path has one anchor per New York calendar
 * day, a mean-reverting walk whose step is one trading day's variance on NYSE
 * sessions and a twentieth of it on weekends and holidays. Inside a trading
 * day the Brownian bridge between two anchors runs on a session clock that
 * gives the regular session (09:30-16:00 ET) RTH_SHARE of the day's variance,
 * so daily candles open near the previous close and move during the day, as
 * real ones do. The bridge is refined by bisection down to one tick of that
 * clock; every node draws its noise from a hash of (seed, factor, node).
 */
import { isTradingDay } from '../../core/exchange-calendar.js';
import { nyOffsetMinutes } from './sessions.js';
import { hashString, normal } from './random.js';

const DAY_S = 86_400;
/** Daily anchors start here; earlier times read the first anchor. */
const EPOCH_DAY = 10_957; // 2000-01-01
/** Pull of the daily walk back to the reference price (half-life about 6 months). */
const MEAN_REVERSION = 1 / 250;
const TRADING_DAYS_PER_YEAR = 252;
/** A weekend or holiday carries this fraction of a trading day's variance (news still happens). */
const CLOSED_DAY_WEIGHT = 0.05;
/** Share of a trading day's variance inside the regular session. */
export const RTH_SHARE = 0.85;
const RTH_START_S = 9.5 * 3600;
const RTH_END_S = 16 * 3600;
/** Session-clock rate outside and inside the regular session, so a whole day is still DAY_S session-clock seconds. */
const SLOW = ((1 - RTH_SHARE) * DAY_S) / (DAY_S - (RTH_END_S - RTH_START_S));
const FAST = (RTH_SHARE * DAY_S) / (RTH_END_S - RTH_START_S);

/** Per New York day since EPOCH_DAY: the standard deviation of that day's step (shared by every factor). */
const daySigmas: number[] = [];
function daySigma(k: number): number {
  while (daySigmas.length <= k) {
    const day = EPOCH_DAY + daySigmas.length;
    daySigmas.push(Math.sqrt((isTradingDay('NYSE', day) ? 1 : CLOSED_DAY_WEIGHT) / TRADING_DAYS_PER_YEAR));
  }
  return daySigmas[k] ?? 0;
}

/** Session-clock second of local second `s` of a New York day. */
function sessionClock(s: number, trading: boolean): number {
  if (!trading) return s;
  if (s < RTH_START_S) return Math.floor(s * SLOW);
  if (s < RTH_END_S) return Math.floor(RTH_START_S * SLOW + (s - RTH_START_S) * FAST);
  return Math.min(DAY_S, Math.floor(RTH_START_S * SLOW + (RTH_END_S - RTH_START_S) * FAST + (s - RTH_END_S) * SLOW));
}

/**
 * Entries a memo keeps before it is dropped wholesale (bounded memory, refilled on demand): a quote
 * needs about fifty seconds of the path per instrument, a long history request simply recomputes.
 */
const MEMO_LIMIT = 4096;

/** Bridge nodes a factor's memo keeps: a day of seconds needs ~86,400 at most; a few days' worth for quotes and bars. */
const NODE_MEMO_LIMIT = 1 << 18;

/** A bounded memo: cleared when full, so a long run never grows it without bound. */
export class Memo<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly limit = MEMO_LIMIT) {}
  get(k: K): V | undefined {
    return this.map.get(k);
  }
  set(k: K, v: V): void {
    if (this.map.size >= this.limit) this.map.clear();
    this.map.set(k, v);
  }
}

export class PricePath {
  private readonly anchors = new Map<string, number[]>();
  private readonly keyHashes = new Map<string, number>();
  /** Memo of each factor's value per second: the path is pure, so caching never changes a price. */
  private readonly values = new Map<string, Memo<number, number>>();
  /**
   * Memo of each factor's bridge nodes, keyed by the node's midpoint second (every midpoint belongs to
   * exactly one node of a day's bisection, so the key is exact). A new second shares all but its last
   * levels with the seconds around it: without this, each one drew a fresh normal at every one of its
   * ~17 levels (a quote for a new second spent most of its time in normal()).
   */
  private readonly nodes = new Map<string, Memo<number, number>>();

  constructor(readonly seed: number) {}

  /** The hash of a path key (memoised): the noise of every draw on that path is keyed by it. */
  keyHash(key: string): number {
    let h = this.keyHashes.get(key);
    if (h === undefined) {
      h = hashString(key);
      this.keyHashes.set(key, h);
    }
    return h;
  }

  /** Daily anchor of factor `key` at the start (New York midnight) of New York day `day`. */
  private anchor(key: string, day: number): number {
    const k = Math.max(0, day - EPOCH_DAY);
    let list = this.anchors.get(key);
    if (!list) {
      list = [0];
      this.anchors.set(key, list);
    }
    const h = this.keyHash(key);
    while (list.length <= k) {
      const i = list.length - 1;
      const prev = list[i] ?? 0;
      list.push(prev * (1 - MEAN_REVERSION) + daySigma(i) * normal(this.seed, h, 1, i));
    }
    return list[k] ?? 0;
  }

  /** Unit-volatility value of factor `key` at second `tSec` (UTC seconds since 1970). */
  unit(key: string, tSec: number): number {
    let memo = this.values.get(key);
    if (!memo) {
      memo = new Memo();
      this.values.set(key, memo);
    }
    const cached = memo.get(tSec);
    if (cached !== undefined) return cached;
    const v = this.compute(key, tSec);
    memo.set(tSec, v);
    return v;
  }

  private compute(key: string, tSec: number): number {
    const local = tSec + nyOffsetMinutes(tSec * 1000) * 60;
    const day = Math.floor(local / DAY_S);
    const k = Math.max(0, day - EPOCH_DAY);
    const s = sessionClock(local - day * DAY_S, isTradingDay('NYSE', day));
    let lo = 0;
    let hi = DAY_S;
    let vlo = this.anchor(key, day);
    let vhi = this.anchor(key, day + 1);
    const sigmaPerSqrtSec = daySigma(k) / Math.sqrt(DAY_S);
    const h = this.keyHash(key);
    const base = day * DAY_S;
    let nodes = this.nodes.get(key);
    if (!nodes) {
      nodes = new Memo(NODE_MEMO_LIMIT);
      this.nodes.set(key, nodes);
    }
    for (;;) {
      if (s === lo) return vlo;
      if (s === hi) return vhi;
      const mid = (lo + hi) >>> 1;
      let vmid = nodes.get(base + mid);
      if (vmid === undefined) {
        const span = hi - lo;
        vmid = vlo + ((vhi - vlo) * (mid - lo)) / span + sigmaPerSqrtSec * Math.sqrt(((mid - lo) * (hi - mid)) / span) * normal(this.seed, h, 2, base + mid);
        nodes.set(base + mid, vmid);
      }
      if (s < mid) {
        hi = mid;
        vhi = vmid;
      } else {
        lo = mid;
        vlo = vmid;
      }
    }
  }
}
