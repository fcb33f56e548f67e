/**
 * A scanner subscription keeps answering, as IB Gateway's do: the first
 * ranking at once, then a fresh whole list (rows, then scannerDataEnd) every
 * refresh interval with the market as it stands, until the client cancels.
 * The interval is an emulator option (default 30 s); here 100 ms.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EventName, Instrument, LocationCode, ScanCode } from '@stoqey/ib';
import { makeHarness, tick, type Harness } from '../testing/emulator-harness.js';

let h: Harness | null = null;

afterEach(async () => {
  for (const c of h?.clients ?? []) expect(c.decoderErrors()).toEqual([]);
  await h?.close();
  h = null;
});

describe('scanner subscriptions refresh', () => {
  it('sends the ranking again every interval with the market moved, and stops after the cancel', async () => {
    h = await makeHarness({ scannerRefreshMs: 100 });
    const c = await h.connect(1);
    c.ib.reqScannerSubscription(7, { instrument: Instrument.STK, locationCode: LocationCode.STK_US_MAJOR, scanCode: ScanCode.MOST_ACTIVE, numberOfRows: 3 });
    await c.waitFor(EventName.scannerDataEnd, (a) => a[0] === 7);
    const ends = (): number => c.all(EventName.scannerDataEnd, (a) => a[0] === 7).length;
    expect(ends()).toBe(1);

    // An hour of trading later the next answer comes by itself, a whole list of 3 ranked rows.
    await h.advance(3_600_000);
    for (let i = 0; i < 50 && ends() < 2; i++) await tick(20);
    expect(ends()).toBeGreaterThanOrEqual(2);
    const rows = c.all(EventName.scannerData, (a) => a[0] === 7);
    expect(rows.slice(3, 6).map((r) => r[1])).toEqual([0, 1, 2]);

    c.ib.cancelScannerSubscription(7);
    await tick(50);
    const after = ends();
    await tick(350);
    expect(ends()).toBe(after);
  });
});
