import { Decimal } from 'decimal.js';
import { afterEach, describe, expect, it } from 'vitest';
import { makeSimHarness, placeSim, type SimHarness } from '../../testing/sim-harness.js';

const ACCOUNT = 'DU1234567';
let h: SimHarness | null = null;
afterEach(async () => {
  await h?.cleanup();
  h = null;
});

describe("the daily P&L: today's fills, and what was held overnight from the previous close", () => {
  it('the day turns at New York midnight: before it the day of the buy, from it the change since the close', async () => {
    // Monday 2026-01-05 10:00 New York (EST, UTC-5).
    h = makeSimHarness({ start: '2026-01-05T15:00:00.000Z' });
    await h.broker.connect();
    const [aapl] = await h.broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
    if (!aapl) throw new Error('AAPL missing');
    const ack = await placeSim(h.broker, aapl, { symbol: 'AAPL', action: 'BUY', quantity: 100, orderType: 'MKT' });
    const order = await h.broker.getOrder(ack.orderId);
    const paid = new Decimal(order?.avgFillPrice as number).times(100).plus(order?.commission as number);

    const dailyAt = async (iso: string) => {
      await h?.advance(Date.parse(iso) - (h?.clock.now() ?? 0));
      const quote = await h?.broker.getQuote(aapl);
      const pnl = await h?.broker.getPnl(ACCOUNT);
      return { quote, daily: pnl?.dailyPnl, row: pnl?.bySymbol[0]?.dailyPnl };
    };
    // Monday 23:59:59.999 New York: still the day of the buy, so its P&L is the value less what the buy paid.
    const monday = await dailyAt('2026-01-06T04:59:59.999Z');
    expect(monday.daily).toBe(new Decimal(monday.quote?.last as number).times(100).minus(paid).toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toNumber());
    // Tuesday 00:00 New York: held overnight, so measured from Monday's close.
    for (const iso of ['2026-01-06T05:00:00.000Z', '2026-01-06T15:00:00.000Z']) {
      const tuesday = await dailyAt(iso);
      const sinceClose = new Decimal(tuesday.quote?.last as number).minus(tuesday.quote?.close as number).times(100);
      expect(tuesday.daily).toBe(sinceClose.toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toNumber());
      expect(tuesday.row).toBe(tuesday.daily);
    }
  });
});
