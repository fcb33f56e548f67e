/**
 * Market data lines over the real @stoqey/ib client: depth, tick-by-tick and
 * real-time bars hold a line each, shared with reqMktData and across clients
 * (101 beyond the allowance); depth and tick-by-tick are also capped at 3 at
 * the base 100 lines (309 and 10190 beyond), and a cancel gives the line back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EventName, SecType, type Contract as IbContract } from '@stoqey/ib';
import { makeHarness, type Harness } from '../testing/emulator-harness.js';
import { depthLimit } from './market-lines.js';

const stock = (symbol: string): IbContract => ({ symbol, secType: SecType.STK, exchange: 'SMART', currency: 'USD' });
let h: Harness | null = null;

afterEach(async () => {
  for (const c of h?.clients ?? []) expect(c.decoderErrors()).toEqual([]);
  await h?.close();
  h = null;
});

const errorOf = async (c: Awaited<ReturnType<Harness['connect']>>, reqId: number): Promise<[number, string]> => {
  const e = await c.waitFor(EventName.error, (a) => a[2] === reqId);
  return [e[1] as number, (e[0] as Error).message];
};

describe('market data lines', () => {
  it('IBKR allows 3 depth and tick-by-tick streams at 100 lines, one more per further 100', () => {
    expect([depthLimit(100), depthLimit(250), depthLimit(400), depthLimit(1100)]).toEqual([3, 3, 4, 11]);
  });

  it('a real-time bar stream, a depth stream and a tick-by-tick stream each take a line that reqMktData then lacks; a cancel gives it back', async () => {
    h = await makeHarness({ maxMarketDataLines: 3 });
    const a = await h.connect(1);
    const b = await h.connect(2);
    a.ib.reqRealTimeBars(1, stock('AAPL'), 5, 'TRADES' as never, false);
    a.ib.reqMktDepth(2, stock('MSFT'), 5, false);
    await a.waitFor(EventName.updateMktDepth, (x) => x[0] === 2);
    b.ib.reqTickByTickData(3, stock('NVDA'), 'Last' as never, 0, false);
    await b.waitFor(EventName.tickByTickAllLast, (x) => x[0] === 3);
    // Three lines in use, across two clients: a fourth request of any kind is refused.
    b.ib.reqMktData(4, stock('AMD'), '', false, false);
    expect(await errorOf(b, 4)).toEqual([101, 'Max number of tickers has been reached']);
    a.ib.reqTickByTickData(5, stock('AMD'), 'BidAsk' as never, 0, false);
    expect((await errorOf(a, 5))[0]).toBe(101);

    a.ib.cancelMktDepth(2, false);
    b.ib.reqMktData(6, stock('AMD'), '', false, false);
    await b.waitFor(EventName.tickPrice, (x) => x[0] === 6);
  });

  it('a fourth depth stream gets 309 and a fourth tick-by-tick stream 10190, with lines to spare', async () => {
    h = await makeHarness({ maxMarketDataLines: 100 });
    const c = await h.connect(1);
    const symbols = ['AAPL', 'MSFT', 'NVDA', 'AMD'];
    symbols.forEach((s, i) => c.ib.reqMktDepth(10 + i, stock(s), 5, false));
    expect(await errorOf(c, 13)).toEqual([309, 'Max number (3) of market depth requests has been reached']);
    symbols.forEach((s, i) => c.ib.reqTickByTickData(20 + i, stock(s), 'MidPoint' as never, 0, false));
    expect(await errorOf(c, 23)).toEqual([10190, 'Max number of tick-by-tick requests has been reached.']);
    expect(c.all(EventName.error, (a) => [10, 11, 12, 20, 21, 22].includes(a[2] as number))).toEqual([]);
  });
});
