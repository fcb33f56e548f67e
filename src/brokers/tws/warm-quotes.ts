/**
 * Quotes kept streaming for instruments asked for again and again. The order
 * path prices every order from a quote; a snapshot (reqMktData with
 * snapshot=true) is a round trip to IB Gateway before each transmit, and one
 * of IBKR's 50 messages a second. An instrument quoted a second time within
 * `idleMs` gets a streaming line instead, and later quotes are its latest
 * ticks (the same fields a snapshot carries, as fresh as TWS sends them).
 *
 * Lines are IBKR's to ration (100 by default), so warm streams take at most
 * `maxWarm` of them, are released after `idleMs` without a quote asked, and
 * give their line up at once to a subscription that needs it. A one-off quote
 * never opens a stream. After a reconnect a warm quote is not used until the
 * stream has ticked again, so nothing from before the gap is served.
 */
import type { Unsubscribe } from '../../core/broker/port.js';
import type { Contract, Quote } from '../../core/models.js';
import type { MarketData } from './market-data.js';

interface Warm {
  quote: Quote | null;
  release: Unsubscribe;
  lastAsked: number;
}

export interface WarmQuoteOptions {
  idleMs: number;
  maxWarm: number;
  /** Wall time: line usage is a real-time matter whatever a simulated market clock says. */
  now?: () => number;
}

export class WarmQuotes {
  private readonly warm = new Map<number, Warm>();
  /** When each instrument without a stream was last quoted (a second quote within idleMs warms it). */
  private readonly asked = new Map<number, number>();
  private readonly now: () => number;
  private sweeper: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly market: MarketData,
    private readonly options: WarmQuoteOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The latest quote of a warm stream that has ticked since it was (re)opened, or null. */
  current(conId: number): Quote | null {
    const w = this.warm.get(conId);
    if (!w) return null;
    w.lastAsked = this.now();
    return w.quote === null ? null : { ...w.quote };
  }

  /** A quote was asked for by snapshot: the second time within idleMs, the instrument gets a stream while lines allow. */
  noteSnapshot(contract: Contract): void {
    const t = this.now();
    const previous = this.asked.get(contract.conId);
    this.asked.set(contract.conId, t);
    if (previous === undefined || t - previous > this.options.idleMs || this.warm.has(contract.conId)) return;
    if (this.warm.size >= this.options.maxWarm || !this.market.hasFreeLine()) return;
    this.asked.delete(contract.conId);
    const w: Warm = { quote: null, release: () => undefined, lastAsked: t };
    this.warm.set(contract.conId, w);
    try {
      w.release = this.market.subscribe(contract, (q) => {
        if (q.bid !== null || q.ask !== null || q.last !== null) w.quote = q;
      });
    } catch {
      this.warm.delete(contract.conId);
      return;
    }
    this.startSweeper();
  }

  /** A new session: TWS forgot the streams (they are requested again); quotes from before the gap are not served. */
  sessionStarted(): void {
    for (const w of this.warm.values()) w.quote = null;
  }

  /** Gives up the least recently asked warm stream; false when there is none. */
  evictOne(): boolean {
    let oldest: [number, Warm] | null = null;
    for (const entry of this.warm) if (oldest === null || entry[1].lastAsked < oldest[1].lastAsked) oldest = entry;
    if (oldest === null) return false;
    this.drop(oldest[0], oldest[1]);
    return true;
  }

  /** Releases every warm stream (the broker closes). */
  close(): void {
    for (const [conId, w] of [...this.warm]) this.drop(conId, w);
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
  }

  private drop(conId: number, w: Warm): void {
    this.warm.delete(conId);
    w.release();
  }

  private startSweeper(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => this.sweep(), Math.max(10, this.options.idleMs / 2));
    this.sweeper.unref();
  }

  private sweep(): void {
    const t = this.now();
    for (const [conId, w] of [...this.warm]) if (t - w.lastAsked > this.options.idleMs) this.drop(conId, w);
    for (const [conId, at] of [...this.asked]) if (t - at > this.options.idleMs) this.asked.delete(conId);
    if (this.warm.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = null;
    }
  }
}
