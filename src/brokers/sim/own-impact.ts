/**
 * The simulator's own orders in the market it shows: liquidity they took is
 * missing from the book until it refills (half-life SIM_DEPTH_HALF_LIFE_MS),
 * so the quote shows it as a real book would (a smaller displayed size, or
 * the touch moved to the next level when a level was taken out), and it is
 * kept in sim.db so a gateway restart does not hand back a refilled book.
 */
import type { Quote } from '../../core/models.js';
import type { Instrument } from './catalogue.js';
import { roundTick } from './market.js';
import { DEPTH_LEVELS } from './matching.js';
import type { Depletion } from './state.js';
import type { SimStore } from './store.js';

const META_KEY = 'depletion';

/** Size still missing from each side at `t`: what was taken, refilled with the half-life since, in whole lots. */
export function remainingDepletion(d: Depletion | undefined, t: number, halfLifeMs: number, lot: number): { bid: number; ask: number } {
  if (!d || t < d.t) return { bid: 0, ask: 0 };
  const left = Math.pow(0.5, (t - d.t) / halfLifeMs);
  const lots = (q: number): number => Math.round((q * left) / lot) * lot;
  return { bid: lots(d.bid), ask: lots(d.ask) };
}

/**
 * One side of the quote after `taken` of it is gone: each hidden level holds the displayed size again one
 * step worse (matching.ts), so the touch moves a level for every displayed size taken.
 */
function side(price: number, size: number, taken: number, step: number, tick: number, dir: 1 | -1): { price: number; size: number } {
  if (taken <= 0 || size <= 0) return { price, size };
  const levels = Math.min(DEPTH_LEVELS - 1, Math.floor(taken / size));
  const rest = size - (taken - levels * size);
  return rest > 0 ? { price: roundTick(price + dir * levels * step, tick), size: rest } : { price: roundTick(price + dir * (levels + 1) * step, tick), size };
}

/** The quote as the simulator's own trading has left the book at `t`. */
export function withOwnImpact(quote: Quote, inst: Instrument, d: Depletion | undefined, t: number, halfLifeMs: number): Quote {
  // The common case (the account has not traded this instrument, or not since start): the market's own quote, as it is.
  if (d === undefined) return quote;
  const { bid: takenBid, ask: takenAsk } = remainingDepletion(d, t, halfLifeMs, inst.lot);
  if ((takenBid <= 0 && takenAsk <= 0) || quote.bid === null || quote.ask === null || quote.bidSize === null || quote.askSize === null) return quote;
  const tick = inst.contract.minTick;
  // The same level spacing the matching engine uses (bookOf): half the spread, at least a tick.
  const step = Math.max(tick, roundTick((quote.ask - quote.bid) / 2, tick));
  const ask = side(quote.ask, quote.askSize, takenAsk, step, tick, 1);
  const bid = side(quote.bid, quote.bidSize, takenBid, step, tick, -1);
  return { ...quote, bid: bid.price, bidSize: bid.size, ask: ask.price, askSize: ask.size };
}

/** Writes the book's depletion with the transaction in progress (the caller's), so it costs no commit of its own. */
export function saveDepletion(store: SimStore, depletion: ReadonlyMap<number, Depletion>): void {
  store.setMeta(META_KEY, JSON.stringify([...depletion.entries()]));
}

/** The depletion a previous run left, read on connect. */
export function loadDepletion(store: SimStore, into: Map<number, Depletion>): void {
  into.clear();
  const text = store.meta(META_KEY);
  if (!text) return;
  try {
    for (const [conId, d] of JSON.parse(text) as Array<[number, Depletion]>) {
      if (Number.isFinite(conId) && Number.isFinite(d.t) && Number.isFinite(d.bid) && Number.isFinite(d.ask)) into.set(conId, d);
    }
  } catch {
    // An unreadable entry only means a fully refilled book.
  }
}
