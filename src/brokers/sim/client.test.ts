/**
 * The end-to-end checks through createClient() with ORDERS_ENABLED=true
 * and BROKER=sim: the whole core (gates, risk, audit, order events) over the
 * simulator, on a manual clock.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Decimal } from 'decimal.js';
import { ManualClock } from '../../core/clock.js';
import { secFeeRate } from './fee-schedule.js';
import { createClient } from '../../gateway.js';
import type { GatewayClient } from '../../core/client/interface.js';
import { flush, MONDAY_10_ET } from '../../testing/sim-harness.js';

let open: Array<{ client: GatewayClient; dir: string }> = [];

async function client(session: 'real' | 'always-open' = 'always-open'): Promise<{ client: GatewayClient; clock: ManualClock }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibkr-sim-client-'));
  const clock = new ManualClock(MONDAY_10_ET);
  const c = await createClient({
    clock,
    env: { BROKER: 'sim', ORDERS_ENABLED: 'true', TRADING_MODE: 'paper', DATA_DIR: dir, SIM_SESSION: session, SIM_SEED: '42', LOG_LEVEL: 'silent', DUPLICATE_ORDER_WINDOW_SECONDS: '0' },
  });
  open.push({ client: c, dir });
  return { client: c, clock };
}

afterEach(async () => {
  for (const o of open) {
    await o.client.close();
    fs.rmSync(o.dir, { recursive: true, force: true });
  }
  open = [];
});

describe('through createClient() with ORDERS_ENABLED=true', () => {
  it('a MKT buy of 100 AAPL fills; position 100 at the fill price; cash drops by value + commission; selling realises the P&L', async () => {
    const { client: c, clock } = await client();
    const before = await c.getAccountSummary();
    const buy = await c.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity: 100, orderType: 'MKT' });
    await flush();
    const bought = await c.getOrderStatus(buy.orderId);
    expect(bought.status).toBe('FILLED');
    const price = bought.avgFillPrice as number;
    const positions = await c.getPositions();
    expect(positions.find((p) => p.symbol === 'AAPL')?.quantity).toBe(100);
    const after = await c.getAccountSummary();
    expect(after.totalCash).toBe(new Decimal(before.totalCash).minus(new Decimal(price).times(100)).minus(1).toNumber());

    clock.advance(3_600_000);
    await flush();
    const sell = await c.placeOrder({ symbol: 'AAPL', action: 'SELL', quantity: 100, orderType: 'MKT' });
    await flush();
    const sold = await c.getOrderStatus(sell.orderId);
    expect(sold.status).toBe('FILLED');
    // The sale's commission includes the fees IBKR passes through: the SEC fee at its rate on the day of the sale and FINRA TAF (0.02).
    const expected = new Decimal(sold.avgFillPrice as number).minus(price).times(100).minus(1).minus(sold.commission as number).toNumber();
    const secFee = new Decimal(sold.avgFillPrice as number).times(100).times(secFeeRate(clock.now())).toDecimalPlaces(2, Decimal.ROUND_UP);
    expect(sold.commission).toBe(secFee.plus('1.02').toNumber());
    expect((await c.getPnl()).realizedPnl).toBe(expected);
  });

  it('a LMT buy below the market rests ACCEPTED, then cancel gives CANCELLED', async () => {
    const { client: c } = await client();
    const q = await c.getQuote({ symbol: 'AAPL' });
    const limit = Number(((q.bid as number) * 0.95).toFixed(2));
    const placed = await c.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity: 10, orderType: 'LMT', limitPrice: limit, timeInForce: 'GTC' });
    expect(placed.status).toBe('ACCEPTED');
    const cancelled = await c.cancelOrder(placed.orderId);
    await flush();
    expect((await c.getOrderStatus(placed.orderId)).status).toBe('CANCELLED');
    expect(cancelled.orderId).toBe(placed.orderId);
  });

  // FOK is judged against the whole book within its limit (a MKT FOK just over the displayed size fills from the depth).
  it('an FOK for more than the book shows within its limit is cancelled unfilled', async () => {
    const { client: c } = await client();
    const q = await c.getQuote({ symbol: 'AAPL' });
    const placed = await c.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity: (q.askSize as number) + 100, orderType: 'LMT', limitPrice: q.ask as number, timeInForce: 'FOK' });
    await flush();
    const detail = await c.getOrderStatus(placed.orderId);
    expect(detail.status).toBe('CANCELLED');
    expect(detail.filledQuantity).toBe(0);
  });

  it('a DAY order expires at the close when the clock passes it', async () => {
    const { client: c, clock } = await client('real');
    const q = await c.getQuote({ symbol: 'AAPL' });
    const placed = await c.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity: 10, orderType: 'LMT', limitPrice: Number(((q.bid as number) * 0.95).toFixed(2)), timeInForce: 'DAY' });
    expect(placed.status).toBe('ACCEPTED');
    clock.set('2026-01-05T21:00:01.000Z');
    await flush();
    expect((await c.getOrderStatus(placed.orderId)).status).toBe('EXPIRED');
  });
});
