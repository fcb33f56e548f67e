/**
 * The README's table of TWS API requests, held to account: every client
 * message id of the protocol is a row, and every row is sent here with the
 * real @stoqey/ib client (raw frames for the four verification messages
 * @stoqey/ib has no method for) and answered as the row says, with no
 * decoder error and the connection still serving afterwards.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DurationUnit, EventName, Instrument, LocationCode, OptionExerciseAction, OrderAction, OrderType, ScanCode, SecType, TickByTickDataType, WhatToShow, type Contract as IbContract } from '@stoqey/ib';
import { encodeFrame, splitFields } from './framing.js';
import { makeHarness, tick, type Harness, type TestClient } from '../testing/emulator-harness.js';

const AAPL: IbContract = { symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', currency: 'USD' };

/** Every message id a TWS API client can send (IBKR's EClient / @stoqey/ib's OUT_MSG_ID). */
const CLIENT_IDS = [...Array.from({ length: 25 }, (_, i) => i + 1), ...Array.from({ length: 11 }, (_, i) => i + 49), ...Array.from({ length: 44 }, (_, i) => i + 61)];

/** Message ids in the README's request table (its second column). */
function readmeIds(): number[] {
  const readme = fs.readFileSync(path.join(import.meta.dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('| Request (EClient) | Message id |'));
  const rows = section.slice(0, section.indexOf('\n\n')).split('\n').slice(2);
  return rows.flatMap((row) => (row.split('|')[2] ?? '').match(/\d+/g)?.map(Number) ?? []).sort((a, b) => a - b);
}

let h: Harness;
let c: TestClient;
let account: string;
let reqId = 1000;

/** Sets up the account the table runs on: fresh, or with positions, fills and a completed order from an earlier client. */
async function setUp(history: boolean): Promise<void> {
  h = await makeHarness();
  account = h.broker.accounts()[0] ?? '';
  if (history) {
    const earlier = await h.connect(2);
    earlier.ib.placeOrder(1, { ...AAPL, symbol: 'MSFT' }, { action: OrderAction.BUY, totalQuantity: 7, orderType: OrderType.MKT, tif: 'DAY', transmit: true });
    await earlier.waitFor(EventName.orderStatus, (a) => a[0] === 1 && a[1] === 'Filled');
    earlier.ib.placeOrder(2, { ...AAPL, symbol: 'MSFT' }, { action: OrderAction.SELL, totalQuantity: 1, orderType: OrderType.LMT, lmtPrice: 100_000, tif: 'GTC', transmit: true });
    await earlier.waitFor(EventName.orderStatus, (a) => a[0] === 2);
    await h.advance(3_600_000);
  }
  c = await h.connect(1);
}

async function tearDown(): Promise<void> {
  for (const client of h.clients) expect(client.decoderErrors()).toEqual([]);
  await h.close();
}

const errorFor = async (id: number): Promise<number> => (await c.waitFor(EventName.error, (a) => a[2] === id))[1] as number;
/** A request that needs no answer: nothing is sent back for it, and the connection still answers. */
const stillServing = async (): Promise<void> => {
  const before = c.all(EventName.currentTime).length;
  c.ib.reqCurrentTime();
  await c.waitFor(EventName.currentTime, () => c.all(EventName.currentTime).length > before);
};

/** One probe per client message id: sends it and checks what comes back. */
const PROBES: Record<number, () => Promise<void>> = {
  1: async () => {
    const id = ++reqId;
    c.ib.reqMktData(id, AAPL, '', true, false);
    await c.waitFor(EventName.tickSnapshotEnd, (a) => a[0] === id);
  },
  2: async () => {
    const id = ++reqId;
    c.ib.reqMktData(id, AAPL, '', false, false);
    await c.waitFor(EventName.tickPrice, (a) => a[0] === id);
    c.ib.cancelMktData(id);
    await stillServing();
  },
  3: async () => {
    c.ib.placeOrder(1, AAPL, { action: OrderAction.BUY, totalQuantity: 1, orderType: OrderType.MKT, tif: 'DAY', transmit: true });
    await c.waitFor(EventName.orderStatus, (a) => a[0] === 1 && a[1] === 'Filled');
    await c.waitFor(EventName.commissionReport);
  },
  4: async () => {
    c.ib.placeOrder(2, AAPL, { action: OrderAction.BUY, totalQuantity: 1, orderType: OrderType.LMT, lmtPrice: 1, tif: 'DAY', transmit: true });
    await c.waitFor(EventName.orderStatus, (a) => a[0] === 2);
    c.ib.cancelOrder(2, {});
    expect(await errorFor(2)).toBe(202);
  },
  5: async () => {
    c.ib.reqOpenOrders();
    await c.waitFor(EventName.openOrderEnd);
  },
  6: async () => {
    c.ib.reqAccountUpdates(true, account);
    await c.waitFor(EventName.accountDownloadEnd, (a) => a[0] === account);
    c.ib.reqAccountUpdates(false, account);
  },
  7: async () => {
    const id = ++reqId;
    c.ib.reqExecutions(id, {});
    await c.waitFor(EventName.execDetailsEnd, (a) => a[0] === id);
    expect(c.all(EventName.execDetails, (a) => a[0] === id).length).toBe(1);
  },
  8: async () => {
    c.ib.reqIds();
    await c.waitFor(EventName.nextValidId, (a) => (a[0] as number) > 1);
  },
  9: async () => {
    const id = ++reqId;
    c.ib.reqContractDetails(id, AAPL);
    await c.waitFor(EventName.contractDetailsEnd, (a) => a[0] === id);
  },
  10: async () => {
    const id = ++reqId;
    c.ib.reqMktDepth(id, AAPL, 2, false);
    await c.waitFor(EventName.updateMktDepth, (a) => a[0] === id);
    c.ib.cancelMktDepth(id, false);
  },
  11: async () => {
    c.ib.cancelMktDepth(999_999, false);
    await stillServing();
  },
  12: async () => {
    c.ib.reqNewsBulletins(true);
    await stillServing();
  },
  13: async () => {
    c.ib.cancelNewsBulletins();
    await stillServing();
  },
  14: async () => {
    c.ib.setServerLogLevel(3);
    await stillServing();
  },
  15: async () => {
    c.ib.reqAutoOpenOrders(true);
    await stillServing();
  },
  16: async () => {
    const before = c.all(EventName.openOrderEnd).length;
    c.ib.reqAllOpenOrders();
    await c.waitFor(EventName.openOrderEnd, () => c.all(EventName.openOrderEnd).length > before);
  },
  17: async () => {
    const before = c.all(EventName.managedAccounts).length;
    c.ib.reqManagedAccts();
    await c.waitFor(EventName.managedAccounts, () => c.all(EventName.managedAccounts).length > before);
  },
  18: async () => {
    // No request id: the client reports an error without one as info.
    c.ib.requestFA(1);
    await c.waitFor(EventName.info, (a) => a[1] === 321 && String(a[0]).includes('FA data operations'));
  },
  19: async () => {
    const id = ++reqId;
    c.ib.replaceFA(id, 1, '<ListOfGroups/>');
    expect(await errorFor(id)).toBe(321);
  },
  20: async () => {
    const id = ++reqId;
    c.ib.reqHistoricalData(id, AAPL, '', '1 D', '1 hour' as never, 'TRADES', 0, 1, false);
    await c.waitFor(EventName.historicalData, (a) => a[0] === id && String(a[1]).startsWith('finished'));
  },
  21: async () => {
    const id = ++reqId;
    c.ib.exerciseOptions(id, { ...AAPL, secType: SecType.OPT }, OptionExerciseAction.EXERCISE, 1, account, 0);
    expect(await errorFor(id)).toBe(321);
  },
  22: async () => {
    const id = ++reqId;
    c.ib.reqScannerSubscription(id, { instrument: Instrument.STK, locationCode: LocationCode.STK_US_MAJOR, scanCode: ScanCode.MOST_ACTIVE, numberOfRows: 3 });
    await c.waitFor(EventName.scannerDataEnd, (a) => a[0] === id);
  },
  23: async () => {
    c.ib.cancelScannerSubscription(999_999);
    await stillServing();
  },
  24: async () => {
    c.ib.reqScannerParameters();
    await c.waitFor(EventName.scannerParameters);
  },
  25: async () => {
    c.ib.cancelHistoricalData(999_999);
    await stillServing();
  },
  49: stillServing,
  50: async () => {
    const id = ++reqId;
    c.ib.reqRealTimeBars(id, AAPL, 5, WhatToShow.MIDPOINT, false);
    await h.advanceUntil(() => c.all(EventName.realtimeBar, (a) => a[0] === id).length > 0, 5_000);
    await c.waitFor(EventName.realtimeBar, (a) => a[0] === id);
    c.ib.cancelRealTimeBars(id);
  },
  51: async () => {
    c.ib.cancelRealTimeBars(999_999);
    await stillServing();
  },
  52: async () => {
    const id = ++reqId;
    c.ib.reqFundamentalData(id, AAPL, 'ReportSnapshot');
    expect(await errorFor(id)).toBe(430);
  },
  53: async () => {
    c.ib.cancelFundamentalData(999_999);
    await stillServing();
  },
  54: async () => {
    const id = ++reqId;
    c.ib.calculateImpliedVolatility(id, AAPL, 5, 230);
    expect(await errorFor(id)).toBe(321);
  },
  55: async () => {
    const id = ++reqId;
    c.ib.calculateOptionPrice(id, AAPL, 0.3, 230);
    expect(await errorFor(id)).toBe(321);
  },
  56: async () => {
    c.ib.cancelCalculateImpliedVolatility(999_999);
    await stillServing();
  },
  57: async () => {
    c.ib.cancelCalculateOptionPrice(999_999);
    await stillServing();
  },
  58: async () => {
    c.ib.placeOrder(3, AAPL, { action: OrderAction.BUY, totalQuantity: 1, orderType: OrderType.LMT, lmtPrice: 1, tif: 'DAY', transmit: true });
    await c.waitFor(EventName.orderStatus, (a) => a[0] === 3);
    c.ib.reqGlobalCancel();
    await c.waitFor(EventName.orderStatus, (a) => a[0] === 3 && a[1] === 'Cancelled');
  },
  59: async () => {
    c.ib.reqMarketDataType(1);
    await stillServing();
  },
  61: async () => {
    c.ib.reqPositions();
    await c.waitFor(EventName.positionEnd);
  },
  62: async () => {
    const id = ++reqId;
    c.ib.reqAccountSummary(id, 'All', 'NetLiquidation');
    await c.waitFor(EventName.accountSummaryEnd, (a) => a[0] === id);
  },
  63: async () => {
    c.ib.cancelAccountSummary(999_999);
    await stillServing();
  },
  64: async () => {
    c.ib.cancelPositions();
    await stillServing();
  },
  65: () => rawRefused([65, 1, 'key', 'app']),
  66: () => rawRefused([66, 1, 'message']),
  67: async () => {
    const id = ++reqId;
    c.ib.queryDisplayGroups(id);
    expect(await errorFor(id)).toBe(321);
  },
  68: async () => {
    const id = ++reqId;
    c.ib.subscribeToGroupEvents(id, 1);
    expect(await errorFor(id)).toBe(321);
  },
  69: async () => {
    const id = ++reqId;
    c.ib.updateDisplayGroup(id, '265598@SMART');
    expect(await errorFor(id)).toBe(321);
  },
  70: async () => {
    c.ib.unsubscribeFromGroupEvents(999_999);
    await stillServing();
  },
  71: async () => {
    // START_API is what every connect sends: answered by managedAccounts and nextValidId (seen by beforeAll's connect).
    expect(c.all(EventName.managedAccounts).length).toBeGreaterThan(0);
  },
  72: () => rawRefused([72, 1, 'key', 'app']),
  73: () => rawRefused([73, 1, 'message', 'response']),
  74: async () => {
    const id = ++reqId;
    c.ib.reqPositionsMulti(id, account, '');
    await c.waitFor(EventName.positionMultiEnd, (a) => a[0] === id);
    expect(c.all(EventName.positionMulti, (a) => a[0] === id).length).toBe((await h.broker.getPositions(account)).length);
  },
  75: async () => {
    c.ib.cancelPositionsMulti(999_999);
    await stillServing();
  },
  76: async () => {
    const id = ++reqId;
    c.ib.reqAccountUpdatesMulti(id, account, '', false);
    await c.waitFor(EventName.accountUpdateMultiEnd, (a) => Number(a[0]) === id);
  },
  77: async () => {
    c.ib.cancelAccountUpdatesMulti(999_999);
    await stillServing();
  },
  78: async () => {
    const id = ++reqId;
    c.ib.reqSecDefOptParams(id, 'AAPL', '', SecType.STK, 265598);
    await c.waitFor(EventName.securityDefinitionOptionParameterEnd, (a) => a[0] === id);
  },
  79: async () => {
    const id = ++reqId;
    c.ib.reqSoftDollarTiers(id);
    await c.waitFor(EventName.softDollarTiers, (a) => a[0] === id);
  },
  80: async () => {
    c.ib.reqFamilyCodes();
    await c.waitFor(EventName.familyCodes);
  },
  81: async () => {
    const id = ++reqId;
    c.ib.reqMatchingSymbols(id, 'MSF');
    await c.waitFor(EventName.symbolSamples, (a) => a[0] === id);
  },
  82: async () => {
    c.ib.reqMktDepthExchanges();
    await c.waitFor(EventName.mktDepthExchanges);
  },
  83: async () => {
    const id = ++reqId;
    c.ib.reqSmartComponents(id, 'a6');
    await c.waitFor(EventName.smartComponents, (a) => a[0] === id);
  },
  84: async () => {
    const id = ++reqId;
    c.ib.reqNewsArticle(id, 'BRFG', 'BRFG$1');
    expect(await errorFor(id)).toBe(10276);
  },
  85: async () => {
    c.ib.reqNewsProviders();
    await c.waitFor(EventName.newsProviders);
  },
  86: async () => {
    const id = ++reqId;
    c.ib.reqHistoricalNews(id, 265598, 'BRFG', '', '', 5);
    await c.waitFor(EventName.historicalNewsEnd, (a) => a[0] === id);
  },
  87: async () => {
    const id = ++reqId;
    c.ib.reqHeadTimestamp(id, AAPL, WhatToShow.TRADES, true, 1);
    await c.waitFor(EventName.headTimestamp, (a) => a[0] === id);
  },
  88: async () => {
    const id = ++reqId;
    c.ib.reqHistogramData(id, AAPL, true, 1, DurationUnit.DAY);
    await c.waitFor(EventName.histogramData, (a) => a[0] === id);
  },
  89: async () => {
    c.ib.cancelHistogramData(999_999);
    await stillServing();
  },
  90: async () => {
    c.ib.cancelHeadTimestamp(999_999);
    await stillServing();
  },
  91: async () => {
    c.ib.reqMarketRule(1_000_000);
    expect((await c.waitFor(EventName.marketRule, (a) => a[0] === 1_000_000))[1]).toEqual([{ lowEdge: 0, increment: 0.01 }]);
  },
  92: async () => {
    const id = ++reqId;
    c.ib.reqPnL(id, account, '');
    await c.waitFor(EventName.pnl, (a) => a[0] === id);
    c.ib.cancelPnL(id);
  },
  93: async () => {
    c.ib.cancelPnL(999_999);
    await stillServing();
  },
  94: async () => {
    const id = ++reqId;
    c.ib.reqPnLSingle(id, account, '', 265598);
    await c.waitFor(EventName.pnlSingle, (a) => a[0] === id);
    c.ib.cancelPnLSingle(id);
  },
  95: async () => {
    c.ib.cancelPnLSingle(999_999);
    await stillServing();
  },
  96: async () => {
    const id = ++reqId;
    c.ib.reqHistoricalTicks(id, AAPL, '', '20260105 14:59:00 UTC', 10, WhatToShow.MIDPOINT, 0, false);
    await c.waitFor(EventName.historicalTicks, (a) => a[0] === id);
  },
  97: async () => {
    const id = ++reqId;
    c.ib.reqTickByTickData(id, AAPL, TickByTickDataType.MidPoint, 0, false);
    await c.waitFor(EventName.tickByTickMidPoint, (a) => a[0] === id);
    c.ib.cancelTickByTickData(id);
  },
  98: async () => {
    c.ib.cancelTickByTickData(999_999);
    await stillServing();
  },
  99: async () => {
    c.ib.reqCompletedOrders(false);
    await c.waitFor(EventName.completedOrdersEnd);
  },
  100: async () => {
    const id = ++reqId;
    c.ib.reqWshMetaData(id);
    expect(await errorFor(id)).toBe(10276);
  },
  101: async () => {
    c.ib.reqCancelWshMetaData(999_999);
    await stillServing();
  },
  102: async () => {
    const id = ++reqId;
    c.ib.reqWshEventData(id, { conId: 265598 } as never);
    expect(await errorFor(id)).toBe(10276);
  },
  103: async () => {
    c.ib.reqCancelWshEventData(999_999);
    await stillServing();
  },
  104: async () => {
    const id = ++reqId;
    c.ib.reqUserInfo(id);
    await c.waitFor(EventName.userInfo, (a) => a[0] === id);
  },
};

/** Sends one message @stoqey/ib has no method for on a raw connection (client id 77) and expects a 321 error for it. */
async function rawRefused(fields: (string | number)[]): Promise<void> {
  const socket = net.connect(h.emulator.port, '127.0.0.1');
  // The gateway's side of the wire is plain length-prefixed frames (no handshake prefix).
  let buffer = Buffer.alloc(0);
  const messages: string[][] = [];
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    while (buffer.length >= 4 && buffer.length >= 4 + buffer.readUInt32BE(0)) {
      const size = buffer.readUInt32BE(0);
      messages.push(splitFields(buffer.subarray(4, 4 + size)));
      buffer = buffer.subarray(4 + size);
    }
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const versions = Buffer.from('v100..178');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(versions.length);
  socket.write(Buffer.concat([Buffer.from('API\0'), length, versions]));
  await tick(30);
  socket.write(encodeFrame([71, 2, 77, '']));
  await tick(30);
  socket.write(encodeFrame(fields));
  for (let i = 0; i < 100 && !messages.some((m) => m[0] === '4' && m[3] === '321'); i++) await tick(10);
  socket.destroy();
  expect(messages.some((m) => m[0] === '4' && m[3] === '321')).toBe(true);
}

it('the README request table lists every client message id of the protocol, and this test probes every row', () => {
  expect(readmeIds()).toEqual(CLIENT_IDS);
  expect(Object.keys(PROBES).map(Number).sort((a, b) => a - b)).toEqual(CLIENT_IDS);
});

for (const history of [false, true]) {
  describe(`every request of the README table, ${history ? 'on an account with positions and history' : 'on a fresh account'}`, () => {
    beforeAll(() => setUp(history));
    afterAll(tearDown);

    for (const id of CLIENT_IDS) {
      it(`answers message ${id} as the table says`, async () => {
        const probe = PROBES[id];
        if (!probe) throw new Error(`no probe for message ${id}`);
        await probe();
      });
    }
  });
}
