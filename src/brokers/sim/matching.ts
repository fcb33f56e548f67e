/**
 * The matching engine's pure rules: how an order meets the book at one instant.
 *
 * The simulator shows top of book only (bid/ask and their displayed sizes).
 * Behind the touch it assumes a ladder of DEPTH_LEVELS hidden levels, each the
 * displayed size again and one step worse, so a market order bigger than the
 * displayed size fills with slippage instead of at one price. Liquidity taken
 * at an instant is remembered (`Book.taken*`), so two orders at the same
 * instant do not both take the same displayed size, and the matching loop
 * carries it to later instants, refilling with a half-life (impact persists).
 *
 * A resting limit order (one that was not marketable when it arrived) fills
 * at its own limit price (or at the better opening price when the market
 * opens through it), and only when the market trades through it (the
 * opposite touch reaches the limit): queue position is unknown, so the
 * engine assumes the order was last in the queue, as NautilusTrader's
 * conservative mode does. Stops trigger on the last trade (the mid for FX,
 * which publishes no trades).
 */
import type { OrderSpec } from '../../core/models.js';
import { roundTick } from './market.js';

export const DEPTH_LEVELS = 10;

export interface Book {
  time: number;
  bid: number;
  ask: number;
  bidSize: number;
  askSize: number;
  /** Price stops and trails watch. */
  last: number;
  tick: number;
  /** Price distance between hidden depth levels. */
  levelStep: number;
  /** Size already taken this instant on each side. */
  takenBid: number;
  takenAsk: number;
}

export interface Execution {
  quantity: number;
  price: number;
}

/** One price level of the side a BUY (asks) or SELL (bids) trades against. */
function level(book: Book, side: 'BUY' | 'SELL', k: number): { price: number; size: number } {
  if (side === 'BUY') return { price: roundTick(book.ask + k * book.levelStep, book.tick), size: book.askSize };
  return { price: roundTick(book.bid - k * book.levelStep, book.tick), size: book.bidSize };
}

const withinLimit = (side: 'BUY' | 'SELL', price: number, limit: number | null): boolean =>
  limit === null || (side === 'BUY' ? price <= limit + 1e-12 : price >= limit - 1e-12);

/** Size still available on the side an order takes, at prices within `limit`, up to `levels` levels. */
export function availableSize(book: Book, side: 'BUY' | 'SELL', limit: number | null, levels = DEPTH_LEVELS): number {
  let total = 0;
  for (let k = 0; k < levels; k++) {
    const l = level(book, side, k);
    if (!withinLimit(side, l.price, limit)) break;
    total += l.size;
  }
  const taken = side === 'BUY' ? book.takenAsk : book.takenBid;
  return Math.max(0, total - taken);
}

const take = (book: Book, side: 'BUY' | 'SELL', qty: number): void => {
  if (side === 'BUY') book.takenAsk += qty;
  else book.takenBid += qty;
};

/**
 * An aggressive order: walks the ladder from the first untaken unit, each
 * level at its own price, while prices are within `limit` (null for market).
 * Returns the executions and records the size taken.
 */
export function sweep(book: Book, side: 'BUY' | 'SELL', quantity: number, limit: number | null, levels = DEPTH_LEVELS): Execution[] {
  const out: Execution[] = [];
  let skip = side === 'BUY' ? book.takenAsk : book.takenBid;
  let remaining = quantity;
  for (let k = 0; k < levels && remaining > 0; k++) {
    const l = level(book, side, k);
    if (!withinLimit(side, l.price, limit)) break;
    let size = l.size;
    if (skip >= size) {
      skip -= size;
      continue;
    }
    size -= skip;
    skip = 0;
    const q = Math.min(size, remaining);
    out.push({ quantity: q, price: l.price });
    remaining -= q;
  }
  take(book, side, quantity - remaining);
  return mergeByPrice(out);
}

function mergeByPrice(list: Execution[]): Execution[] {
  const out: Execution[] = [];
  for (const e of list) {
    const prev = out[out.length - 1];
    if (prev && prev.price === e.price) prev.quantity += e.quantity;
    else out.push({ ...e });
  }
  return out;
}

/** Whether a limit order is marketable against the current touch. */
export const isMarketable = (book: Book, side: 'BUY' | 'SELL', limit: number): boolean => (side === 'BUY' ? book.ask <= limit : book.bid >= limit);

/**
 * A resting limit order when the market reaches it: fills at its own limit,
 * for as much as the crossing side shows within the limit.
 */
export function restingFill(book: Book, side: 'BUY' | 'SELL', quantity: number, limit: number): Execution[] {
  if (!isMarketable(book, side, limit)) return [];
  const q = Math.min(quantity, availableSize(book, side, limit));
  if (q <= 0) return [];
  take(book, side, q);
  return [{ quantity: q, price: limit }];
}

/** Fill-or-kill: everything at once against the whole book within the limit (every level, as IBKR routes it), or nothing. */
export function fillOrKill(book: Book, side: 'BUY' | 'SELL', quantity: number, limit: number | null): Execution[] {
  const top = side === 'BUY' ? book.ask : book.bid;
  if (!withinLimit(side, top, limit)) return [];
  if (availableSize(book, side, limit) < quantity) return [];
  return sweep(book, side, quantity, limit);
}

// ---------------------------------------------------------------------------
// Stops and trails
// ---------------------------------------------------------------------------

export interface TriggerState {
  triggered: boolean;
  /** Current trailing stop (TRAIL, TRAIL_LIMIT). */
  trailStop: number | null;
  /** Limit price once a TRAIL_LIMIT or STP_LMT has triggered. */
  activeLimit: number | null;
  /** TRAIL_LIMIT: distance of the limit from the stop (limitOffset, or the initial limitPrice's distance from the initial stop). */
  offset?: number;
}

const trailDistance = (spec: OrderSpec, reference: number): number =>
  spec.trailingAmount !== undefined ? spec.trailingAmount : (reference * (spec.trailingPercent ?? 0)) / 100;

/** Initial state of a stop-like order when it is placed. */
export function initialTrigger(spec: OrderSpec, last: number, tick: number): TriggerState {
  if (spec.orderType === 'TRAIL' || spec.orderType === 'TRAIL_LIMIT') {
    const d = trailDistance(spec, last);
    const fromMarket = spec.action === 'SELL' ? last - d : last + d;
    const stop = roundTick(spec.stopPrice ?? fromMarket, tick);
    const offset = spec.limitOffset ?? (spec.limitPrice !== undefined ? Math.abs(stop - spec.limitPrice) : 0);
    return { triggered: false, trailStop: stop, activeLimit: null, ...(spec.orderType === 'TRAIL_LIMIT' ? { offset } : {}) };
  }
  return { triggered: false, trailStop: null, activeLimit: null };
}

/**
 * Moves a trailing stop with the market and checks stop triggers. Returns the
 * new state; `triggered` flips to true at the instant the stop is touched.
 */
export function updateTrigger(spec: OrderSpec, state: TriggerState, last: number, tick: number): TriggerState {
  if (state.triggered) return state;
  const buy = spec.action === 'BUY';
  switch (spec.orderType) {
    case 'STP':
    case 'STP_LMT': {
      const stop = spec.stopPrice ?? 0;
      const hit = buy ? last >= stop : last <= stop;
      if (!hit) return state;
      return { ...state, triggered: true, activeLimit: spec.orderType === 'STP_LMT' ? (spec.limitPrice ?? null) : null };
    }
    case 'TRAIL':
    case 'TRAIL_LIMIT': {
      const d = trailDistance(spec, last);
      let stop = state.trailStop ?? (buy ? last + d : last - d);
      // A trail only ever tightens: up for a sell stop, down for a buy stop.
      const candidate = roundTick(buy ? last + d : last - d, tick);
      stop = buy ? Math.min(stop, candidate) : Math.max(stop, candidate);
      const hit = buy ? last >= stop : last <= stop;
      if (!hit) return { ...state, trailStop: stop };
      let activeLimit: number | null = null;
      if (spec.orderType === 'TRAIL_LIMIT') {
        const offset = state.offset ?? spec.limitOffset ?? 0;
        activeLimit = roundTick(buy ? stop + offset : stop - offset, tick);
      }
      return { ...state, triggered: true, trailStop: stop, activeLimit };
    }
    default:
      return state;
  }
}

/**
 * A MIDPRICE order's price at this instant: the midpoint of the touch (a half tick when the spread is one
 * tick: US midpoint executions may be sub-penny), within its optional cap.
 */
export function midpricePeg(book: Book, side: 'BUY' | 'SELL', cap: number | undefined): number {
  const peg = roundTick((book.bid + book.ask) / 2, book.tick / 2);
  if (cap === undefined) return peg;
  return side === 'BUY' ? Math.min(peg, cap) : Math.max(peg, cap);
}

/**
 * A MIDPRICE order meets the other side at its peg when a trade prints at or through the peg (a contra order
 * came to the midpoint); it takes no more than the displayed size of that side, at its peg.
 */
export function midpointFill(book: Book, side: 'BUY' | 'SELL', quantity: number, peg: number): Execution[] {
  const printed = side === 'BUY' ? book.last <= peg + 1e-12 : book.last >= peg - 1e-12;
  if (!printed) return [];
  const q = Math.min(quantity, availableSize(book, side, null, 1));
  if (q <= 0) return [];
  take(book, side, q);
  return [{ quantity: q, price: peg }];
}

/** The limit an order works with now: its own, a triggered stop-limit's, or null for market behaviour. */
export function workingLimit(spec: OrderSpec, trigger: TriggerState): number | null {
  switch (spec.orderType) {
    case 'LMT':
      return spec.limitPrice ?? null;
    case 'STP_LMT':
    case 'TRAIL_LIMIT':
      return trigger.activeLimit;
    case 'OPG':
      return null;
    default:
      return spec.limitPrice ?? null;
  }
}

/** IBKR's warning when it ignores outsideRth for the order type (US stocks: MKT, STP and TRAIL wait for the open). */
export const WARNING_2109 =
  "Warning 2109: Order Event Warning: Attribute 'Outside Regular Trading Hours' is ignored based on the order type and destination. PlaceOrder is now being processed.";

const RTH_ONLY_TYPES = new Set<OrderSpec['orderType']>(['MKT', 'STP', 'TRAIL']);

/** Whether IBKR ignores the order's outsideRth flag: market, stop and trailing stop orders on US stocks trade in regular hours only. */
export const ignoresOutsideRth = (spec: OrderSpec, cls: string): boolean => spec.outsideRth && cls === 'equity' && RTH_ONLY_TYPES.has(spec.orderType);

/** The outsideRth flag as IBKR applies it. */
export const effectiveOutsideRth = (spec: OrderSpec, cls: string): boolean => spec.outsideRth && !ignoresOutsideRth(spec, cls);

/** Whether an order type waits for a trigger before it can trade. */
export const needsTrigger = (spec: OrderSpec): boolean =>
  spec.orderType === 'STP' || spec.orderType === 'STP_LMT' || spec.orderType === 'TRAIL' || spec.orderType === 'TRAIL_LIMIT';

/** Whether a price is a whole number of ticks. */
export function onTick(price: number, tick: number): boolean {
  const n = price / tick;
  return Math.abs(n - Math.round(n)) < 1e-7;
}
