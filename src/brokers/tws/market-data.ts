/**
 * Quotes: snapshots and streams. One TWS subscription per conId, shared by
 * every listener and released when the last one leaves, counted against the
 * market data line budget. Where the account has no subscription (354, 10089)
 * the adapter switches the connection to delayed data (reqMarketDataType 3,
 * which still delivers live data wherever it is subscribed) and asks again;
 * every quote says which kind it is in `source`. After a reconnect or 1101 all
 * streams are requested again.
 */
import { EventName, MarketDataType as IbMarketDataType } from '@stoqey/ib';
import { MarketDataError } from '../../core/errors.js';
import type { Contract, MarketDataType, Quote, QuoteSource } from '../../core/models.js';
import type { Unsubscribe } from '../../core/broker/port.js';
import type { TwsContext } from './context.js';
import { classify } from '../../ibkr/error-codes.js';
import { num, toIbContract } from './wire.js';

type QuoteField = 'bid' | 'ask' | 'last' | 'high' | 'low' | 'close' | 'open' | 'bidSize' | 'askSize' | 'lastSize' | 'volume';

/** TWS tick types (live and delayed) -> quote fields. */
const TICKS: Record<number, QuoteField> = {
  0: 'bidSize', 1: 'bid', 2: 'ask', 3: 'askSize', 4: 'last', 5: 'lastSize', 6: 'high', 7: 'low', 8: 'volume', 9: 'close', 14: 'open',
  66: 'bid', 67: 'ask', 68: 'last', 69: 'bidSize', 70: 'askSize', 71: 'lastSize', 72: 'high', 73: 'low', 74: 'volume', 75: 'close', 76: 'open',
};
const DELAYED_TICKS = new Set([66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76]);
/** Model option computation (13) and its delayed twin (83). */
const MODEL_GREEKS = new Set([13, 83]);

const SOURCE: Record<number, QuoteSource> = { 1: 'IBKR_REALTIME', 2: 'IBKR_FROZEN', 3: 'IBKR_DELAYED', 4: 'IBKR_FROZEN' };

export interface Greeks {
  impliedVolatility: number | null;
  delta: number | null;
  gamma: number | null;
  theta: number | null;
  vega: number | null;
}

interface TickSink {
  quote: Quote;
  greeks: Greeks | null;
  changed(): void;
}

interface Stream extends TickSink {
  contract: Contract;
  listeners: Set<(q: Quote) => void>;
  reqId: number | null;
  release: (() => void) | null;
  pending: boolean;
}

const emptyQuote = (c: Contract, timestamp: string): Quote => ({
  symbol: c.symbol, conId: c.conId, bid: null, ask: null, last: null, bidSize: null, askSize: null, lastSize: null,
  volume: null, open: null, high: null, low: null, close: null, timestamp, source: 'IBKR_REALTIME',
});

export class MarketData {
  /** Sticky per connection: once the account proved to lack a subscription, ask for delayed-where-needed data. */
  private delayed = false;
  private readonly sinks = new Map<number, TickSink>();
  private readonly streams = new Map<number, Stream>();
  private readonly snapshotEnds = new Map<number, () => void>();

  constructor(
    private readonly ctx: TwsContext,
    private readonly maxLines: number,
  ) {
    ctx.conn.bind((ib) => {
      ib.on(EventName.tickPrice, (reqId: number, field: unknown, value: unknown) => this.onTick(reqId, field, value, true));
      ib.on(EventName.tickSize, (reqId: number, field: unknown, value: unknown) => this.onTick(reqId, field, value, false));
      ib.on(EventName.tickSnapshotEnd, (reqId: number) => this.snapshotEnds.get(reqId)?.());
      ib.on(EventName.marketDataType, (reqId: number, type: unknown) => {
        const sink = this.sinks.get(reqId);
        const source = typeof type === 'number' ? SOURCE[type] : undefined;
        if (sink && source) sink.quote.source = source;
      });
      ib.on(EventName.tickOptionComputation, (reqId: number, field: unknown, _attrib: unknown, iv: unknown, delta: unknown, _price: unknown, _pv: unknown, gamma: unknown, vega: unknown, theta: unknown) => {
        const sink = this.sinks.get(reqId);
        if (!sink || typeof field !== 'number' || !MODEL_GREEKS.has(field)) return;
        sink.greeks = { impliedVolatility: num(iv), delta: num(delta), gamma: num(gamma), theta: num(theta), vega: num(vega) };
      });
    });
  }

  marketDataType(): MarketDataType {
    return this.delayed ? 'DELAYED' : 'REALTIME';
  }

  lines(): number {
    return this.streams.size;
  }

  hasFreeLine(): boolean {
    return this.streams.size < this.maxLines;
  }

  /** Asked when a new stream meets the line budget: may free a line (warm-quotes.ts gives up a warm stream). */
  makeRoom: () => boolean = () => false;

  private onTick(reqId: number, field: unknown, value: unknown, price: boolean): void {
    const sink = this.sinks.get(reqId);
    if (!sink || typeof field !== 'number') return;
    const key = TICKS[field];
    if (!key) return;
    const v = num(value);
    // TWS sends -1 for "no price" (e.g. no bid outside hours); sizes of 0 are real.
    sink.quote[key] = price && v !== null && v < 0 && key !== 'close' ? null : v;
    if (DELAYED_TICKS.has(field) && sink.quote.source === 'IBKR_REALTIME') sink.quote.source = 'IBKR_DELAYED';
    sink.quote.timestamp = this.ctx.nowIso();
    sink.changed();
  }

  /** Called at every session start (the setting is per connection). */
  async applyDataType(): Promise<void> {
    if (this.delayed) await this.ctx.conn.send('reqMarketDataType', (ib) => ib.reqMarketDataType(IbMarketDataType.DELAYED));
  }

  private async fallBackToDelayed(): Promise<void> {
    if (this.delayed) return;
    this.delayed = true;
    this.ctx.log.warn({}, 'no market data subscription for a request: switching this connection to delayed data where live is not available');
    await this.applyDataType();
  }

  async snapshot(contract: Contract, wantGreeks = false): Promise<{ quote: Quote; greeks: Greeks | null }> {
    try {
      return await this.snapshotOnce(contract, wantGreeks);
    } catch (err) {
      if (err instanceof NeedsDelayed) {
        await this.fallBackToDelayed();
        return this.snapshotOnce(contract, wantGreeks);
      }
      throw err;
    }
  }

  private async snapshotOnce(contract: Contract, _wantGreeks: boolean): Promise<{ quote: Quote; greeks: Greeks | null }> {
    const { conn, requestTimeoutMs } = this.ctx;
    const sink: TickSink = { quote: emptyQuote(contract, this.ctx.nowIso()), greeks: null, changed: () => undefined };
    if (this.delayed) sink.quote.source = 'IBKR_DELAYED';
    const req = conn.registry.start<void>('market data snapshot', {
      timeoutMs: requestTimeoutMs,
      onError: (code, message) => {
        const info = classify(code, message);
        if (info.action === 'delayedFallback' && !this.delayed) {
          req.reject(new NeedsDelayed());
          return 'handled';
        }
        if (code === 10167) {
          sink.quote.source = 'IBKR_DELAYED';
          return 'handled';
        }
        return 'fail';
      },
      onSettle: () => {
        this.sinks.delete(req.id);
        this.snapshotEnds.delete(req.id);
      },
    });
    this.sinks.set(req.id, sink);
    this.snapshotEnds.set(req.id, () => req.resolve());
    await conn.send('reqMktData snapshot', (ib) => ib.reqMktData(req.id, toIbContract(contract), '', true, false)).catch((err: Error) => req.reject(err));
    await req.promise;
    return { quote: { ...sink.quote }, greeks: sink.greeks };
  }

  subscribe(contract: Contract, listener: (q: Quote) => void): Unsubscribe {
    let stream = this.streams.get(contract.conId);
    if (!stream) {
      if (this.streams.size >= this.maxLines && !this.makeRoom()) {
        throw new MarketDataError(`Market data line budget reached (${this.maxLines} streaming instruments); stop another stream first`, 'MARKET_DATA_UNAVAILABLE', { maxLines: this.maxLines });
      }
      const created: Stream = {
        contract,
        listeners: new Set(),
        reqId: null,
        release: null,
        pending: false,
        quote: emptyQuote(contract, this.ctx.nowIso()),
        greeks: null,
        changed: () => {
          // Ticks arrive in bursts (price then size, several fields): listeners hear one quote per burst.
          if (created.pending) return;
          created.pending = true;
          setImmediate(() => {
            created.pending = false;
            const q = { ...created.quote };
            for (const l of [...created.listeners]) {
              try {
                l(q);
              } catch (err) {
                this.ctx.log.warn({ err }, 'quote listener failed');
              }
            }
          });
        },
      };
      stream = created;
      this.streams.set(contract.conId, stream);
      if (this.ctx.conn.usable) void this.open(stream);
    }
    const s = stream;
    s.listeners.add(listener);
    // Like the simulator (and like TWS's first ticks), a new listener hears the current state at once when there is one.
    if (s.quote.bid !== null || s.quote.ask !== null || s.quote.last !== null) {
      const q = { ...s.quote };
      queueMicrotask(() => {
        if (s.listeners.has(listener)) listener(q);
      });
    }
    return () => {
      s.listeners.delete(listener);
      if (s.listeners.size > 0 || this.streams.get(contract.conId) !== s) return;
      this.streams.delete(contract.conId);
      this.close(s);
    };
  }

  private close(s: Stream): void {
    const id = s.reqId;
    s.release?.();
    s.release = null;
    s.reqId = null;
    if (id !== null && this.ctx.conn.usable) void this.ctx.conn.send('cancelMktData', (ib) => ib.cancelMktData(id)).catch(() => undefined);
  }

  private async open(s: Stream, retried = false): Promise<void> {
    const { conn } = this.ctx;
    s.release?.();
    const req = conn.registry.start<void>('market data stream', {
      timeoutMs: 0,
      persistent: true,
      onError: (code, message) => {
        const info = classify(code, message);
        if (info.action === 'delayedFallback' && !retried) {
          void this.fallBackToDelayed().then(() => (this.streams.get(s.contract.conId) === s ? this.open(s, true) : undefined)).catch(() => undefined);
          return 'handled';
        }
        if (code === 10167) s.quote.source = 'IBKR_DELAYED';
        else if (info.severity === 'fatal') this.ctx.log.warn({ code, message, conId: s.contract.conId }, 'quote stream failed');
        return 'handled';
      },
      onSettle: () => this.sinks.delete(req.id),
    });
    s.reqId = req.id;
    s.release = () => req.resolve();
    this.sinks.set(req.id, s);
    if (this.delayed) s.quote.source = 'IBKR_DELAYED';
    await conn.send('reqMktData', (ib) => ib.reqMktData(req.id, toIbContract(s.contract), '', false, false)).catch(() => undefined);
  }

  /** After a reconnect or 1101: TWS forgot every stream; ask for each again under a new id. */
  async resubscribeAll(): Promise<void> {
    for (const s of this.streams.values()) await this.open(s);
  }
}

class NeedsDelayed extends Error {
  constructor() {
    super('market data needs the delayed fallback');
  }
}
