/**
 * Quotes for an instrument asked for again and again come from a streaming
 * line, not a snapshot round trip each (warm-quotes.ts): the second quote
 * within the idle time opens the stream, later quotes are its ticks; a line a
 * subscription needs is given up at once; after a reconnect nothing from
 * before the gap is served.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Contract } from '../../core/models.js';
import { makeTwsHarness, type TwsHarness } from '../../testing/tws-harness.js';

let h: TwsHarness | null = null;

afterEach(async () => {
  await h?.cleanup();
  h = null;
});

async function setup(maxMarketDataLines = 100): Promise<{ x: TwsHarness; resolve: (symbol: string) => Promise<Contract>; sent: (what: string) => number }> {
  const x = await makeTwsHarness({ maxMarketDataLines });
  h = x;
  await x.broker.connect();
  const counts = new Map<string, number>();
  const send = x.broker.conn.send.bind(x.broker.conn);
  x.broker.conn.send = (what, fn) => {
    counts.set(what, (counts.get(what) ?? 0) + 1);
    return send(what, fn);
  };
  const resolve = async (symbol: string): Promise<Contract> => {
    const [c] = await x.broker.resolveContracts({ symbol, securityType: 'STK' });
    if (!c) throw new Error(`${symbol} did not resolve`);
    return c;
  };
  return { x, resolve, sent: (what) => counts.get(what) ?? 0 };
}

describe('tws warm quotes', () => {
  it('answers the third and later quotes of an instrument from a stream, without a snapshot each', async () => {
    const { x, resolve, sent } = await setup();
    const aapl = await resolve('AAPL');
    await x.broker.getQuote(aapl); // a one-off: no stream
    expect(x.broker.status().detail.marketDataLines).toBe(0);
    await x.broker.getQuote(aapl); // asked again: the stream opens
    expect(x.broker.status().detail.marketDataLines).toBe(1);
    await x.advance(1000);
    await x.until('the stream to tick', async () => {
      const before = sent('reqMktData snapshot');
      await x.broker.getQuote(aapl);
      return sent('reqMktData snapshot') === before;
    });

    const snapshots = sent('reqMktData snapshot');
    const quotes = await Promise.all([x.broker.getQuote(aapl), x.broker.getQuote(aapl), x.broker.getQuote(aapl)]);
    expect(sent('reqMktData snapshot')).toBe(snapshots);
    for (const q of quotes) {
      expect(q.conId).toBe(aapl.conId);
      expect(q.bid ?? q.ask ?? q.last).not.toBeNull();
    }
  });

  it('gives a warm line up to a subscription that needs it', async () => {
    // Four lines: at most one of them warm.
    const { x, resolve } = await setup(4);
    const aapl = await resolve('AAPL');
    await x.broker.getQuote(aapl);
    await x.broker.getQuote(aapl);
    const stops = [];
    for (const symbol of ['MSFT', 'TSLA', 'IBM']) stops.push(x.broker.subscribeQuotes(await resolve(symbol), () => undefined));
    expect(x.broker.status().detail.marketDataLines).toBe(4);

    // A fifth instrument: the warm AAPL line makes room instead of a refusal.
    stops.push(x.broker.subscribeQuotes(await resolve('GOOG'), () => undefined));
    expect(x.broker.status().detail.marketDataLines).toBe(4);
    expect(() => x.broker.subscribeQuotes(aapl, () => undefined)).toThrow(/line budget/);
    for (const stop of stops) stop();
  });

  it('serves no quote from before a reconnect: the quote after it is the market after the gap', async () => {
    const { x, resolve, sent } = await setup();
    const aapl = await resolve('AAPL');
    await x.broker.getQuote(aapl);
    await x.broker.getQuote(aapl);
    await x.advance(1000);
    await x.until('the stream to tick', async () => {
      const before = sent('reqMktData snapshot');
      await x.broker.getQuote(aapl);
      return sent('reqMktData snapshot') === before;
    });
    const beforeGap = await x.broker.getQuote(aapl);

    await x.restartGateway(3 * 3600_000); // the market moves three hours while the adapter is away
    const afterGap = await x.broker.getQuote(aapl);
    const market = await x.sim.getQuote(aapl);
    expect(afterGap.bid).not.toBe(beforeGap.bid);
    expect(afterGap.bid).toBe(market.bid);
    expect(afterGap.ask).toBe(market.ask);
  });
});
