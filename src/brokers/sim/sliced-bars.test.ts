import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BarSize, WhatToShow } from '../../core/models.js';
import { Catalogue, type Instrument } from './catalogue.js';
import { Market } from './market.js';
import { barsInSlices } from './sliced-bars.js';

const cat = new Catalogue();
const MON_10ET = Date.parse('2026-01-05T15:00:00Z');
// A stock, a future (nearly 24-hour sessions), FX (round the clock) and an index.
const instruments = [...['AAPL', 'EUR.USD', 'SPX'].map((s) => cat.listedBySymbol(s)[0]), cat.futuresListed('ES', MON_10ET, 1)[0]].map((i) => {
  if (i === undefined) throw new Error('instrument missing from the catalogue');
  return i;
});

/** Intraday requests IBKR's table allows, several slices long. */
const REQUESTS: Array<[BarSize, string]> = [
  ['1 secs', '1800 S'],
  ['5 secs', '3600 S'],
  ['15 secs', '14400 S'],
  ['30 secs', '28800 S'],
  ['1 min', '1 D'],
  ['2 mins', '2 D'],
  ['3 mins', '1 W'],
  ['20 mins', '1 W'],
  ['30 mins', '1 M'],
  ['4 hours', '1 M'],
  ['8 hours', '1 M'],
];

describe('history in slices', () => {
  it('gives exactly the bars of one Market.bars call, for any end time (to the millisecond), session mode and instrument', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...REQUESTS),
        fc.constantFrom(...instruments),
        fc.integer({ min: 0, max: 20 * 86_400_000 }),
        fc.boolean(),
        fc.constantFrom<'real' | 'always-open'>('real', 'always-open'),
        fc.constantFrom<WhatToShow>('MIDPOINT', 'BID'),
        async ([barSize, duration], inst, back, useRth, mode, whatToShow) => {
          const market = new Market(42, mode);
          const query = { barSize, duration, whatToShow, useRth, endMs: MON_10ET - back };
          let pauses = 0;
          const pause = async (): Promise<void> => {
            pauses += 1;
          };
          // "N D" counts sessions: the window's start comes from the market, as getHistoricalBars passes it.
          const sliced = barsInSlices((q, now) => market.bars(inst, q, now), query, MON_10ET, pause, undefined, market.requestStart(inst, query, MON_10ET));
          let whole: ReturnType<Market['bars']>;
          try {
            whole = market.bars(inst, query, MON_10ET);
          } catch (err) {
            // A request the market refuses (BID of an index) is refused the same way.
            await expect(sliced).rejects.toThrow((err as Error).message);
            return;
          }
          expect(await sliced).toEqual(whole);
          // Several slices, so the event loop really was given back.
          if (whole.length > 150) expect(pauses).toBeGreaterThan(1);
        },
      ),
      { numRuns: 60 },
    );
  }, 120_000);

  it('refuses what the whole request breaks, not what each slice would allow', async () => {
    const market = new Market(42, 'always-open');
    const inst = instruments[0] as Instrument;
    await expect(barsInSlices((q, now) => market.bars(inst, q, now), { barSize: '1 secs', duration: '1 D', whatToShow: 'TRADES', useRth: false, endMs: MON_10ET }, MON_10ET)).rejects.toMatchObject({
      code: 'HISTORICAL_DATA_ERROR',
    });
  });
});
