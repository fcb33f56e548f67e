/**
 * The simulator's market data and pricing: contract resolution, quotes and
 * their streams, historical bars, option chains with Black-Scholes greeks, FX
 * conversion, and the book the matching engine trades against at an instant.
 * Everything here reads the seeded market model; nothing touches the account.
 */
import type { Bar, Contract, OptionChain, OptionQuote, Quote, SymbolSpec } from '../../core/models.js';
import type { BarsQuery, OptionChainRequest, Unsubscribe } from '../../core/broker/port.js';
import type { Instrument } from './catalogue.js';
import { roundTick, type Market } from './market.js';
import type { Book } from './matching.js';
import { listedExpirations, listedStrikes } from './options.js';
import { withOwnImpact } from './own-impact.js';
import { barsInSlices } from './sliced-bars.js';
import type { SimState } from './state.js';

export class SimMarketData {
  /**
   * One entry per instrument with a stream; its listeners are keyed by subscription (a fresh
   * object each time), so one function subscribed twice gets two streams and two unsubscribes.
   */
  private readonly quoteSubs = new Map<number, { inst: Instrument; listeners: Map<object, (q: Quote) => void> }>();

  constructor(private readonly sim: SimState) {}

  async resolveContracts(spec: SymbolSpec): Promise<Contract[]> {
    this.sim.requireStore();
    return this.sim.instruments.resolve(spec);
  }

  async getOptionChain(underlying: Contract, request: OptionChainRequest): Promise<OptionChain> {
    const { market, instruments } = this.sim;
    this.sim.requireStore();
    const und = this.sim.instrument(underlying);
    const now = this.sim.clock.now();
    const timestamp = new Date(now).toISOString();
    const spot = market.fair(und, now);
    const base: OptionChain = {
      underlying: und.contract.symbol,
      underlyingConId: und.contract.conId,
      underlyingPrice: roundTick(spot, und.contract.minTick),
      exchange: 'SMART',
      multiplier: 100,
      expirations: [],
      strikes: [],
      options: [],
      timestamp,
    };
    if (!und.optionable) return base;
    const expirations = listedExpirations(now);
    const strikes = listedStrikes(instruments.strikeReference(und, now));
    const expiry = request.expiry ?? expirations[0];
    const options: OptionQuote[] = [];
    if (expiry && expirations.includes(expiry)) {
      const nearest = strikes.reduce((best, k, i) => (Math.abs(k - spot) < Math.abs((strikes[best] ?? Infinity) - spot) ? i : best), 0);
      const n = Math.max(1, request.strikesAroundSpot);
      const slice = strikes.slice(Math.max(0, nearest - n), nearest + n + 1);
      for (const strike of slice) {
        for (const right of ['C', 'P'] as const) {
          const inst = instruments.option(und, expiry, strike, right);
          const touch = market.touch(inst, now);
          const g = market.greeks(inst, now);
          options.push({
            conId: inst.contract.conId,
            expiry,
            strike,
            right,
            bid: touch.bid,
            ask: touch.ask,
            last: touch.last,
            impliedVolatility: round(g.iv, 4),
            delta: round(g.delta, 4),
            gamma: round(g.gamma, 6),
            theta: round(g.theta, 4),
            vega: round(g.vega, 4),
          });
        }
      }
    }
    return { ...base, expirations, strikes, options };
  }

  async getQuote(contract: Contract): Promise<Quote> {
    return this.quoteNow(contract);
  }

  /** The quote at once: the simulator computes it, nothing to wait for. */
  quoteNow(contract: Contract): Quote {
    this.sim.requireStore();
    return this.quoteAt(this.sim.instrument(contract), this.sim.clock.now());
  }

  /** The market's quote with what the account's own orders took from the book and it has not yet refilled. */
  private quoteAt(inst: Instrument, t: number): Quote {
    return withOwnImpact(this.sim.market.quote(inst, t), inst, this.sim.depletion.get(inst.contract.conId), t, this.sim.depthHalfLifeMs);
  }

  subscribeQuotes(contract: Contract, listener: (quote: Quote) => void): Unsubscribe {
    this.sim.requireStore();
    const inst = this.sim.instrument(contract);
    const conId = inst.contract.conId;
    let sub = this.quoteSubs.get(conId);
    if (!sub) {
      sub = { inst, listeners: new Map() };
      this.quoteSubs.set(conId, sub);
    }
    const token = {};
    sub.listeners.set(token, listener);
    // Like IBKR, a new subscription first receives the current snapshot.
    const first = this.quoteAt(inst, this.sim.clock.now());
    queueMicrotask(() => {
      if (sub.listeners.has(token)) listener(first);
    });
    // Idempotent: a second call (or a call after the connection dropped every stream) touches
    // nothing, and in particular never removes a newer stream on the same instrument.
    return () => {
      if (!sub.listeners.delete(token)) return;
      if (sub.listeners.size === 0 && this.quoteSubs.get(conId) === sub) this.quoteSubs.delete(conId);
    };
  }

  /** Drops every quote stream (the connection closed). */
  clearSubscriptions(): void {
    for (const sub of this.quoteSubs.values()) sub.listeners.clear();
    this.quoteSubs.clear();
  }

  /** Sends each stream the quote at `t` (the tick loop calls this after evaluating orders). */
  publishQuotes(t: number): void {
    for (const sub of this.quoteSubs.values()) {
      const q = this.quoteAt(sub.inst, t);
      const listeners = [...sub.listeners];
      queueMicrotask(() => {
        for (const [token, l] of listeners) {
          // A stream stopped after this quote was queued receives nothing more.
          if (!sub.listeners.has(token)) continue;
          try {
            l(q);
          } catch {
            // One failing quote listener must not stop the others.
          }
        }
      });
    }
  }

  async getHistoricalBars(contract: Contract, query: BarsQuery): Promise<Bar[]> {
    this.sim.requireStore();
    const now = this.sim.clock.now();
    const endMs = query.endTime ? Date.parse(query.endTime) : now;
    const instrument = this.sim.instrument(contract);
    const { signal, ...bars } = query;
    const timed = { ...bars, endMs };
    return barsInSlices((q, nowMs) => this.sim.market.bars(instrument, q, nowMs), timed, now, undefined, signal, this.sim.market.requestStart(instrument, timed, now));
  }

  /**
   * Units of the account's base currency per unit of `currency` at `t`, from the simulated FX pairs:
   * the rate to USD over the base's rate to USD (so 1 for USD in a USD account, 1/EUR.USD in an EUR one).
   */
  fxRate(currency: string, t: number): number {
    const base = this.sim.options.baseCurrency ?? 'USD';
    if (currency === base) return 1;
    return this.usdRate(currency, t) / this.usdRate(base, t);
  }

  /** USD per unit of `currency` at `t` (commission schedules and regulatory fees are set in USD). */
  usdRate(currency: string, t: number): number {
    if (currency === 'USD') return 1;
    const cat = this.sim.instruments.catalogue;
    const direct = cat.listedBySymbol(`${currency}.USD`)[0];
    if (direct) return this.sim.market.fair(direct, t);
    const inverse = cat.listedBySymbol(`USD.${currency}`)[0];
    if (inverse) return 1 / this.sim.market.fair(inverse, t);
    return 1;
  }

  /** Stops watch the last trade; FX has none, so its stops watch the mid. */
  watchPrice(inst: Instrument, t: number): number {
    const touch = this.sim.market.touch(inst, t);
    return inst.cls === 'fx' ? touch.mid : touch.last;
  }
}

/** The book an order meets: the touch, with hidden depth behind it. */
export function bookOf(touch: ReturnType<Market['touch']>, inst: Instrument): Book {
  return {
    time: touch.time,
    bid: touch.bid,
    ask: touch.ask,
    bidSize: touch.bidSize,
    askSize: touch.askSize,
    last: touch.last,
    tick: touch.tick,
    // Hidden depth is spaced by half the spread (at least a tick): wider markets slip faster.
    levelStep: Math.max(touch.tick, roundTick((touch.ask - touch.bid) / 2, touch.tick)),
    takenBid: 0,
    takenAsk: 0,
    ...(inst.cls === 'fx' ? { last: (touch.bid + touch.ask) / 2 } : {}),
  };
}

/** The exchange a fill reports, as IBKR's executions name it. */
export const venueOf = (inst: Instrument): string => {
  if (inst.cls === 'equity') return inst.contract.primaryExchange === 'NASDAQ' ? 'ISLAND' : (inst.contract.primaryExchange ?? 'SMART');
  if (inst.cls === 'option') return 'CBOE';
  return inst.contract.exchange;
};

const round = (v: number, dp: number): number => Number(v.toFixed(dp));
