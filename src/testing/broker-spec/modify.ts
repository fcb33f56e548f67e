/**
 * The Broker specification: modifying a working order in place (IBKR's
 * placeOrder with the same id). The order keeps its id; a new limit price
 * moved through the market trades; the quantity can go down (not below what
 * filled) and up; a filled order cannot be modified; and a modification racing
 * a fill settles on the broker's answer.
 */
import { expect, it } from 'vitest';
import type { ModifyOrderAck } from '../../core/broker/port.js';
import { OrderSpec, type OrderSpecInput } from '../../core/models.js';
import { AAPL, aaplHeld, farBelow, place, plusTicks, restorePosition, statusOf, until, type SpecWorld } from './world.js';

const SLOW = { timeout: 60_000 };

/** Sends the order's new version under its own id. */
async function modify(w: SpecWorld, orderId: string, input: OrderSpecInput): Promise<ModifyOrderAck> {
  const ack = await w.broker.modifyOrder({ orderId, contract: w.aapl, spec: OrderSpec.parse(input), accountId: w.account, orderRef: `spec-${orderId}` });
  expect(ack.orderId).toBe(orderId);
  return ack;
}

const working = async (w: SpecWorld, orderId: string): Promise<boolean> => (await w.broker.getOpenOrders()).some((o) => o.orderId === orderId);

/** A BUY limit far below the market: it rests. */
async function restingBuy(w: SpecWorld, quantity: number): Promise<{ orderId: string; limit: number; base: OrderSpecInput }> {
  const limit = await farBelow(w);
  const base: OrderSpecInput = { ...AAPL, action: 'BUY', quantity, orderType: 'LMT', limitPrice: limit, timeInForce: 'GTC' };
  const ack = await place(w, base);
  await until(w, 'the limit order to be working', () => working(w, ack.orderId));
  return { orderId: ack.orderId, limit, base };
}

export function modifyCases(w: SpecWorld): void {
  it('modifies the limit price of a resting order, keeps its id, and fills once the new limit crosses the market', SLOW, async () => {
    const held = await aaplHeld(w);
    const { orderId, limit, base } = await restingBuy(w, 1);

    const lower = plusTicks(limit, -10, w.aapl.minTick);
    const first = await modify(w, orderId, { ...base, limitPrice: lower });
    expect(first.accepted).toBe(true);
    await until(w, 'the new limit to show', async () => (await w.broker.getOpenOrders()).find((o) => o.orderId === orderId)?.spec.limitPrice === lower);
    expect(await statusOf(w, orderId)).not.toBe('FILLED');

    const quote = await w.broker.getQuote(w.aapl);
    const ask = quote.ask ?? quote.last ?? quote.close;
    if (ask === null) throw new Error('no ask for AAPL');
    const through = plusTicks(ask, 50, w.aapl.minTick);
    const second = await modify(w, orderId, { ...base, limitPrice: through });
    expect(second.accepted).toBe(true);
    await until(w, 'the modified order to fill', async () => (await statusOf(w, orderId)) === 'FILLED');
    const done = await w.broker.getOrder(orderId);
    expect(done?.filledQuantity).toBe(1);
    expect(done?.avgFillPrice as number).toBeLessThanOrEqual(through);
    expect(done?.spec.limitPrice).toBe(through);
    await until(w, 'the fill event', () => w.fills.some((f) => f.orderId === orderId));
    await until(w, 'the position to show the fill', async () => (await aaplHeld(w)) === held + 1);
    await restorePosition(w, held);
  });

  it('modifies the quantity of a resting order down below what remains, then up', SLOW, async () => {
    const { orderId, base } = await restingBuy(w, 5);
    const down = await modify(w, orderId, { ...base, quantity: 3 });
    expect(down.accepted).toBe(true);
    await until(w, 'the smaller quantity to show', async () => {
      const o = (await w.broker.getOpenOrders()).find((x) => x.orderId === orderId);
      return o?.spec.quantity === 3 && o.remainingQuantity === 3;
    });
    const up = await modify(w, orderId, { ...base, quantity: 8 });
    expect(up.accepted).toBe(true);
    await until(w, 'the larger quantity to show', async () => {
      const o = (await w.broker.getOpenOrders()).find((x) => x.orderId === orderId);
      return o?.spec.quantity === 8 && o.remainingQuantity === 8;
    });
    await w.broker.cancelOrder(orderId);
    await until(w, 'the order to be cancelled', async () => (await statusOf(w, orderId)) === 'CANCELLED');
  });

  it('refuses to modify a filled order and leaves it filled', SLOW, async () => {
    const held = await aaplHeld(w);
    const base: OrderSpecInput = { ...AAPL, action: 'BUY', quantity: 1, orderType: 'MKT', timeInForce: 'DAY' };
    const ack = await place(w, base);
    await until(w, 'the market order to fill', async () => (await statusOf(w, ack.orderId)) === 'FILLED');
    const refused = await modify(w, ack.orderId, { ...base, quantity: 2 });
    expect(refused.accepted).toBe(false);
    expect(refused.message).toMatch(/fill/i);
    expect(refused.state.status).toBe('FILLED');
    expect((await w.broker.getOrder(ack.orderId))?.filledQuantity).toBe(1);
    await until(w, 'the position to show the fill', async () => (await aaplHeld(w)) === held + 1);
    await restorePosition(w, held);
  });

  it('settles a modification racing a fill on what the broker answers', SLOW, async () => {
    const held = await aaplHeld(w);
    const quote = await w.broker.getQuote(w.aapl);
    const ask = quote.ask ?? quote.last ?? quote.close;
    if (ask === null) throw new Error('no ask for AAPL');
    const base: OrderSpecInput = { ...AAPL, action: 'BUY', quantity: 1, orderType: 'LMT', limitPrice: plusTicks(ask, 50, w.aapl.minTick), timeInForce: 'DAY' };
    const ack = await place(w, base);
    // Sent at once: the order may already have filled (refused) or not yet (accepted, then fills at the new size).
    let answer: ModifyOrderAck | null = null;
    await until(w, 'an answer to the modification', async () => {
      answer = await modify(w, ack.orderId, { ...base, quantity: 2 });
      return answer.accepted || answer.state.status === 'FILLED';
    });
    const settled = answer as ModifyOrderAck | null;
    if (!settled) throw new Error('no answer');
    const expected = settled.accepted ? 2 : 1;
    await until(w, 'the order to fill', async () => (await w.broker.getOrder(ack.orderId))?.filledQuantity === expected);
    expect(await statusOf(w, ack.orderId)).toBe('FILLED');
    await until(w, 'the position to show every fill', async () => (await aaplHeld(w)) === held + expected);
    await restorePosition(w, held);
  });
}
