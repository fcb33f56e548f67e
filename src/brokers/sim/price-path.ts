/**
 * One seeded random path per instrument root: the log-price deviation from
 * the instrument's reference price, at any second.
 *
 * The deviation is a mean-reverting walk sampled once per UTC day (so prices
 * stay near their reference levels for years) and, inside each day, a
 * Brownian bridge refined by bisection down to one second. Every node of the
 * bridge draws its noise from a hash of (seed, instrument, node), so the value
 * at any second is a pure function of (seed, instrument, time).
 */
import { hashString, normal } from './random.js';

const DAY_S = 86_400;
/** Daily anchors start here; earlier times read the first anchor. */
const EPOCH_DAY = 10_957; // 2000-01-01
/** Pull of the daily walk back to the reference price (half-life about 6 months). */
const MEAN_REVERSION = 1 / 250;

/**
 * Entries a memo keeps before it is dropped wholesale (bounded memory, refilled on demand): a quote
 * needs about fifty seconds of the path per instrument, a long history request simply recomputes.
 */
const MEMO_LIMIT = 4096;

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
  /** Memo of the deviation per (path, volatility) and second: the path is pure, so caching never changes a price. */
  private readonly deviations = new Map<string, Memo<number, number>>();

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

  /** Daily anchor of the log-price deviation, for UTC day index `day`. */
  private anchor(key: string, vol: number, day: number): number {
    const k = Math.max(0, day - EPOCH_DAY);
    let list = this.anchors.get(key);
    if (!list) {
      list = [0];
      this.anchors.set(key, list);
    }
    const sigma = vol / Math.sqrt(365);
    const h = this.keyHash(key);
    while (list.length <= k) {
      const i = list.length - 1;
      const prev = list[i] ?? 0;
      list.push(prev * (1 - MEAN_REVERSION) + sigma * normal(this.seed, h, 1, i));
    }
    return list[k] ?? 0;
  }

  /** Log-price deviation at second `tSec`: the Brownian bridge between two daily anchors, refined to the second. */
  deviation(key: string, vol: number, tSec: number): number {
    const memoKey = `${key}|${vol}`;
    let memo = this.deviations.get(memoKey);
    if (!memo) {
      memo = new Memo();
      this.deviations.set(memoKey, memo);
    }
    const cached = memo.get(tSec);
    if (cached !== undefined) return cached;
    const v = this.computeDeviation(key, vol, tSec);
    memo.set(tSec, v);
    return v;
  }

  private computeDeviation(key: string, vol: number, tSec: number): number {
    const day = Math.floor(tSec / DAY_S);
    const s = tSec - day * DAY_S;
    let lo = 0;
    let hi = DAY_S;
    let vlo = this.anchor(key, vol, day);
    let vhi = this.anchor(key, vol, day + 1);
    const sigmaPerSqrtSec = vol / Math.sqrt(365 * DAY_S);
    const h = this.keyHash(key);
    const base = day * DAY_S;
    for (;;) {
      if (s === lo) return vlo;
      if (s === hi) return vhi;
      const mid = (lo + hi) >>> 1;
      const span = hi - lo;
      const vmid = vlo + ((vhi - vlo) * (mid - lo)) / span + sigmaPerSqrtSec * Math.sqrt(((mid - lo) * (hi - mid)) / span) * normal(this.seed, h, 2, base + mid);
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
