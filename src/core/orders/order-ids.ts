/**
 * Order ids for several gateways on one store (issue 24).
 *
 * Why a store-wide sequence and not ids namespaced by broker identity: the
 * core's order id is the id IBKR knows the order by (orderStatus, executions,
 * cancels and modifications all name it), so a namespaced core id would need a
 * translation at every seam. IBKR asks that a client's order ids only
 * increase and start at its nextValidId; with several client applications on
 * one account, that a new id exceed every id the client has been shown in
 * openOrder/orderStatus callbacks (TWS API, "Placing Orders: The Next Valid
 * Identifier"). One increasing sequence for the whole desk satisfies both:
 * each connection gets an increasing (gapped) series, never below its own
 * floor (the broker's orderIdFloor(): nextValidId and every id it used), and
 * no two gateways ever hold the same id, so the store never has to refuse
 * one. Each placement reserves its ids at the time it is made (no blocks held
 * ahead): ids follow placement order across the desk.
 */
import type { OrderContext } from './context.js';

export async function allocateOrderIds(ctx: OrderContext, count: number): Promise<string[]> {
  const floor = await ctx.broker.orderIdFloor();
  const first = await ctx.audit.reserveOrderIds(count, floor);
  return Array.from({ length: count }, (_, i) => String(first + i));
}

/** What a placement asks the store to reserve inside its pre-transmit write (recordNewOrders): `count` ids, never below the broker's floor. */
export async function idReservation(ctx: OrderContext, count: number): Promise<{ count: number; floor: number }> {
  return { count, floor: await ctx.broker.orderIdFloor() };
}
