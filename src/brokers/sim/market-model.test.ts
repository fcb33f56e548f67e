/**
 * One market under every instrument: the factor model, derived index products,
 * FX crosses, the session-aware path and the spreads, as properties of a
 * simulated year (deterministic: fixed seeds, no clock).
 */
import { describe, expect, it } from 'vitest';
import { dayRule, isTradingDay } from '../../core/exchange-calendar.js';
import { Catalogue, type Instrument } from './catalogue.js';
import { Market } from './market.js';
import { etToUtc } from './sessions.js';

const cat = new Catalogue();
const listed = (symbol: string): Instrument => {
  const inst = cat.listedBySymbol(symbol)[0];
  if (!inst) throw new Error(`${symbol} missing`);
  return inst;
};
const front = (symbol: string, year: number, month: number): Instrument => {
  const inst = cat.futureByMonth(symbol, year, month);
  if (!inst) throw new Error(`${symbol} missing`);
  return inst;
};
const DAY_MS = 86_400_000;
/** NYSE sessions of 2025 (New York days). */
const SESSIONS_2025: number[] = [];
for (let d = Date.UTC(2025, 0, 1) / DAY_MS; d < Date.UTC(2026, 0, 1) / DAY_MS; d++) if (isTradingDay('NYSE', d)) SESSIONS_2025.push(d);

/** Each session's closing price (the last second before 16:00 ET, or before the 13:00 early close). */
const closes = (m: Market, inst: Instrument): number[] => SESSIONS_2025.map((d) => m.fair(inst, etToUtc(d, dayRule('NYSE', d).earlyClose ?? 16 * 60) - 1000));
const returns = (xs: number[]): number[] => xs.slice(1).map((x, i) => Math.log(x / (xs[i] as number)));
function correlation(a: number[], b: number[]): number {
  const ma = a.reduce((s, x) => s + x, 0) / a.length;
  const mb = b.reduce((s, x) => s + x, 0) / b.length;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    const da = (a[i] as number) - ma;
    const db = (b[i] as number) - mb;
    ab += da * db;
    aa += da * da;
    bb += db * db;
  }
  return ab / Math.sqrt(aa * bb);
}

describe('one market model', () => {
  for (const seed of [42, 7]) {
    it(`SPY follows SPX (daily-return correlation >= 0.95) and ES = MES over 2025, seed ${seed}`, () => {
      const m = new Market(seed, 'real');
      const spy = returns(closes(m, listed('SPY')));
      const spx = returns(closes(m, listed('SPX')));
      expect(correlation(spy, spx)).toBeGreaterThanOrEqual(0.95);
      const es = front('ES', 2026, 3);
      const mes = front('MES', 2026, 3);
      const esCloses = closes(m, es);
      expect(closes(m, mes)).toEqual(esCloses);
      expect(correlation(returns(esCloses), returns(closes(m, mes)))).toBeCloseTo(1, 12);
      expect(correlation(returns(closes(m, listed('QQQ'))), returns(closes(m, listed('NDX'))))).toBeGreaterThanOrEqual(0.95);
      expect(correlation(returns(closes(m, front('NQ', 2026, 3))), returns(closes(m, listed('NDX'))))).toBeGreaterThanOrEqual(0.95);
    });
  }

  it('prices SPY near SPX/10 less a tracking term, and ES as SPX x carry to expiry', () => {
    const m = new Market(42, 'real');
    const t = Date.parse('2025-06-02T15:00:00Z');
    const spx = m.fair(listed('SPX'), t);
    const spy = m.fair(listed('SPY'), t);
    expect(spy / (spx / 10)).toBeGreaterThan(0.997);
    expect(spy / (spx / 10)).toBeLessThan(1);
    const es = front('ES', 2025, 6);
    const expiry = Date.parse(`${es.contract.expiry ?? ''}T21:00:00Z`);
    expect(m.fair(es, t)).toBeCloseTo(spx * (1 + (es.carry ?? 0) * ((expiry - t) / (365 * DAY_MS))), 6);
  });

  it('correlates stocks through the market and their sectors, not perfectly', () => {
    const m = new Market(42, 'real');
    const aapl = returns(closes(m, listed('AAPL')));
    const msft = returns(closes(m, listed('MSFT')));
    const spy = returns(closes(m, listed('SPY')));
    const c = correlation(aapl, msft);
    expect(c).toBeGreaterThan(0.3);
    expect(c).toBeLessThan(0.9);
    expect(correlation(aapl, spy)).toBeGreaterThan(0.4);
    expect(correlation(returns(closes(m, listed('GOOG'))), returns(closes(m, listed('GOOGL'))))).toBeGreaterThan(0.99);
  });

  it('keeps FX crosses consistent: EUR.JPY = EUR.USD x USD.JPY at every instant', () => {
    const m = new Market(42, 'real');
    for (let i = 0; i < 50; i++) {
      const t = Date.parse('2025-03-03T12:00:00Z') + i * 3_777_000;
      const cross = m.fair(listed('EUR.JPY'), t);
      expect(cross / (m.fair(listed('EUR.USD'), t) * m.fair(listed('USD.JPY'), t))).toBeCloseTo(1, 12);
    }
  });
});

describe('a session-aware path', () => {
  it('puts more than 70% of the daily variance of SPY and AAPL in regular hours', () => {
    for (const [seed, symbol] of [[42, 'SPY'], [42, 'AAPL'], [7, 'SPY'], [7, 'AAPL']] as const) {
      const m = new Market(seed, 'real');
      const inst = listed(symbol);
      const opens = SESSIONS_2025.map((d) => m.fair(inst, etToUtc(d, 9.5 * 60)));
      const cls = closes(m, inst);
      const intraday = opens.slice(1).map((o, i) => Math.log((cls[i + 1] as number) / o));
      const daily = returns(cls);
      const v = (xs: number[]): number => xs.reduce((s, x) => s + x * x, 0) / xs.length;
      const share = v(intraday) / v(daily);
      expect(share, `${symbol} seed ${seed}`).toBeGreaterThan(0.7);
      expect(share, `${symbol} seed ${seed}`).toBeLessThan(0.97);
    }
  });

  it('has an annualised daily volatility near the catalogue figure', () => {
    const m = new Market(42, 'real');
    const r = returns(closes(m, listed('SPX')));
    const vol = Math.sqrt((r.reduce((s, x) => s + x * x, 0) / r.length) * 252);
    expect(vol).toBeGreaterThan(0.12);
    expect(vol).toBeLessThan(0.21);
  });
});

describe('spreads', () => {
  it('quotes AAPL and SPY at a median of at most 2 ticks in regular hours, never crossed', () => {
    const m = new Market(42, 'real');
    for (const symbol of ['AAPL', 'SPY', 'QQQ']) {
      const inst = listed(symbol);
      const widths: number[] = [];
      for (const d of SESSIONS_2025.slice(0, 20)) {
        for (let k = 0; k < 30; k++) {
          const touch = m.touch(inst, etToUtc(d, 9.5 * 60) + k * 761_000);
          expect(touch.ask).toBeGreaterThan(touch.bid);
          widths.push(Math.round((touch.ask - touch.bid) / touch.tick));
        }
      }
      widths.sort((a, b) => a - b);
      expect(widths[Math.floor(widths.length / 2)], symbol).toBeLessThanOrEqual(2);
      expect(widths[0], symbol).toBe(1);
    }
  });
});

describe('determinism', () => {
  it('gives the same quotes and bars for the same seed, bit for bit', () => {
    const t = Date.parse('2025-06-02T15:07:11Z');
    const run = (): unknown[] => {
      const m = new Market(9, 'real');
      return ['AAPL', 'SPY', 'EUR.JPY'].flatMap((s) => [
        m.quote(listed(s), t),
        m.bars(listed(s), { barSize: '5 mins', duration: '2 D', whatToShow: s === 'EUR.JPY' ? 'MIDPOINT' : 'TRADES', useRth: false, endMs: t }, t),
      ]);
    };
    expect(JSON.stringify(run())).toBe(JSON.stringify(run()));
  });
});
