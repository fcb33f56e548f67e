import { describe, expect, it } from 'vitest';
import { Catalogue, type Instrument } from './catalogue.js';
import { Market, sampleAt, sampleMovesAt } from './market.js';

const cat = new Catalogue();
const aapl = cat.listedBySymbol('AAPL')[0] as Instrument;
const eur = cat.listedBySymbol('EUR.USD')[0] as Instrument;
const spx = cat.listedBySymbol('SPX')[0] as Instrument;
const MON_10ET = Date.parse('2026-01-05T15:00:00Z');

describe('the seeded market', () => {
  it('is a pure function of (seed, instrument, time)', () => {
    const a = new Market(42, 'real');
    const b = new Market(42, 'real');
    // Asked in a different order, from a fresh cache: the same prices.
    const times = [MON_10ET + 3_600_000, MON_10ET, MON_10ET - 86_400_000 * 30, MON_10ET + 17_000];
    const fromA = times.map((t) => a.fair(aapl, t));
    const fromB = [...times].reverse().map((t) => b.fair(aapl, t)).reverse();
    expect(fromA).toEqual(fromB);
    expect(new Market(43, 'real').fair(aapl, MON_10ET)).not.toBe(fromA[1]);
  });

  it("gives a touch asked again (the same instant, or another instrument's or instant's in between) the values of a fresh market's", () => {
    const a = new Market(42, 'real');
    const times = [MON_10ET, MON_10ET, MON_10ET + 1_500, MON_10ET, MON_10ET + 1_500, MON_10ET + 1_500];
    const asked = times.map((t, i) => ({ ...a.touch(i % 2 === 0 ? aapl : eur, t) }));
    const fresh = times.map((t, i) => ({ ...new Market(42, 'real').touch(i % 2 === 0 ? aapl : eur, t) }));
    expect(asked).toEqual(fresh);
    // The same instant's touch is one object, shared by its callers.
    expect(a.touch(aapl, MON_10ET + 2_000)).toBe(a.touch(aapl, MON_10ET + 2_000));
  });

  it('stays near the reference price and moves by plausible amounts', () => {
    const m = new Market(42, 'real');
    const p = m.fair(aapl, MON_10ET);
    expect(p).toBeGreaterThan(aapl.refPrice * 0.5);
    expect(p).toBeLessThan(aapl.refPrice * 1.5);
    const oneMinute = m.fair(aapl, MON_10ET + 60_000);
    expect(Math.abs(Math.log(oneMinute / p))).toBeLessThan(0.01);
  });

  it('keeps bid < ask on the tick, with displayed sizes in lots', () => {
    const m = new Market(42, 'always-open');
    for (let i = 0; i < 200; i++) {
      const t = m.touch(aapl, MON_10ET + i * 7_777);
      expect(t.bid).toBeLessThan(t.ask);
      expect(Math.round(t.bid * 100)).toBeCloseTo(t.bid * 100, 6);
      expect(t.bidSize % 100).toBe(0);
      expect(t.last).toBeGreaterThanOrEqual(t.bid);
      expect(t.last).toBeLessThanOrEqual(t.ask);
    }
  });

  it('freezes a closed market at its last trade', () => {
    const m = new Market(42, 'real');
    const fridayEvening = Date.parse('2026-01-10T00:59:59Z'); // 19:59:59 ET Friday
    expect(m.fair(aapl, Date.parse('2026-01-10T15:00:00Z'))).toBe(m.fair(aapl, fridayEvening));
    expect(m.touch(aapl, Date.parse('2026-01-10T15:00:00Z')).phase).toBe('closed');
  });
});

describe('history and live quotes agree', () => {
  it("the last bar's close is the quote's last trade, and the daily bar matches the quote's open/high/low", () => {
    const m = new Market(42, 'real');
    const now = MON_10ET + 12 * 60_000;
    const q = m.quote(aapl, now);
    const minutes = m.bars(aapl, { barSize: '1 min', duration: '3600 S', whatToShow: 'TRADES', useRth: true, endMs: now }, now);
    expect(minutes.at(-1)?.close).toBe(q.last);
    const daily = m.bars(aapl, { barSize: '1 day', duration: '5 D', whatToShow: 'TRADES', useRth: true, endMs: now }, now);
    expect(daily.at(-1)?.open).toBe(q.open);
    expect(daily.at(-1)?.close).toBe(q.last);
    expect(daily.at(-2)?.close).toBe(q.close);
  });

  it('a quote remembered from the one before is the quote a fresh market computes, instant by instant', () => {
    for (const mode of ['real', 'always-open'] as const) {
      const live = new Market(42, mode);
      // Orders 20 ms apart (50 a second), whole-second steps, jumps across the open and into the next day.
      const instants = [
        ...Array.from({ length: 150 }, (_, i) => MON_10ET + i * 20),
        ...Array.from({ length: 40 }, (_, i) => MON_10ET + 5_000 + i * 1_000),
        Date.parse('2026-01-05T14:29:59Z'), Date.parse('2026-01-05T14:30:00.500Z'), Date.parse('2026-01-05T14:31:07Z'),
        Date.parse('2026-01-06T05:00:00Z'), Date.parse('2026-01-06T15:00:00Z'), MON_10ET,
        // A quote a millisecond: across whole seconds (the day range's instants move), a five-minute volume
        // bucket's end, and the first seconds of the session, while the day range gains instants.
        ...Array.from({ length: 40 }, (_, i) => MON_10ET + 7_980 + i),
        ...Array.from({ length: 20 }, (_, i) => Date.parse('2026-01-05T15:04:59.990Z') + i),
        ...Array.from({ length: 40 }, (_, i) => Date.parse('2026-01-05T14:30:01.900Z') + i * 53),
      ];
      for (const t of instants) expect(live.quote(aapl, t)).toEqual(new Market(42, mode).quote(aapl, t));
    }
  });

  it('hands every caller at one instant the same frozen quote, and a new one the next millisecond', () => {
    const m = new Market(42, 'always-open');
    const q = m.quote(aapl, MON_10ET);
    expect(Object.isFrozen(q)).toBe(true);
    expect(m.quote(aapl, MON_10ET)).toBe(q);
    const next = m.quote(aapl, MON_10ET + 1);
    expect(next).not.toBe(q);
    expect(next.timestamp).toBe(new Date(MON_10ET + 1).toISOString());
    expect(q.timestamp).toBe(new Date(MON_10ET).toISOString());
  });

  it("the day range knows the first millisecond at which each of its instants moves on", () => {
    // sampleMovesAt must be exact: one millisecond early costs a recount, one late would keep a stale instant.
    let seed = 7;
    const next = (below: number): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31), seed % below);
    for (let k = 0; k < 20_000; k++) {
      const from = Date.parse('2026-01-05T14:30:00Z') + next(86_400_000);
      const to = from + 2_000 + next(60_000_000);
      const n = 1 + next(48);
      const i = 1 + next(n);
      const moves = sampleMovesAt(from, to, n, i);
      expect(moves).toBeGreaterThan(to);
      expect(sampleAt(from, moves - 1, n, i)).toBe(sampleAt(from, to, n, i));
      expect(sampleAt(from, moves, n, i)).toBeGreaterThan(sampleAt(from, to, n, i));
    }
  });

  it("the quote's high and low are the daily bar's, widened by the last trade", () => {
    const m = new Market(42, 'real');
    for (const minutes of [1, 12, 95, 300]) {
      const now = MON_10ET + minutes * 60_000 + 437;
      const q = m.quote(aapl, now);
      const today = m.bars(aapl, { barSize: '1 day', duration: '1 D', whatToShow: 'TRADES', useRth: true, endMs: now }, now).at(-1);
      expect(q.high).toBe(Math.max(today?.high ?? NaN, q.last ?? NaN));
      expect(q.low).toBe(Math.min(today?.low ?? NaN, q.last ?? NaN));
    }
  });

  it('never returns future bars', () => {
    const m = new Market(42, 'real');
    const bars = m.bars(aapl, { barSize: '5 mins', duration: '1 D', whatToShow: 'TRADES', useRth: true, endMs: MON_10ET + 86_400_000 }, MON_10ET);
    for (const b of bars) expect(Date.parse(b.time)).toBeLessThan(MON_10ET);
  });

  it('useRth keeps regular-hours bars only; weekends have none for stocks', () => {
    const m = new Market(42, 'real');
    const end = Date.parse('2026-01-06T01:00:00Z');
    const rth = m.bars(aapl, { barSize: '30 mins', duration: '1 D', whatToShow: 'TRADES', useRth: true, endMs: end }, end);
    expect(rth).toHaveLength(13);
    expect(rth[0]?.time).toBe('2026-01-05T14:30:00.000Z');
    const all = m.bars(aapl, { barSize: '30 mins', duration: '1 D', whatToShow: 'TRADES', useRth: false, endMs: end }, end);
    expect(all).toHaveLength(32);
    const weekly = m.bars(aapl, { barSize: '1 day', duration: '1 W', whatToShow: 'TRADES', useRth: true, endMs: end }, end);
    for (const b of weekly) expect([0, 6]).not.toContain(new Date(b.time).getUTCDay());
  });

  it('aggregates weeks and months', () => {
    const m = new Market(42, 'real');
    const weeks = m.bars(aapl, { barSize: '1 week', duration: '3 M', whatToShow: 'TRADES', useRth: true, endMs: MON_10ET }, MON_10ET);
    expect(weeks.length).toBeGreaterThanOrEqual(13);
    expect(weeks.length).toBeLessThanOrEqual(15);
    const months = m.bars(aapl, { barSize: '1 month', duration: '1 Y', whatToShow: 'TRADES', useRth: true, endMs: MON_10ET }, MON_10ET);
    expect(months.length).toBeGreaterThanOrEqual(12);
    expect(months.length).toBeLessThanOrEqual(14);
  });
});

describe("IBKR's historical data rules", () => {
  it('has no TRADES for FX and no BID/ASK for indices', () => {
    const m = new Market(42, 'real');
    expect(() => m.bars(eur, { barSize: '1 hour', duration: '1 D', whatToShow: 'TRADES', useRth: false, endMs: MON_10ET }, MON_10ET)).toThrow(/MIDPOINT/);
    expect(m.bars(eur, { barSize: '1 hour', duration: '1 D', whatToShow: 'MIDPOINT', useRth: false, endMs: MON_10ET }, MON_10ET).length).toBeGreaterThan(0);
    expect(() => m.bars(spx, { barSize: '1 hour', duration: '1 D', whatToShow: 'BID', useRth: true, endMs: MON_10ET }, MON_10ET)).toThrow(/Indices/);
  });

  it('quotes indices without a book and FX without trades, as IBKR does', () => {
    const m = new Market(42, 'real');
    const i = m.quote(spx, MON_10ET);
    expect(i.bid).toBeNull();
    expect(i.last).not.toBeNull();
    const f = m.quote(eur, MON_10ET);
    expect(f.last).toBeNull();
    expect(f.bid as number).toBeLessThan(f.ask as number);
  });
});
