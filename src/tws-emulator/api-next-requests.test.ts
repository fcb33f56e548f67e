/**
 * The newly served requests through @stoqey/ib's IBApiNext (the observable
 * API), which wraps each in its own request bookkeeping: every call resolves
 * (or errors with IB's code) instead of waiting forever.
 */
import { expect, it } from 'vitest';
import { firstValueFrom, filter, lastValueFrom, take, toArray } from 'rxjs';
import { DurationUnit, Instrument, LocationCode, ScanCode, SecType, WhatToShow, type Contract as IbContract } from '@stoqey/ib';
import { useApiNextSession } from '../testing/api-next-session.js';

const AAPL: IbContract = { symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', currency: 'USD' };

const s = useApiNextSession();

it('serves reference data: matching symbols, market rule, user info, depth exchanges, scanner parameters', async () => {
  const symbols = await s.api.getMatchingSymbols('NVD');
  expect(symbols[0]?.contract?.symbol).toBe('NVDA');
  const [details] = await s.api.getContractDetails(AAPL);
  const ruleId = Number(details?.marketRuleIds?.split(',')[0]);
  expect(await s.api.getMarketRule(ruleId)).toEqual([{ lowEdge: 0, increment: 0.01 }]);
  expect(await s.api.getUserInfo()).toBe('');
  expect((await s.api.getMarketDepthExchanges()).length).toBeGreaterThan(0);
  expect(await s.api.getScannerParameters()).toContain('<ScanParameterResponse>');
});

it('serves head timestamp, histogram and historical ticks', async () => {
  expect(await s.api.getHeadTimestamp(AAPL, WhatToShow.TRADES, true, 1)).toBe('20000103-14:30:00');
  const histogram = await s.api.getHistogramData(AAPL, true, 1, DurationUnit.WEEK);
  expect(histogram.length).toBeGreaterThan(1);
  const mids = await lastValueFrom(s.api.getHistoricalTicksMid(AAPL, '', '20260105 14:59:00 UTC', 25, false));
  expect(mids.length).toBe(25);
  const quotes = await lastValueFrom(s.api.getHistoricalTicksBidAsk(AAPL, '', '20260105 14:59:00 UTC', 25, false, false));
  expect(quotes.length).toBe(25);
  const trades = await lastValueFrom(s.api.getHistoricalTicksLast(AAPL, '20260105 14:30:00 UTC', '', 25, false));
  expect(trades.length).toBeGreaterThan(0);
});

it('streams a scanner', async () => {
  const scan = await firstValueFrom(s.api.getMarketScanner({ instrument: Instrument.STK, locationCode: LocationCode.STK_US_MAJOR, scanCode: ScanCode.TOP_PERC_GAIN, numberOfRows: 3 }));
  expect(scan.all.size).toBe(3);
}, 5000);

it('streams market depth', async () => {
  const book = await firstValueFrom(s.api.getMarketDepth(AAPL, 3, false).pipe(filter((u) => u.all.bids.size === 3 && u.all.asks.size === 3)));
  expect(book.all.bids.size).toBe(3);
}, 5000);

it('streams tick-by-tick', async () => {
  const tbt = firstValueFrom(s.api.getTickByTickAllLastDataUpdates(AAPL));
  expect((await tbt).price).toBeGreaterThan(0);
}, 5000);

it('streams real-time bars', async () => {
  let settled = false;
  const bars = firstValueFrom(s.api.getRealTimeBars(AAPL, WhatToShow.TRADES, false).pipe(take(2), toArray())).finally(() => (settled = true));
  // IBApiNext sends the request on its next scheduler turn: step the clock until both bars have come.
  await s.h.advanceUntil(() => settled, 5_000);
  const got = await bars;
  expect(got.length).toBe(2);
  expect(Number(got[1]?.time ?? 0) - Number(got[0]?.time ?? 0)).toBe(5);
}, 5000);

it('refuses fundamentals with IB error 430 instead of leaving the promise pending', async () => {
  await expect(s.api.getFundamentalData(AAPL, 'ReportSnapshot')).rejects.toMatchObject({ code: 430 });
});

it('keeps a stream going after other streams on the same contract were cancelled', async () => {
  await firstValueFrom(s.api.getMarketDepth(AAPL, 3, false).pipe(filter((u) => u.all.bids.size === 3 && u.all.asks.size === 3)));
  await firstValueFrom(s.api.getTickByTickAllLastDataUpdates(AAPL));
  let settled = false;
  const bars = firstValueFrom(s.api.getRealTimeBars(AAPL, WhatToShow.TRADES, false).pipe(take(2), toArray())).finally(() => (settled = true));
  // IBApiNext sends the request on its next scheduler turn: step the clock until both bars have come.
  await s.h.advanceUntil(() => settled, 5_000);
  expect((await bars).length).toBe(2);
}, 5000);
