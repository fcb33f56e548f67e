/**
 * MIDPRICE (IBKR's Midprice order): it works at the midpoint of the bid and
 * ask, re-pegged as they move, and fills there (a half-penny on a one-cent
 * spread) when a trade prints at or through the midpoint, never at the far
 * touch; limitPrice caps it. US stocks and ETFs only; DAY or GTC.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OrderSpec, type Contract } from '../../core/models.js';
import { Catalogue, type Instrument } from './catalogue.js';
import { Market } from './market.js';
import { makeSimHarness, placeSim, type SimHarness } from '../../testing/sim-harness.js';

let h: SimHarness | null = null;
afterEach(async () => {
  await h?.cleanup();
  h = null;
});

const market = new Market(42, 'always-open');
const aaplInst = new Catalogue().listedBySymbol('AAPL')[0] as Instrument;

async function aapl(harness: SimHarness): Promise<Contract> {
  await harness.broker.connect();
  const [c] = await harness.broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
  if (!c) throw new Error('AAPL missing');
  return c;
}

describe('MIDPRICE', () => {
  it('fills at the midpoint of the touch of its fill instant, below the ask a market order pays', async () => {
    h = makeSimHarness();
    const c = await aapl(h);
    const ack = await placeSim(h.broker, c, { symbol: 'AAPL', action: 'BUY', quantity: 100, orderType: 'MIDPRICE', timeInForce: 'GTC' });
    for (let i = 0; i < 120 && (await h.broker.getOrder(ack.orderId))?.status !== 'FILLED'; i++) await h.advance(1000);
    const [fill] = await h.broker.getExecutions();
    expect(fill?.quantity).toBe(100);
    const touch = market.touch(aaplInst, Date.parse(fill?.time ?? ''));
    expect(fill?.price).toBeCloseTo((touch.bid + touch.ask) / 2, 9);
    expect(fill?.price as number).toBeLessThan(touch.ask);
  });

  it('never buys above its cap: capped under the bid, it rests', async () => {
    h = makeSimHarness();
    const c = await aapl(h);
    const q = await h.broker.getQuote(c);
    const cap = Number(((q.bid as number) - 5).toFixed(2));
    const ack = await placeSim(h.broker, c, { symbol: 'AAPL', action: 'BUY', quantity: 100, orderType: 'MIDPRICE', limitPrice: cap, timeInForce: 'GTC' });
    await h.advance(60_000);
    expect(await h.broker.getExecutions()).toEqual([]);
    expect((await h.broker.getOrder(ack.orderId))?.status).toBe('ACCEPTED');
  });

  it('is for US stocks and ETFs, DAY or GTC', async () => {
    h = makeSimHarness();
    await h.broker.connect();
    const [eur] = await h.broker.resolveContracts({ symbol: 'EUR.USD', securityType: 'CASH' });
    if (!eur) throw new Error('EUR.USD missing');
    const fx = await placeSim(h.broker, eur, { symbol: 'EUR.USD', securityType: 'CASH', action: 'BUY', quantity: 20_000, orderType: 'MIDPRICE' });
    expect(fx.message).toBe('MIDPRICE orders are only supported for US stocks and ETFs');
    const ioc = OrderSpec.safeParse({ symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MIDPRICE', timeInForce: 'IOC' });
    expect(ioc.success ? [] : ioc.error.issues.map((i) => i.message)).toEqual(['MIDPRICE orders must be DAY or GTC']);
  });
});
