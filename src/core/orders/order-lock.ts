/**
 * One writer at a time per order. A new order_history version is computed
 * from the order's latest version, and store writes are asynchronous (group
 * commit): without this, a status and a fill for one order arriving in the
 * same turn would both read version N and the second would write over the
 * first's change. Updates to different orders still run (and commit) together.
 */
import type { OrderContext } from './context.js';

const tails = new WeakMap<OrderContext, Map<string, Promise<unknown>>>();

export function withOrderLock<T>(ctx: OrderContext, orderId: string, fn: () => Promise<T>): Promise<T> {
  let byOrder = tails.get(ctx);
  if (!byOrder) tails.set(ctx, (byOrder = new Map()));
  const previous = byOrder.get(orderId) ?? Promise.resolve();
  const run = previous.then(fn, fn);
  const tail = run.catch(() => undefined);
  byOrder.set(orderId, tail);
  // The map holds only orders with an update in flight.
  void tail.then(() => {
    if (byOrder.get(orderId) === tail) byOrder.delete(orderId);
  });
  return run;
}
