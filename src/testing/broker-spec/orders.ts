/**
 * The Broker specification: orders. Market and limit orders, what-if,
 * brackets (children wait for the entry, are cancelled with it, arm when it
 * fills, and one exit cancels the other) and one-cancels-all groups, each as
 * IBKR behaves.
 */
import { expect, it } from 'vitest';
import { Fill, OrderSpec } from '../../core/models.js';
import { AAPL, aaplHeld, farBelow, floorToTick, place, plusTicks, restorePosition, skipIfDeclared, statusOf, until, type SpecWorld } from './world.js';

/** Cases that wait on the market get room on a real socket. */
const SLOW = { timeout: 60_000 };

export function orderCases(w: SpecWorld): void {
  it('fills a market order, emits orderStatus and fill events, and lists the execution', async () => {
    const started = new Date(Date.parse(w.broker.status().serverTime ?? new Date().toISOString()) - 1000).toISOString();
    const ack = await place(w, { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT', timeInForce: 'DAY' });
    expect(['PENDING_SUBMIT', 'SUBMITTED', 'ACCEPTED', 'PARTIALLY_FILLED', 'FILLED']).toContain(ack.status);
    await until(w, 'the market order to fill', async () => (await w.broker.getOrder(ack.orderId))?.status === 'FILLED');
    await until(w, 'the FILLED orderStatus event', () => w.statuses.some((s) => s.orderId === ack.orderId && s.status === 'FILLED'));
    await until(w, 'the fill event', () => w.fills.some((f) => f.orderId === ack.orderId));

    const state = await w.broker.getOrder(ack.orderId);
    expect(state?.filledQuantity).toBe(1);
    expect(state?.remainingQuantity).toBe(0);
    expect(state?.avgFillPrice).toBeGreaterThan(0);
    const mine = w.fills.filter((f) => f.orderId === ack.orderId);
    for (const f of mine) {
      Fill.parse(f);
      expect(f.side).toBe('BUY');
    }
    expect(mine.reduce((q, f) => q + f.quantity, 0)).toBe(1);

    const executions = await w.broker.getExecutions({ since: started });
    for (const e of executions) Fill.parse(e);
    for (const f of mine) expect(executions.map((e) => e.execId)).toContain(f.execId);

    const positions = await w.broker.getPositions(w.account);
    const held = positions.find((p) => p.conId === 265598);
    expect(held?.quantity ?? 0).toBeGreaterThanOrEqual(1);
    expect((await w.broker.getOpenOrders()).map((o) => o.orderId)).not.toContain(ack.orderId);

    // Leave the account as it was found.
    const exit = await place(w, { symbol: 'AAPL', action: 'SELL', quantity: 1, orderType: 'MKT', timeInForce: 'DAY' });
    await until(w, 'the closing market order to fill', async () => (await w.broker.getOrder(exit.orderId))?.status === 'FILLED');
  });

  it('rests a limit order far below the market, lists it as open, and cancels it', async () => {
    const limit = await farBelow(w);
    const ack = await place(w, { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'LMT', limitPrice: limit, timeInForce: 'GTC' });
    expect(['PENDING_SUBMIT', 'SUBMITTED', 'ACCEPTED']).toContain(ack.status);
    await until(w, 'the limit order to be working', async () => (await w.broker.getOpenOrders()).some((o) => o.orderId === ack.orderId));
    const open = (await w.broker.getOpenOrders()).find((o) => o.orderId === ack.orderId);
    expect(open?.filledQuantity).toBe(0);
    expect(open?.spec.limitPrice).toBe(limit);
    expect(open?.accountId).toBe(w.account);

    await w.broker.cancelOrder(ack.orderId);
    await until(w, 'the order to be cancelled', async () => (await w.broker.getOrder(ack.orderId))?.status === 'CANCELLED');
    await until(w, 'the CANCELLED orderStatus event', () => w.statuses.some((s) => s.orderId === ack.orderId && s.status === 'CANCELLED'));
    expect((await w.broker.getOpenOrders()).map((o) => o.orderId)).not.toContain(ack.orderId);
    expect(w.fills.some((f) => f.orderId === ack.orderId)).toBe(false);
  });

  it('answers a what-if with commission and margin estimates, and places nothing', async () => {
    const limit = await farBelow(w);
    const openBefore = (await w.broker.getOpenOrders()).map((o) => o.orderId).sort();
    const executionsBefore = (await w.broker.getExecutions()).length;
    const eventsBefore = w.statuses.length;
    const held = await aaplHeld(w);

    const estimate = await w.broker.whatIf(w.aapl, OrderSpec.parse({ ...AAPL, action: 'BUY', quantity: 10, orderType: 'LMT', limitPrice: limit, timeInForce: 'DAY' }), w.account);
    expect(estimate.referencePrice).toBe(limit);
    expect(estimate.estimatedCommission).toBeGreaterThan(0);
    expect(estimate.commissionCurrency).toBe('USD');
    // Buying stock on margin takes initial and maintenance margin; maintenance never exceeds initial.
    expect(estimate.initMarginChange).toBeGreaterThan(0);
    expect(estimate.maintMarginChange).toBeGreaterThan(0);
    expect(estimate.maintMarginChange as number).toBeLessThanOrEqual(estimate.initMarginChange as number);
    expect(estimate.equityWithLoanAfter).toBeGreaterThan(0);

    await w.h.advance(1000);
    expect((await w.broker.getOpenOrders()).map((o) => o.orderId).sort()).toEqual(openBefore);
    expect(await w.broker.getExecutions()).toHaveLength(executionsBefore);
    expect(w.statuses.slice(eventsBefore)).toEqual([]);
    expect(await aaplHeld(w)).toBe(held);
  });

  it('holds bracket children while the entry rests, and cancels them with it', async () => {
    const limit = await farBelow(w);
    const tick = w.aapl.minTick;
    const takeProfit = floorToTick(limit * 1.5, tick);
    const stopLoss = floorToTick(limit * 0.8, tick);
    const ack = await place(w, { ...AAPL, action: 'BUY', quantity: 1, orderType: 'LMT', limitPrice: limit, timeInForce: 'GTC', takeProfitPrice: takeProfit, stopLossPrice: stopLoss });
    expect(ack.children.map((c) => c.role).sort()).toEqual(['STOP_LOSS', 'TAKE_PROFIT']);
    for (const c of ack.children) expect(c.parentOrderId).toBe(ack.orderId);
    const tp = ack.children.find((c) => c.role === 'TAKE_PROFIT')?.orderId ?? '';
    const sl = ack.children.find((c) => c.role === 'STOP_LOSS')?.orderId ?? '';

    // IBKR holds the children (PreSubmitted) until the parent fills.
    await until(w, 'the entry working and both children waiting', async () => (await statusOf(w, ack.orderId)) === 'ACCEPTED' && (await statusOf(w, tp)) === 'SUBMITTED' && (await statusOf(w, sl)) === 'SUBMITTED');
    expect(await w.broker.getOrder(ack.orderId)).toMatchObject({ role: 'ENTRY', parentOrderId: null });
    expect(await w.broker.getOrder(tp)).toMatchObject({ role: 'TAKE_PROFIT', parentOrderId: ack.orderId, spec: { action: 'SELL', quantity: 1, orderType: 'LMT', limitPrice: takeProfit } });
    expect(await w.broker.getOrder(sl)).toMatchObject({ role: 'STOP_LOSS', parentOrderId: ack.orderId, spec: { action: 'SELL', quantity: 1, orderType: 'STP', stopPrice: stopLoss } });
    const open = (await w.broker.getOpenOrders()).map((o) => o.orderId);
    for (const id of [ack.orderId, tp, sl]) expect(open).toContain(id);

    await w.broker.cancelOrder(ack.orderId);
    await until(w, 'the entry and both children cancelled', async () => {
      const all = await Promise.all([ack.orderId, tp, sl].map((id) => statusOf(w, id)));
      return all.every((s) => s === 'CANCELLED');
    });
    expect(w.fills.filter((f) => [ack.orderId, tp, sl].includes(f.orderId))).toEqual([]);
  });

  it('arms bracket exits when the entry fills, and the take-profit fill cancels the stop-loss', SLOW, async (ctx) => {
    skipIfDeclared(w, ctx, 'bracket-fill');
    const held = await aaplHeld(w);
    const tick = w.aapl.minTick;
    const quote = await w.broker.getQuote(w.aapl);
    const bid = quote.bid ?? quote.last;
    if (bid === null) throw new Error('no bid for AAPL');
    // A buy just under the bid and a take-profit one tick above it: both fill once the market moves a little.
    const limit = plusTicks(floorToTick(bid, tick), -1, tick);
    const ack = await place(w, { ...AAPL, action: 'BUY', quantity: 1, orderType: 'LMT', limitPrice: limit, timeInForce: 'GTC', takeProfitPrice: plusTicks(limit, 1, tick), stopLossPrice: floorToTick(limit * 0.9, tick) });
    const tp = ack.children.find((c) => c.role === 'TAKE_PROFIT')?.orderId ?? '';
    const sl = ack.children.find((c) => c.role === 'STOP_LOSS')?.orderId ?? '';

    await until(w, 'the entry, then the take-profit, to fill', async () => (await statusOf(w, tp)) === 'FILLED', { steps: 1500, stepMs: 60_000 });
    await until(w, 'the stop-loss cancelled by its sibling\'s fill', async () => (await statusOf(w, sl)) === 'CANCELLED');
    expect(await statusOf(w, ack.orderId)).toBe('FILLED');
    await until(w, 'the FILLED events of entry and take-profit', () => [ack.orderId, tp].every((id) => w.statuses.some((s) => s.orderId === id && s.status === 'FILLED')));

    // The exits worked only after the entry filled.
    const entryFilled = w.statuses.findIndex((s) => s.orderId === ack.orderId && s.status === 'FILLED');
    w.statuses.forEach((s, i) => {
      if ((s.orderId === tp || s.orderId === sl) && (s.status === 'ACCEPTED' || s.status === 'FILLED')) expect(i).toBeGreaterThan(entryFilled);
    });
    const exitFills = w.fills.filter((f) => f.orderId === tp);
    for (const f of exitFills) expect(Fill.parse(f).side).toBe('SELL');
    expect(exitFills.reduce((q, f) => q + f.quantity, 0)).toBe(1);
    expect(w.fills.filter((f) => f.orderId === sl)).toEqual([]);
    await until(w, 'the position back where it was', async () => (await aaplHeld(w)) === held);
  });

  it('cancels the rest of a one-cancels-all group when one member fills', async () => {
    const held = await aaplHeld(w);
    const group = `spec-oca-${Date.now()}`;
    const resting = await place(w, { ...AAPL, action: 'BUY', quantity: 1, orderType: 'LMT', limitPrice: await farBelow(w), timeInForce: 'GTC', ocaGroup: group });
    await until(w, 'the resting member to work', async () => (await statusOf(w, resting.orderId)) === 'ACCEPTED');
    const marketable = await place(w, { ...AAPL, action: 'BUY', quantity: 1, orderType: 'MKT', timeInForce: 'DAY', ocaGroup: group });
    await until(w, 'the market member to fill', async () => (await statusOf(w, marketable.orderId)) === 'FILLED');
    await until(w, 'the resting member cancelled by the group', async () => (await statusOf(w, resting.orderId)) === 'CANCELLED');
    expect(w.fills.filter((f) => f.orderId === resting.orderId)).toEqual([]);
    expect((await w.broker.getOpenOrders()).map((o) => o.orderId)).not.toContain(resting.orderId);
    await restorePosition(w, held);
  });
}
