/**
 * The exchange calendar applied to the simulated market: bars, sessions,
 * expiries and orders follow NYSE's and CME's holidays and early closes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { holidaysOf } from '../../core/exchange-calendar.js';
import { Catalogue, type Instrument } from './catalogue.js';
import { Market } from './market.js';
import { listedExpirations, isListableExpiry } from './options.js';
import { makeSimHarness, placeSim, type SimHarness } from '../../testing/sim-harness.js';

const cat = new Catalogue();
const aapl = cat.listedBySymbol('AAPL')[0] as Instrument;
const m = new Market(42, 'real');
const dateOf = (iso: string): string => iso.slice(0, 10);

describe('bars on the exchange calendar', () => {
  it('has no daily bar on any NYSE holiday of 2025, and one bar for every other weekday', () => {
    const end = Date.parse('2025-12-31T22:00:00Z');
    const bars = m.bars(aapl, { barSize: '1 day', duration: '1 Y', whatToShow: 'TRADES', useRth: true, endMs: end }, end);
    const dates = new Set(bars.map((b) => dateOf(b.time)));
    for (const h of holidaysOf('NYSE', 2025)) expect(dates.has(h.date), h.name).toBe(false);
    expect(dates.has('2025-12-24')).toBe(true);
    // 2025 has 250 NYSE sessions; the 1 Y window (366 days back from 31 Dec) covers all of them.
    expect(bars.filter((b) => b.time.startsWith('2025')).length).toBe(250);
  });

  it('draws daily and weekly bars on the exchange calendar under always-open too: a 3 M daily chart has the sessions NYSE traded', () => {
    // The demo runs always-open (orders at any hour) and drew 94 daily bars, one per calendar day, where the CLI on
    // real sessions drew 66 for the same request: the two now agree, bar for bar in their dates.
    const end = Date.parse('2026-12-02T19:00:00Z');
    const open = new Market(42, 'always-open');
    const query = { barSize: '1 day', duration: '3 M', whatToShow: 'TRADES', useRth: true, endMs: end } as const;
    const real = m.bars(aapl, query, end).map((b) => b.time);
    const always = open.bars(aapl, query, end).map((b) => b.time);
    expect(always).toEqual(real);
    expect(real.length).toBe(66);
    expect(always).not.toContain('2026-11-26T00:00:00.000Z'); // Thanksgiving
    const weeks = open.bars(aapl, { ...query, barSize: '1 week', duration: '1 M' }, end).map((b) => dateOf(b.time));
    expect(weeks).toContain('2026-11-27'); // the Friday after Thanksgiving, not the Sunday
    // "5 D" of daily bars is five sessions in either mode.
    expect(open.bars(aapl, { ...query, duration: '5 D' }, end)).toHaveLength(5);
  });

  it('has no intraday bar on a holiday, even outside regular hours', () => {
    const end = Date.parse('2025-04-19T00:00:00Z'); // Good Friday 2025, 20:00 ET
    const bars = m.bars(aapl, { barSize: '1 hour', duration: '86400 S', whatToShow: 'TRADES', useRth: false, endMs: end }, end);
    expect(bars.filter((b) => b.time.startsWith('2025-04-18'))).toEqual([]);
  });

  it('ends the session at 13:00 ET on an early-close day', () => {
    const end = Date.parse('2025-11-28T23:00:00Z');
    const bars = m.bars(aapl, { barSize: '30 mins', duration: '1 D', whatToShow: 'TRADES', useRth: true, endMs: end }, end);
    expect(bars[0]?.time).toBe('2025-11-28T14:30:00.000Z');
    expect(bars.at(-1)?.time).toBe('2025-11-28T17:30:00.000Z'); // 12:30 ET, the last half hour before 13:00
  });

  it('aligns intraday bars to their size whatever the request end', () => {
    const end = Date.parse('2026-01-05T17:36:03.976Z');
    const bars = m.bars(aapl, { barSize: '5 mins', duration: '3600 S', whatToShow: 'TRADES', useRth: true, endMs: end }, end);
    for (const b of bars) expect(Date.parse(b.time) % 300_000).toBe(0);
    expect(bars[0]?.time).toBe('2026-01-05T16:35:00.000Z');
  });

  it('"1 D" is the last session: on Monday morning it is Monday from the open, on a Sunday it is Friday', () => {
    const monday = Date.parse('2026-01-05T15:00:00Z');
    const mon = m.bars(aapl, { barSize: '30 mins', duration: '1 D', whatToShow: 'TRADES', useRth: true, endMs: monday }, monday);
    expect(mon.map((b) => b.time)).toEqual(['2026-01-05T14:30:00.000Z']);
    const sunday = Date.parse('2026-01-04T18:00:00Z');
    const sun = m.bars(aapl, { barSize: '1 hour', duration: '1 D', whatToShow: 'TRADES', useRth: true, endMs: sunday }, sunday);
    expect(sun.length).toBe(7);
    expect(new Set(sun.map((b) => dateOf(b.time)))).toEqual(new Set(['2026-01-02']));
    // "2 D" on a Tuesday after MLK Day: Friday and Tuesday.
    const tuesday = Date.parse('2026-01-20T21:30:00Z');
    const two = m.bars(aapl, { barSize: '1 day', duration: '2 D', whatToShow: 'TRADES', useRth: true, endMs: tuesday }, tuesday);
    expect(two.map((b) => dateOf(b.time))).toEqual(['2026-01-16', '2026-01-20']);
  });

  it('labels a weekly bar by the last session of its week (the Thursday before Good Friday)', () => {
    const end = Date.parse('2025-04-30T21:00:00Z');
    const weeks = m.bars(aapl, { barSize: '1 week', duration: '1 M', whatToShow: 'TRADES', useRth: true, endMs: end }, end);
    const labels = weeks.map((b) => dateOf(b.time));
    expect(labels).toContain('2025-04-17');
    expect(labels).toContain('2025-04-11');
    expect(labels).toContain('2025-04-25');
  });
});

describe('expiries on the exchange calendar', () => {
  it('moves an option expiry that falls on Good Friday to the Thursday', () => {
    const exp = listedExpirations(Date.parse('2025-04-07T15:00:00Z'));
    expect(exp).toContain('2025-04-17');
    expect(exp).not.toContain('2025-04-18');
    expect(isListableExpiry('2025-04-17')).toBe(true);
    expect(isListableExpiry('2025-04-18')).toBe(false);
    expect(isListableExpiry('2025-04-16')).toBe(false);
  });

  it('never lists an expiry on 25 December', () => {
    const exp = listedExpirations(Date.parse('2026-12-01T15:00:00Z'));
    expect(exp).not.toContain('2026-12-25');
    expect(exp).toContain('2026-12-24');
  });
});

describe('orders on the exchange calendar', () => {
  let h: SimHarness | null = null;
  afterEach(async () => {
    await h?.cleanup();
    h = null;
  });

  it('does not trade on an NYSE holiday: a MKT order placed on Good Friday waits and fills at the next open', async () => {
    h = makeSimHarness({ session: 'real', start: '2026-04-03T15:00:00.000Z' }); // Good Friday 2026, 11:00 ET
    await h.broker.connect();
    const [aaplC] = await h.broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
    if (!aaplC) throw new Error('AAPL missing');
    const ack = await placeSim(h.broker, aaplC, { symbol: 'AAPL', action: 'BUY', quantity: 100, orderType: 'MKT', timeInForce: 'GTC' });
    expect(ack.status).not.toBe('FILLED');
    await h.advance(3 * 86_400_000); // to Monday 11:00 ET
    const fills = await h.broker.getExecutions();
    expect(fills).toHaveLength(1);
    expect(fills[0]?.time).toBe('2026-04-06T13:30:00.000Z'); // Monday 09:30 ET
  });

  it('expires a DAY order at the 13:00 ET early close', async () => {
    h = makeSimHarness({ session: 'real', start: '2026-11-27T15:00:00.000Z' }); // day after Thanksgiving, 10:00 ET
    await h.broker.connect();
    const [aaplC] = await h.broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
    if (!aaplC) throw new Error('AAPL missing');
    const ack = await placeSim(h.broker, aaplC, { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'LMT', limitPrice: 1, timeInForce: 'DAY' });
    await h.advance(3 * 3_600_000 - 1000); // 12:59:59 ET
    expect((await h.broker.getOrder(ack.orderId))?.status).not.toBe('EXPIRED');
    await h.advance(2000);
    const done = await h.broker.getOrder(ack.orderId);
    expect(done?.status).toBe('EXPIRED');
    expect(done?.updatedAt).toBe('2026-11-27T18:00:00.000Z');
  });
});

describe('FX on its holidays', () => {
  const eur = cat.listedBySymbol('EUR.USD')[0] as Instrument;
  let fx: SimHarness | null = null;
  afterEach(async () => {
    await fx?.cleanup();
    fx = null;
  });

  it('has no daily bar for Christmas Day, and bars either side of it', () => {
    const end = Date.parse('2026-12-31T12:00:00Z');
    const bars = m.bars(eur, { barSize: '1 day', duration: '2 M', whatToShow: 'MIDPOINT', useRth: false, endMs: end }, end);
    const dates = bars.map((b) => dateOf(b.time));
    expect(dates).not.toContain('2026-12-25');
    expect(dates).toContain('2026-12-24');
    expect(dates).toContain('2026-11-26'); // Thanksgiving trades on IDEALPRO
    expect(dates).toContain('2026-12-28');
  });

  it('does not fill on Christmas Day: a market order placed then waits for 17:15 ET, when IDEALPRO reopens', async () => {
    fx = makeSimHarness({ session: 'real', start: '2026-12-25T15:00:00.000Z' }); // Friday 25 Dec, 10:00 ET
    await fx.broker.connect();
    const [c] = await fx.broker.resolveContracts({ symbol: 'EUR.USD', securityType: 'CASH' });
    if (!c) throw new Error('EUR.USD missing');
    const ack = await placeSim(fx.broker, c, { symbol: 'EUR.USD', securityType: 'CASH', action: 'BUY', quantity: 20_000, orderType: 'MKT', timeInForce: 'GTC' });
    expect(ack.status).toBe('ACCEPTED');
    await fx.advance(7 * 3_600_000); // 17:00 ET
    expect(await fx.broker.getExecutions()).toEqual([]);
    await fx.advance(3_600_000);
    // The session for Monday 28 Dec opens on Sunday 27 Dec at 17:15 ET: Christmas is a Friday, so the week is over.
    expect(await fx.broker.getExecutions()).toEqual([]);
    await fx.advance(2 * 86_400_000);
    const fills = await fx.broker.getExecutions();
    expect(fills.map((f) => f.time)).toEqual(['2026-12-27T22:15:00.000Z']);
  });
});
