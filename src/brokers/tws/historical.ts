/**
 * Historical bars: answered from the bar cache where possible; the missing
 * ranges are fetched from IBKR one request at a time per series, each waiting
 * its turn in the historical pacer, so a burst of requests is queued and
 * served instead of failing with pacing violations.
 *
 * A caller that gives up (`query.signal`: a REST client disconnected) is
 * answered REQUEST_CANCELLED at once, wherever its request is: waiting for the
 * series lock or the pacer (then it is never sent), or at IBKR (then it is
 * cancelled there with cancelHistoricalData, so IBKR stops working on bars
 * nobody will read).
 */
import { EventName, type BarSizeSetting, type WhatToShow as IbWhatToShow } from '@stoqey/ib';
import { GatewayError, MarketDataError } from '../../core/errors.js';
import type { Bar, BarSize, Contract } from '../../core/models.js';
import type { BarsQuery } from '../../core/broker/port.js';
import { BarCache, missingRanges, type Range } from './bar-cache.js';
import type { TwsContext } from './context.js';
import { HistoricalPacer } from './pacing.js';
import { num, parseTwsTime, str, toIbContract, twsUtc } from './wire.js';

const DAY = 86_400_000;
const UNIT_MS: Record<string, number> = { S: 1000, D: DAY, W: 7 * DAY, M: 30 * DAY, Y: 365 * DAY };

export function durationMs(duration: string): number {
  const m = /^(\d+)\s+([SDWMY])$/.exec(duration.trim().toUpperCase());
  if (!m) throw new MarketDataError(`Unreadable duration ${duration}`, 'HISTORICAL_DATA_ERROR');
  return Number(m[1]) * (UNIT_MS[m[2] ?? 'D'] ?? DAY);
}

export function barMs(size: BarSize): number {
  const m = /^(\d+)\s+(\w+)$/.exec(size);
  const n = Number(m?.[1] ?? 1);
  const unit = (m?.[2] ?? 'day').replace(/s$/, '');
  const per: Record<string, number> = { sec: 1000, min: 60_000, hour: 3_600_000, day: DAY, week: 7 * DAY, month: 30 * DAY };
  return n * (per[unit] ?? DAY);
}

/** The IBKR duration string covering `ms` (seconds up to a day for intraday bars, else days, else years). */
export function durationFor(ms: number, size: BarSize): string {
  const daily = barMs(size) >= DAY;
  if (!daily && ms <= DAY) return `${Math.max(1, Math.ceil(ms / 1000))} S`;
  const days = Math.max(1, Math.ceil(ms / DAY));
  return days <= 365 ? `${days} D` : `${Math.ceil(days / 365)} Y`;
}

/** Why an abandoned request ends: the signal's own GatewayError (the REST API gives one), else REQUEST_CANCELLED. */
function cancelled(signal: AbortSignal): GatewayError {
  return signal.reason instanceof GatewayError ? signal.reason : new GatewayError('REQUEST_CANCELLED', 'The caller abandoned the historical data request');
}

/** `promise`, or a rejection as soon as `signal` aborts (the work behind the promise goes on unless told otherwise). */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(cancelled(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(cancelled(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

export class Historical {
  readonly pacer = new HistoricalPacer();
  readonly stats = { requests: 0, fetches: 0, servedFromCache: 0 };
  private readonly collectors = new Map<number, { bars: Bar[]; done: () => void }>();
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly ctx: TwsContext,
    private readonly cache: BarCache,
  ) {
    ctx.conn.bind((ib) => {
      ib.on(EventName.historicalData, (reqId: number, time: unknown, open: unknown, high: unknown, low: unknown, close: unknown, volume: unknown, count: unknown, wap: unknown) => {
        const c = this.collectors.get(reqId);
        if (!c) return;
        const t = str(time);
        if (t.startsWith('finished')) {
          c.done();
          return;
        }
        const ms = parseTwsTime(t);
        const o = num(open);
        const h = num(high);
        const l = num(low);
        const cl = num(close);
        if (ms === null || o === null || h === null || l === null || cl === null) return;
        const bar: Bar = { time: new Date(ms).toISOString(), open: o, high: h, low: l, close: cl, volume: Math.max(0, num(volume) ?? 0) };
        const w = num(wap);
        if (w !== null && w > 0) bar.wap = w;
        const n = num(count);
        if (n !== null && Number.isInteger(n) && n >= 0) bar.barCount = n;
        c.bars.push(bar);
      });
    });
  }

  async bars(contract: Contract, query: BarsQuery): Promise<Bar[]> {
    this.stats.requests++;
    const series = [contract.conId, query.barSize, query.whatToShow, query.useRth ? 1 : 0].join('|');
    const now = Date.parse(this.ctx.nowIso());
    const end = query.endTime ? Math.min(Date.parse(query.endTime), now) : now;
    const start = end - durationMs(query.duration);
    // One fetch at a time per series: concurrent overlapping requests wait and are then served from what it stored.
    const prior = this.locks.get(series) ?? Promise.resolve();
    const run = prior.catch(() => undefined).then(() => this.fill(contract, query, series, start, end, now));
    this.locks.set(series, run);
    // A caller that gave up no longer awaits `run`; its failure is then nobody's to handle.
    run.catch(() => undefined);
    try {
      await unlessAborted(run, query.signal);
    } finally {
      if (this.locks.get(series) === run) this.locks.delete(series);
    }
    return this.cache.bars(series, start, end);
  }

  private async fill(contract: Contract, query: BarsQuery, series: string, start: number, end: number, now: number): Promise<void> {
    const step = barMs(query.barSize);
    // A bar that may still be forming is trusted for a short while only (a bar's length, at most a minute of wall time).
    const freshMs = Math.min(step, 60_000);
    const missing = missingRanges(start, end, this.cache.covered(series, Date.now(), freshMs));
    if (missing.length === 0) {
      this.stats.servedFromCache++;
      return;
    }
    for (const [a, b] of missing) {
      if (query.signal?.aborted) throw cancelled(query.signal);
      const duration = durationFor(b - a, query.barSize);
      const fetchedFrom = b - durationMs(duration);
      const bars = await this.fetch(contract, query, b, duration);
      const settled = now - step;
      const durable: Range | null = settled > fetchedFrom ? [fetchedFrom, Math.min(b, settled)] : null;
      const provisional: Range | null = b > settled ? [Math.max(fetchedFrom, settled), b] : null;
      this.cache.store(series, bars, durable, provisional, Date.now());
    }
  }

  private async fetch(contract: Contract, query: BarsQuery, endMs: number, duration: string): Promise<Bar[]> {
    const { conn, requestTimeoutMs } = this.ctx;
    const endText = twsUtc(endMs);
    const { signal } = query;
    const key = {
      identity: [contract.conId, endText, duration, query.barSize, query.whatToShow, query.useRth].join('|'),
      contract: [contract.conId, contract.exchange, query.whatToShow].join('|'),
    };
    await this.pacer.acquire(key, signal);
    if (signal?.aborted) throw cancelled(signal);
    this.stats.fetches++;
    const abandon = (): void => {
      if (req.settled) return;
      // Settle first: bars that arrive after the cancel find no collector and are dropped.
      req.reject(cancelled(signal as AbortSignal));
      conn.send('cancelHistoricalData', (ib) => ib.cancelHistoricalData(req.id)).catch(() => undefined);
    };
    const req = conn.registry.start<Bar[]>('historical data', {
      // Long histories take IBKR a while; the pacer already waited, so the clock starts at the send.
      timeoutMs: requestTimeoutMs * 3,
      onSettle: () => {
        this.collectors.delete(req.id);
        signal?.removeEventListener('abort', abandon);
      },
    });
    signal?.addEventListener('abort', abandon, { once: true });
    const bars: Bar[] = [];
    this.collectors.set(req.id, { bars, done: () => req.resolve(bars) });
    const daily = barMs(query.barSize) >= DAY;
    await conn
      .send('reqHistoricalData', (ib) =>
        ib.reqHistoricalData(req.id, toIbContract(contract), endText, duration, query.barSize as BarSizeSetting, query.whatToShow as IbWhatToShow, query.useRth ? 1 : 0, daily ? 1 : 2, false),
      )
      .catch((err: Error) => req.reject(err));
    const got = await req.promise;
    return got.sort((x, y) => Date.parse(x.time) - Date.parse(y.time));
  }
}
