/**
 * Reference data, derived history, scanners and derived streams through the
 * real @stoqey/ib client: each request gets its answer (or IB Gateway's error,
 * with the request id) and the client's decoder never complains.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DurationUnit, EventName, Instrument, LocationCode, ScanCode, SecType, TickByTickDataType, WhatToShow, type Contract as IbContract } from '@stoqey/ib';
import type { Contract } from '../core/models.js';
import { makeHarness, tick, type Harness } from '../testing/emulator-harness.js';

const AAPL: IbContract = { symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', currency: 'USD' };

let h: Harness;

beforeEach(async () => {
  h = await makeHarness();
});

afterEach(async () => {
  for (const c of h.clients) expect(c.decoderErrors()).toEqual([]);
  await h.close();
});

const aapl = async (): Promise<Contract> => {
  const [c] = await h.broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
  if (!c) throw new Error('AAPL missing from the simulator');
  return c;
};

describe('reference data', () => {
  it('finds symbols by prefix and by name, with their derivative types (reqMatchingSymbols)', async () => {
    const c = await h.connect(1);
    c.ib.reqMatchingSymbols(1, 'AAP');
    const [, samples] = await c.waitFor(EventName.symbolSamples, (a) => a[0] === 1);
    const first = (samples as { contract: IbContract; derivativeSecTypes: string[] }[])[0];
    expect(first?.contract).toMatchObject({ conId: 265598, symbol: 'AAPL', secType: 'STK', primaryExch: 'NASDAQ', currency: 'USD', description: 'APPLE INC' });
    expect(first?.derivativeSecTypes).toEqual(['OPT']);
    c.ib.reqMatchingSymbols(2, 'microsoft');
    const [, byName] = await c.waitFor(EventName.symbolSamples, (a) => a[0] === 2);
    expect((byName as { contract: IbContract }[]).map((x) => x.contract.symbol)).toContain('MSFT');
    c.ib.reqMatchingSymbols(3, 'ZZZZZZ');
    expect((await c.waitFor(EventName.symbolSamples, (a) => a[0] === 3))[1]).toEqual([]);
  });

  it('puts the industry, category and subcategory IB shows in a stock contract details, and leaves them empty for an ETF', async () => {
    const c = await h.connect(1);
    c.ib.reqContractDetails(11, AAPL);
    c.ib.reqContractDetails(12, { symbol: 'NVDA', secType: SecType.STK, exchange: 'SMART', currency: 'USD' });
    c.ib.reqContractDetails(13, { symbol: 'SPY', secType: SecType.STK, exchange: 'SMART', currency: 'USD' });
    const pick = async (id: number): Promise<string[]> => {
      const d = (await c.waitFor(EventName.contractDetails, (a) => a[0] === id))[1] as { industry: string; category: string; subcategory: string };
      return [d.industry, d.category, d.subcategory];
    };
    expect(await pick(11)).toEqual(['Technology', 'Computers', 'Computers']);
    expect(await pick(12)).toEqual(['Technology', 'Semiconductors', 'Electronic Compo-Semicon']);
    expect(await pick(13)).toEqual(['', '', '']);
  });

  it('puts trading and liquid hours, the time zone and market rule ids in contract details, and serves the rule', async () => {
    const c = await h.connect(1);
    c.ib.reqContractDetails(4, AAPL);
    const [, details] = await c.waitFor(EventName.contractDetails, (a) => a[0] === 4);
    const d = details as { timeZoneId: string; tradingHours: string; liquidHours: string; marketRuleIds: string; validExchanges: string };
    expect(d.timeZoneId).toBe('US/Eastern');
    // Monday 2026-01-05: 04:00-20:00 ET trading, 09:30-16:00 ET liquid; Saturday closed.
    expect(d.tradingHours.split(';')[0]).toBe('20260105:0400-20260105:2000');
    expect(d.liquidHours.split(';')[0]).toBe('20260105:0930-20260105:1600');
    expect(d.tradingHours).toContain('20260110:CLOSED');
    const ids = d.marketRuleIds.split(',');
    expect(ids.length).toBe(d.validExchanges.split(',').length);
    c.ib.reqMarketRule(Number(ids[0]));
    const [ruleId, increments] = await c.waitFor(EventName.marketRule);
    expect(ruleId).toBe(Number(ids[0]));
    expect(increments).toEqual([{ lowEdge: 0, increment: (await aapl()).minTick }]);
  });

  it('answers news providers with an empty list, historical news with an empty end, and refuses articles and WSH with 10276', async () => {
    const c = await h.connect(1);
    c.ib.reqNewsProviders();
    expect((await c.waitFor(EventName.newsProviders))[0]).toEqual([]);
    c.ib.reqHistoricalNews(5, 265598, 'BRFG', '', '', 10);
    expect((await c.waitFor(EventName.historicalNewsEnd, (a) => a[0] === 5))[1]).toBe(false);
    c.ib.reqNewsArticle(6, 'BRFG', 'BRFG$1');
    expect((await c.waitFor(EventName.error, (a) => a[2] === 6))[1]).toBe(10276);
    c.ib.reqWshMetaData(7);
    const wsh = await c.waitFor(EventName.error, (a) => a[2] === 7);
    // IBKR's message-code table: 10276 "News feed is not allowed" (not permissioned for the WSH feed).
    expect([wsh[1], (wsh[0] as Error).message]).toEqual([10276, 'News feed is not allowed.']);
    c.ib.reqWshEventData(8, { conId: 265598 } as never);
    expect((await c.waitFor(EventName.error, (a) => a[2] === 8))[1]).toBe(10276);
  });

  it('serves user info, family codes, soft-dollar tiers, smart components and depth exchanges', async () => {
    const c = await h.connect(1);
    c.ib.reqUserInfo(9);
    expect(await c.waitFor(EventName.userInfo, (a) => a[0] === 9)).toEqual([9, '']);
    c.ib.reqFamilyCodes();
    expect((await c.waitFor(EventName.familyCodes))[0]).toEqual(h.broker.accounts().map((accountID) => ({ accountID, familyCode: '' })));
    c.ib.reqSoftDollarTiers(10);
    expect((await c.waitFor(EventName.softDollarTiers, (a) => a[0] === 10))[1]).toEqual([]);
    c.ib.reqSmartComponents(11, 'a6');
    const [, map] = await c.waitFor(EventName.smartComponents, (a) => a[0] === 11);
    expect((map as Map<number, [string, string]>).get(1)).toEqual(['NASDAQ', 'Q']);
    c.ib.reqMktDepthExchanges();
    const [rows] = await c.waitFor(EventName.mktDepthExchanges);
    expect(rows).toContainEqual({ exchange: 'SMART', secType: 'STK', listingExch: '', serviceDataType: 'Deep2', aggGroup: 1 });
  });

  it('refuses fundamentals with 430 and FA configuration with 321, each with the request id', async () => {
    const c = await h.connect(1);
    c.ib.reqFundamentalData(12, AAPL, 'ReportSnapshot');
    expect((await c.waitFor(EventName.error, (a) => a[2] === 12))[1]).toBe(430);
    c.ib.replaceFA(13, 1, '<xml/>');
    expect((await c.waitFor(EventName.error, (a) => a[2] === 13))[1]).toBe(321);
  });
});

describe('derived history', () => {
  it('gives the head timestamp where the simulated history starts', async () => {
    const c = await h.connect(1);
    c.ib.reqHeadTimestamp(20, AAPL, WhatToShow.TRADES, true, 1);
    expect((await c.waitFor(EventName.headTimestamp, (a) => a[0] === 20))[1]).toBe('20000103-14:30:00');
    c.ib.reqHeadTimestamp(21, AAPL, WhatToShow.TRADES, true, 2);
    expect((await c.waitFor(EventName.headTimestamp, (a) => a[0] === 21))[1]).toBe(String(Date.UTC(2000, 0, 3, 14, 30) / 1000));
  });

  it('serves a histogram whose volumes add up to the bars of the same period', async () => {
    const c = await h.connect(1);
    c.ib.reqHistogramData(22, AAPL, true, 3, DurationUnit.DAY);
    const [, items] = await c.waitFor(EventName.histogramData, (a) => a[0] === 22);
    const bars = await h.broker.getHistoricalBars(await aapl(), { barSize: '5 mins', duration: '3 D', whatToShow: 'TRADES', useRth: true, endTime: new Date(h.clock.now()).toISOString() });
    const rows = items as { price: number; size: number }[];
    expect(rows.length).toBeGreaterThan(1);
    expect(rows.reduce((s, r) => s + r.size, 0)).toBeCloseTo(bars.reduce((s, b) => s + b.volume, 0), 0);
    expect(rows.map((r) => r.price)).toEqual([...rows.map((r) => r.price)].sort((a, b) => a - b));
  });

  it('serves historical Last, BidAsk and Midpoint ticks from the one-second bars of the same path', async () => {
    const c = await h.connect(1);
    const end = '20260105 14:59:00 UTC';
    const endIso = '2026-01-05T14:59:00.000Z';
    const seconds = (what: 'TRADES' | 'MIDPOINT' | 'BID' | 'ASK'): Promise<{ time: string; close: number; volume: number }[]> =>
      h.broker.getHistoricalBars(aaplContract, { barSize: '1 secs', duration: '1800 S', whatToShow: what, useRth: false, endTime: endIso });
    const aaplContract = await aapl();

    c.ib.reqHistoricalTicks(23, AAPL, '', end, 50, WhatToShow.MIDPOINT, 0, false);
    const [, mids, done] = await c.waitFor(EventName.historicalTicks, (a) => a[0] === 23);
    const midBars = (await seconds('MIDPOINT')).filter((b) => Date.parse(b.time) <= Date.parse(endIso)).slice(-50);
    expect(done).toBe(true);
    expect((mids as { time: number; price: number }[]).map((t) => [t.time, t.price])).toEqual(midBars.map((b) => [Date.parse(b.time) / 1000, b.close]));

    c.ib.reqHistoricalTicks(24, AAPL, '', end, 20, WhatToShow.BID_ASK, 0, false);
    const [, quotes] = await c.waitFor(EventName.historicalTicksBidAsk, (a) => a[0] === 24);
    const q = quotes as { priceBid: number; priceAsk: number }[];
    expect(q.length).toBe(20);
    const bids = (await seconds('BID')).filter((b) => Date.parse(b.time) <= Date.parse(endIso)).slice(-20);
    expect(q.map((t) => t.priceBid)).toEqual(bids.map((b) => b.close));
    for (const t of q) expect(t.priceAsk).toBeGreaterThan(t.priceBid);

    c.ib.reqHistoricalTicks(25, AAPL, '20260105 14:40:00 UTC', '', 30, WhatToShow.TRADES, 0, false);
    const [, trades] = await c.waitFor(EventName.historicalTicksLast, (a) => a[0] === 25);
    const t = trades as { time: number; price: number; size: number; exchange: string }[];
    expect(t.length).toBeGreaterThan(0);
    expect(t[0]?.time).toBeGreaterThanOrEqual(Date.UTC(2026, 0, 5, 14, 40) / 1000);
    expect(t[0]?.exchange).toBe('NASDAQ');
    for (const x of t) expect(x.size).toBeGreaterThan(0);

    c.ib.reqHistoricalTicks(26, AAPL, '', end, 10, WhatToShow.BID, 0, false);
    expect((await c.waitFor(EventName.error, (a) => a[2] === 26))[1]).toBe(162);
  });
});

describe('scanners', () => {
  it('lists what can be scanned in an XML parameters document', async () => {
    const c = await h.connect(1);
    c.ib.reqScannerParameters();
    const [xml] = await c.waitFor(EventName.scannerParameters);
    for (const code of ['MOST_ACTIVE', 'TOP_PERC_GAIN', 'TOP_PERC_LOSE', 'HOT_BY_VOLUME', 'STK.US.MAJOR']) expect(xml).toContain(`>${code}<`);
  });

  it('ranks the simulated universe by volume and by change, and refuses unknown scans with the request id', async () => {
    const c = await h.connect(1);
    const sub = { instrument: Instrument.STK, locationCode: LocationCode.STK_US_MAJOR, numberOfRows: 5 };
    c.ib.reqScannerSubscription(30, { ...sub, scanCode: ScanCode.MOST_ACTIVE });
    await c.waitFor(EventName.scannerDataEnd, (a) => a[0] === 30);
    const active = c.all(EventName.scannerData, (a) => a[0] === 30);
    expect(active.length).toBe(5);
    const volumes: number[] = [];
    for (const row of active) {
      const conId = (row[2] as { contract: IbContract }).contract.conId ?? 0;
      const [contract] = (await h.broker.resolveContracts({ symbol: (row[2] as { contract: IbContract }).contract.symbol ?? '', securityType: 'STK' })).concat(await h.broker.resolveContracts({ symbol: (row[2] as { contract: IbContract }).contract.symbol ?? '', securityType: 'ETF' }));
      expect(contract?.conId).toBe(conId);
      volumes.push((await h.broker.getQuote(contract as Contract)).volume ?? 0);
    }
    expect(active.map((r) => r[1])).toEqual([0, 1, 2, 3, 4]);
    expect(volumes).toEqual([...volumes].sort((a, b) => b - a));

    c.ib.reqScannerSubscription(31, { ...sub, scanCode: ScanCode.TOP_PERC_GAIN });
    await c.waitFor(EventName.scannerDataEnd, (a) => a[0] === 31);
    c.ib.reqScannerSubscription(32, { ...sub, scanCode: ScanCode.TOP_PERC_LOSE });
    await c.waitFor(EventName.scannerDataEnd, (a) => a[0] === 32);
    const gain = c.all(EventName.scannerData, (a) => a[0] === 31).map((r) => (r[2] as { contract: IbContract }).contract.symbol);
    const lose = c.all(EventName.scannerData, (a) => a[0] === 32).map((r) => (r[2] as { contract: IbContract }).contract.symbol);
    expect(gain[0]).not.toBe(lose[0]);
    c.ib.reqScannerSubscription(33, { ...sub, scanCode: ScanCode.HOT_BY_VOLUME });
    await c.waitFor(EventName.scannerDataEnd, (a) => a[0] === 33);
    expect(c.all(EventName.scannerData, (a) => a[0] === 33).length).toBe(5);
    c.ib.cancelScannerSubscription(33);

    c.ib.reqScannerSubscription(34, { ...sub, scanCode: ScanCode.HIGH_OPT_IMP_VOLAT });
    expect((await c.waitFor(EventName.error, (a) => a[2] === 34))[1]).toBe(321);
  });
});

describe('derived streams', () => {
  it('streams market depth from the simulated book: the touch, then deeper levels', async () => {
    const c = await h.connect(1);
    const quote = await h.broker.getQuote(await aapl());
    c.ib.reqMktDepth(40, AAPL, 5, false);
    await c.waitFor(EventName.updateMktDepth, (a) => a[0] === 40 && a[1] === 4 && a[3] === 0);
    const rows = c.all(EventName.updateMktDepth, (a) => a[0] === 40);
    const bid0 = rows.find((r) => r[1] === 0 && r[3] === 1);
    const ask0 = rows.find((r) => r[1] === 0 && r[3] === 0);
    expect([bid0?.[2], bid0?.[4], bid0?.[5]]).toEqual([0, quote.bid, quote.bidSize]);
    expect([ask0?.[4], ask0?.[5]]).toEqual([quote.ask, quote.askSize]);
    const bidPrices = rows.filter((r) => r[3] === 1).map((r) => r[4] as number);
    expect(bidPrices).toEqual([...bidPrices].sort((a, b) => b - a));
    c.ib.reqMktDepth(41, AAPL, 3, true);
    const l2 = await c.waitFor(EventName.updateMktDepthL2, (a) => a[0] === 41);
    expect(l2[2]).toBe('NASDAQ');
    expect(l2[7]).toBe(true);
    await h.advance(60_000);
    await tick(30);
    expect(c.all(EventName.updateMktDepth, (a) => a[0] === 40 && a[2] === 1).length).toBeGreaterThan(0);
    c.ib.cancelMktDepth(40, false);
    c.ib.cancelMktDepth(41, true);
  });

  it('sends a 5-second bar as each completes, equal to the simulator bar', async () => {
    const c = await h.connect(1);
    c.ib.reqRealTimeBars(42, AAPL, 5, WhatToShow.TRADES, false);
    await h.advanceUntil(() => c.all(EventName.realtimeBar, (a) => a[0] === 42).length > 0, 5_000);
    const [, time, open, , , close] = await c.waitFor(EventName.realtimeBar, (a) => a[0] === 42);
    const [bar] = await h.broker.getHistoricalBars(await aapl(), { barSize: '5 secs', duration: '60 S', whatToShow: 'TRADES', useRth: false, endTime: new Date((Number(time) + 5) * 1000).toISOString() }).then((b) => b.filter((x) => Date.parse(x.time) / 1000 === time));
    expect(Number(time) % 5).toBe(0);
    expect([open, close]).toEqual([bar?.open, bar?.close]);
    c.ib.cancelRealTimeBars(42);
  });

  it('streams tick-by-tick Last, BidAsk and MidPoint from the simulated quote', async () => {
    const c = await h.connect(1);
    const quote = await h.broker.getQuote(await aapl());
    c.ib.reqTickByTickData(43, AAPL, TickByTickDataType.BidAsk, 0, false);
    const ba = await c.waitFor(EventName.tickByTickBidAsk, (a) => a[0] === 43);
    expect([ba[2], ba[3]]).toEqual([quote.bid, quote.ask]);
    c.ib.reqTickByTickData(44, AAPL, TickByTickDataType.MidPoint, 0, false);
    const mid = await c.waitFor(EventName.tickByTickMidPoint, (a) => a[0] === 44);
    expect(mid[2]).toBeCloseTo(((quote.bid ?? 0) + (quote.ask ?? 0)) / 2, 8);
    c.ib.reqTickByTickData(45, AAPL, TickByTickDataType.AllLast, 0, false);
    const last = await c.waitFor(EventName.tickByTickAllLast, (a) => a[0] === 45);
    expect(last[3]).toBe(quote.last);
    await h.advance(60_000);
    await tick(30);
    expect(c.all(EventName.tickByTickBidAsk, (a) => a[0] === 43).length).toBeGreaterThan(1);
    c.ib.cancelTickByTickData(43);
    c.ib.cancelTickByTickData(44);
    c.ib.cancelTickByTickData(45);
  });
});

describe('tick-by-tick with history', () => {
  it('sends the last numberOfTicks ticks as historical ticks first, then streams', async () => {
    const c = await h.connect(1);
    c.ib.reqTickByTickData(46, AAPL, TickByTickDataType.BidAsk, 20, false);
    const [, ticks, done] = await c.waitFor(EventName.historicalTicksBidAsk, (a) => a[0] === 46);
    expect((ticks as unknown[]).length).toBe(20);
    expect(done).toBe(true);
    await c.waitFor(EventName.tickByTickBidAsk, (a) => a[0] === 46);
    c.ib.cancelTickByTickData(46);
  });
});

describe('historical bar kinds beyond the simulator own', () => {
  const request = async (reqId: number, what: string, duration = '2 D', bar = '1 hour'): Promise<unknown[][]> => {
    const c = h.clients[0] ?? (await h.connect(1));
    c.ib.reqHistoricalData(reqId, AAPL, '', duration, bar as never, what as never, 0, 1, false);
    await Promise.race([
      c.waitFor(EventName.historicalData, (a) => a[0] === reqId && String(a[1]).startsWith('finished')),
      c.waitFor(EventName.error, (a) => a[2] === reqId),
    ]);
    return c.all(EventName.historicalData, (a) => a[0] === reqId && !String(a[1]).startsWith('finished'));
  };
  const query = { barSize: '1 hour', duration: '2 D', useRth: false } as const;

  it('serves BID_ASK as time-average bid, highest ask, lowest bid and time-average ask', async () => {
    const bars = await request(50, 'BID_ASK');
    const end = new Date(h.clock.now()).toISOString();
    const [bids, asks] = await Promise.all([h.broker.getHistoricalBars(await aapl(), { ...query, whatToShow: 'BID', endTime: end }), h.broker.getHistoricalBars(await aapl(), { ...query, whatToShow: 'ASK', endTime: end })]);
    expect(bars.length).toBe(bids.length);
    expect(bars.map((b) => b[3])).toEqual(asks.map((a) => a.high));
    expect(bars.map((b) => b[4])).toEqual(bids.map((x) => x.low));
  });

  it('serves ADJUSTED_LAST equal to TRADES (the simulator has no splits or dividends)', async () => {
    const adjusted = await request(51, 'ADJUSTED_LAST');
    const trades = await request(52, 'TRADES');
    expect(adjusted.map((b) => b[5])).toEqual(trades.map((b) => b[5]));
  });

  it('serves HISTORICAL_VOLATILITY and OPTION_IMPLIED_VOLATILITY as annualised volatilities', async () => {
    const hv = await request(53, 'HISTORICAL_VOLATILITY', '5 D', '1 day');
    expect(hv.length).toBeGreaterThan(0);
    for (const b of hv) expect(b[5]).toBeGreaterThan(0.01);
    for (const b of hv) expect(b[5]).toBeLessThan(3);
    const iv = await request(54, 'OPTION_IMPLIED_VOLATILITY', '5 D', '1 day');
    const chain = await h.broker.getOptionChain(await aapl(), { strikesAroundSpot: 1 });
    expect(iv.length).toBeGreaterThan(0);
    expect(chain.options.map((o) => Number(o.impliedVolatility?.toFixed(6)))).toContain(iv[0]?.[5]);
  });

  it('refuses kinds it has no data for, and unknown kinds, with 162 and the request id', async () => {
    const c = await h.connect(1);
    await request(55, 'YIELD_BID');
    expect((await c.waitFor(EventName.error, (a) => a[2] === 55))[1]).toBe(162);
    await request(56, 'NONSENSE');
    expect((await c.waitFor(EventName.error, (a) => a[2] === 56))[1]).toBe(162);
  });
});

describe('weekly bars', () => {
  // On the real calendar: with SIM_SESSION=always-open every day trades, so a week's last session is its Sunday.
  let real: Harness;
  beforeAll(async () => {
    real = await makeHarness({ session: 'real' });
  });
  afterAll(async () => {
    await real.close();
  });

  it('are labelled by the last trading day of their week (the Friday, or today for this week), as IBKR labels them', async () => {
    const c = await real.connect(1);
    c.ib.reqHistoricalData(60, AAPL, '', '3 W', '1 week' as never, 'TRADES' as never, 1, 1, false);
    await c.waitFor(EventName.historicalData, (a) => a[0] === 60 && String(a[1]).startsWith('finished'));
    const labels = c.all(EventName.historicalData, (a) => a[0] === 60 && !String(a[1]).startsWith('finished')).map((b) => String(b[1]));
    expect(labels.at(-1)).toBe('20260105');
    for (const l of labels.slice(0, -1)) expect(new Date(`${l.slice(0, 4)}-${l.slice(4, 6)}-${l.slice(6)}T12:00:00Z`).getUTCDay()).toBe(5);
    expect(labels).toContain('20260102');
  });
});
