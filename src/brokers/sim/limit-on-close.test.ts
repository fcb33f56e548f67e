/**
 * LOC (limit-on-close) as IBKR and the exchanges run it: the order joins the
 * closing auction and executes, in full, at the official close price when
 * that price is within its limit; otherwise it is not executed and is
 * cancelled after the close. Like MOC it is accepted until 15:50 ET and is
 * for US stocks and ETFs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Contract } from '../../core/models.js';
import { makeSimHarness, placeSim, type SimHarness } from '../../testing/sim-harness.js';

let h: SimHarness | null = null;
afterEach(async () => {
  await h?.cleanup();
  h = null;
});

async function contract(harness: SimHarness, symbol: string, securityType: 'STK' | 'CASH' = 'STK'): Promise<Contract> {
  const [c] = await harness.broker.resolveContracts({ symbol, securityType });
  if (!c) throw new Error(`${symbol} missing`);
  return c;
}

/** The official close of Monday 2026-01-05, as the daily bar reports it. */
async function mondayClose(harness: SimHarness, aapl: Contract): Promise<number> {
  const bars = await harness.broker.getHistoricalBars(aapl, { barSize: '1 day', duration: '1 D', whatToShow: 'TRADES', useRth: true, endTime: '2026-01-05T22:00:00.000Z' });
  return bars.at(-1)?.close as number;
}

describe('LOC', () => {
  it('executes at the close price when the close is within its limit, and is not executed when it is not', async () => {
    h = makeSimHarness({ session: 'real', start: '2026-01-05T15:00:00.000Z' }); // Monday 10:00 ET
    await h.broker.connect();
    const aapl = await contract(h, 'AAPL');
    const q = await h.broker.getQuote(aapl);
    const generous = await placeSim(h.broker, aapl, { symbol: 'AAPL', action: 'BUY', quantity: 10, orderType: 'LOC', limitPrice: Number(((q.ask as number) * 1.2).toFixed(2)) });
    const stingy = await placeSim(h.broker, aapl, { symbol: 'AAPL', action: 'BUY', quantity: 10, orderType: 'LOC', limitPrice: Number(((q.bid as number) * 0.8).toFixed(2)) });
    expect(generous.status).toBe('ACCEPTED');
    expect(stingy.status).toBe('ACCEPTED');
    await h.advance(6 * 3_600_000 - 1000); // 15:59:59 ET: nothing before the close
    expect(await h.broker.getExecutions()).toEqual([]);
    await h.advance(60_000);
    const close = await mondayClose(h, aapl);
    const fills = await h.broker.getExecutions();
    expect(fills.map((f) => [f.orderId, f.quantity, f.price, f.time])).toEqual([[generous.orderId, 10, close, '2026-01-05T21:00:00.000Z']]);
    const missed = await h.broker.getOrder(stingy.orderId);
    expect(missed?.status).toBe('CANCELLED');
    expect(missed?.message).toBe(`Not executed in the closing auction at ${close}: limit ${Number(((q.bid as number) * 0.8).toFixed(2))}`);
  });

  it('is refused from 15:50 ET, and for anything but US stocks and ETFs', async () => {
    h = makeSimHarness({ session: 'real', start: '2026-01-05T20:51:00.000Z' }); // Monday 15:51 ET
    await h.broker.connect();
    const late = await placeSim(h.broker, await contract(h, 'AAPL'), { symbol: 'AAPL', action: 'SELL', quantity: 1, orderType: 'LOC', limitPrice: 1 });
    expect(late.status).toBe('REJECTED');
    expect(late.message).toBe('LOC orders must be submitted by 15:50 ET');
    const fx = await placeSim(h.broker, await contract(h, 'EUR.USD', 'CASH'), { symbol: 'EUR.USD', securityType: 'CASH', action: 'BUY', quantity: 1000, orderType: 'LOC', limitPrice: 2 });
    expect(fx.status).toBe('REJECTED');
    expect(fx.message).toBe('LOC orders are only supported for US stocks and ETFs');
  });
});
