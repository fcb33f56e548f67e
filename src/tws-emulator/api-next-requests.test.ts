/**
 * The newly served requests through @stoqey/ib's IBApiNext (the observable
 * API), which wraps each in its own request bookkeeping: every call resolves
 * (or errors with IB's code) instead of waiting forever.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { firstValueFrom, filter, lastValueFrom, take, toArray } from 'rxjs';
import { ConnectionState, DurationUnit, IBApiNext, Instrument, LocationCode, ScanCode, SecType, WhatToShow, type Contract as IbContract } from '@stoqey/ib';
import { makeHarness, type Harness } from '../testing/emulator-harness.js';

const AAPL: IbContract = { symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', currency: 'USD' };

let h: Harness;
let api: IBApiNext;
const errors: { code: number; message: string }[] = [];

beforeEach(async () => {
  h = await makeHarness();
  api = new IBApiNext({ host: '127.0.0.1', port: h.emulator.port });
  errors.length = 0;
  api.error.subscribe((e) => errors.push({ code: e.code, message: e.error.message }));
  api.connect(9);
  await firstValueFrom(api.connectionState.pipe(filter((s) => s === ConnectionState.Connected)));
});

afterEach(async () => {
  expect(errors.filter((e) => e.code === 505)).toEqual([]);
  api.disconnect();
  await h.close();
});

it('serves reference data: matching symbols, market rule, user info, depth exchanges, scanner parameters', async () => {
  const symbols = await api.getMatchingSymbols('NVD');
  expect(symbols[0]?.contract?.symbol).toBe('NVDA');
  const [details] = await api.getContractDetails(AAPL);
  const ruleId = Number(details?.marketRuleIds?.split(',')[0]);
  expect(await api.getMarketRule(ruleId)).toEqual([{ lowEdge: 0, increment: 0.01 }]);
  expect(await api.getUserInfo()).toBe('');
  expect((await api.getMarketDepthExchanges()).length).toBeGreaterThan(0);
  expect(await api.getScannerParameters()).toContain('<ScanParameterResponse>');
});

it('serves head timestamp, histogram and historical ticks', async () => {
  expect(await api.getHeadTimestamp(AAPL, WhatToShow.TRADES, true, 1)).toBe('20000103-14:30:00');
  const histogram = await api.getHistogramData(AAPL, true, 1, DurationUnit.WEEK);
  expect(histogram.length).toBeGreaterThan(1);
  const mids = await lastValueFrom(api.getHistoricalTicksMid(AAPL, '', '20260105 14:59:00 UTC', 25, false));
  expect(mids.length).toBe(25);
  const quotes = await lastValueFrom(api.getHistoricalTicksBidAsk(AAPL, '', '20260105 14:59:00 UTC', 25, false, false));
  expect(quotes.length).toBe(25);
  const trades = await lastValueFrom(api.getHistoricalTicksLast(AAPL, '20260105 14:30:00 UTC', '', 25, false));
  expect(trades.length).toBeGreaterThan(0);
});

it('streams a scanner', async () => {
  const scan = await firstValueFrom(api.getMarketScanner({ instrument: Instrument.STK, locationCode: LocationCode.STK_US_MAJOR, scanCode: ScanCode.TOP_PERC_GAIN, numberOfRows: 3 }));
  expect(scan.all.size).toBe(3);
}, 5000);

it('streams market depth', async () => {
  const book = await firstValueFrom(api.getMarketDepth(AAPL, 3, false).pipe(filter((u) => u.all.bids.size === 3 && u.all.asks.size === 3)));
  expect(book.all.bids.size).toBe(3);
}, 5000);

it('streams tick-by-tick', async () => {
  const tbt = firstValueFrom(api.getTickByTickAllLastDataUpdates(AAPL));
  expect((await tbt).price).toBeGreaterThan(0);
}, 5000);

it('streams real-time bars', async () => {
  let settled = false;
  const bars = firstValueFrom(api.getRealTimeBars(AAPL, WhatToShow.TRADES, false).pipe(take(2), toArray())).finally(() => (settled = true));
  // IBApiNext sends the request on its next scheduler turn: step the clock until both bars have come.
  await h.advanceUntil(() => settled, 5_000);
  const got = await bars;
  expect(got.length).toBe(2);
  expect(Number(got[1]?.time ?? 0) - Number(got[0]?.time ?? 0)).toBe(5);
}, 5000);

it('refuses fundamentals with IB error 430 instead of leaving the promise pending', async () => {
  await expect(api.getFundamentalData(AAPL, 'ReportSnapshot')).rejects.toMatchObject({ code: 430 });
});

it('keeps a stream going after other streams on the same contract were cancelled', async () => {
  await firstValueFrom(api.getMarketDepth(AAPL, 3, false).pipe(filter((u) => u.all.bids.size === 3 && u.all.asks.size === 3)));
  await firstValueFrom(api.getTickByTickAllLastDataUpdates(AAPL));
  let settled = false;
  const bars = firstValueFrom(api.getRealTimeBars(AAPL, WhatToShow.TRADES, false).pipe(take(2), toArray())).finally(() => (settled = true));
  // IBApiNext sends the request on its next scheduler turn: step the clock until both bars have come.
  await h.advanceUntil(() => settled, 5_000);
  expect((await bars).length).toBe(2);
}, 5000);
