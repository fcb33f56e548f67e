/**
 * The Broker specification: what time and outages do to orders. A gateway
 * restart must not lose a fill that happened while the broker was away, and a
 * DAY order ends with its session while a GTC order lives on. These cases move
 * the clock by hours and days, so they run last.
 */
import { expect, it } from 'vitest';
import { AAPL, aaplHeld, attach, farBelow, floorToTick, place, plusTicks, restorePosition, skipIfDeclared, statusOf, until, type SpecWorld } from './world.js';

const SLOW = { timeout: 60_000 };
const HOUR = 3_600_000;
/** Statuses of an order that still works or waits to work. */
const LIVE: ReadonlySet<string | undefined> = new Set(['PENDING_SUBMIT', 'SUBMITTED', 'ACCEPTED', 'PARTIALLY_FILLED']);

export function recoveryCases(w: SpecWorld): void {
  it('after a gateway restart, reports the fill it missed while away, once', SLOW, async (ctx) => {
    skipIfDeclared(w, ctx, 'reconnect');
    const interrupt = w.h.interrupt?.bind(w.h);
    if (!interrupt) return ctx.skip('the harness cannot cut the broker off from its backend');
    const held = await aaplHeld(w);
    const tick = w.aapl.minTick;
    const quote = await w.broker.getQuote(w.aapl);
    const bid = quote.bid ?? quote.last;
    if (bid === null) throw new Error('no bid for AAPL');
    const ack = await place(w, { ...AAPL, action: 'BUY', quantity: 1, orderType: 'LMT', limitPrice: plusTicks(floorToTick(bid, tick), -1, tick), timeInForce: 'GTC' });
    await until(w, 'the order working', async () => (await statusOf(w, ack.orderId)) === 'ACCEPTED');
    expect(w.fills.filter((f) => f.orderId === ack.orderId)).toEqual([]);

    // Two days pass while the broker is away; the market trades through the limit.
    w.broker = await interrupt(2 * 24 * HOUR, (b) => attach(w, b));
    await until(w, 'reconnected', () => w.broker.status().state === 'connected');
    await until(w, 'the order found filled', async () => (await statusOf(w, ack.orderId)) === 'FILLED');
    await until(w, 'the missed fill reported', () => w.fills.some((f) => f.orderId === ack.orderId));

    const mine = w.fills.filter((f) => f.orderId === ack.orderId);
    expect(mine.reduce((q, f) => q + f.quantity, 0)).toBe(1);
    expect(new Set(mine.map((f) => f.execId)).size).toBe(mine.length);
    const executions = (await w.broker.getExecutions()).map((e) => e.execId);
    for (const f of mine) expect(executions).toContain(f.execId);
    expect((await w.broker.getOpenOrders()).map((o) => o.orderId)).not.toContain(ack.orderId);
    expect(await aaplHeld(w)).toBe(held + 1);
    await restorePosition(w, held);
  });

  it('ends a DAY order with its session, unfilled, while a GTC order lives on', SLOW, async (ctx) => {
    skipIfDeclared(w, ctx, 'day-expiry');
    const limit = await farBelow(w);
    const day = await place(w, { ...AAPL, action: 'BUY', quantity: 1, orderType: 'LMT', limitPrice: limit, timeInForce: 'DAY' });
    const gtc = await place(w, { ...AAPL, action: 'BUY', quantity: 1, orderType: 'LMT', limitPrice: limit, timeInForce: 'GTC' });
    await until(w, 'both orders working', async () => (await statusOf(w, day.orderId)) === 'ACCEPTED' && (await statusOf(w, gtc.orderId)) === 'ACCEPTED');

    await until(w, 'the DAY order to end', async () => !LIVE.has(await statusOf(w, day.orderId)), { steps: 30, stepMs: HOUR });
    // TWS's order statuses have no "expired": IBKR reports an expired DAY order as Cancelled, and only
    // reqCompletedOrders' completedStatus tells the two apart. So EXPIRED when the broker knows, else CANCELLED.
    const ended = await statusOf(w, day.orderId);
    expect(['EXPIRED', 'CANCELLED']).toContain(ended);
    await until(w, `the ${ended ?? ''} orderStatus event`, () => w.statuses.some((s) => s.orderId === day.orderId && s.status === ended));
    expect(await statusOf(w, gtc.orderId)).toBe('ACCEPTED');
    const open = (await w.broker.getOpenOrders()).map((o) => o.orderId);
    expect(open).not.toContain(day.orderId);
    expect(open).toContain(gtc.orderId);
    expect(w.fills.filter((f) => f.orderId === day.orderId || f.orderId === gtc.orderId)).toEqual([]);

    await w.broker.cancelOrder(gtc.orderId);
    await until(w, 'the GTC order cancelled', async () => (await statusOf(w, gtc.orderId)) === 'CANCELLED');
  });
}
