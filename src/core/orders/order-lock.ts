/**
 * One writer at a time per order. A new order_history version is computed
 * from the order's latest version, and store writes are asynchronous (group
 * commit): without this, a status and a fill for one order arriving in the
 * same turn would both read version N and the second would write over the
 * first's change. Updates to different orders still run (and commit) together.
 *
 * Two kinds of writer share each order's queue:
 * - withOrderLock: reads the order itself, then writes; it starts once every
 *   writer before it has finished (committed and done what follows).
 * - queueOrderUpdate: its version is decided inside the store's transaction
 *   from the latest version there (AuditStore.updateOrder), so it need only be
 *   queued after the writes before it, not wait for their commit: a status and
 *   a fill arriving together share one transaction instead of taking two
 *   turns. Its promise still settles only after everything queued before it
 *   has finished, so whoever awaits it sees what they did (the circuit
 *   breaker's count, say) as withOrderLock's callers do.
 */
import type { AuditStore } from '../audit/types.js';
import type { OrderContext } from './context.js';

interface OrderQueue {
  /** Settles once every writer queued so far has finished. */
  done: Promise<unknown>;
  /** Settles once every writer queued so far has at least queued its store write. */
  queued: Promise<unknown>;
}

// Keyed by the client's store, which every request's order context (forRequest) shares with the client's own.
const queues = new WeakMap<AuditStore, Map<string, OrderQueue>>();
const ignore = (): undefined => undefined;
// The queue of an order with nothing in flight: never stored (advance stores a new one), so one object serves every order.
const RESOLVED: Promise<unknown> = Promise.resolve();
const IDLE: OrderQueue = { done: RESOLVED, queued: RESOLVED };

function queueOf(ctx: OrderContext, orderId: string): { byOrder: Map<string, OrderQueue>; q: OrderQueue } {
  let byOrder = queues.get(ctx.audit);
  if (!byOrder) queues.set(ctx.audit, (byOrder = new Map()));
  const q = byOrder.get(orderId) ?? IDLE;
  return { byOrder, q };
}

/** Makes `next` the order's queue and forgets it once everything in it has finished (the map holds only orders with an update in flight). */
function advance(byOrder: Map<string, OrderQueue>, orderId: string, next: OrderQueue): void {
  byOrder.set(orderId, next);
  void next.done.then(() => {
    if (byOrder.get(orderId) === next) byOrder.delete(orderId);
  });
}

export function withOrderLock<T>(ctx: OrderContext, orderId: string, fn: () => Promise<T>): Promise<T> {
  const { byOrder, q } = queueOf(ctx, orderId);
  const run = q.done.then(fn, fn);
  const done = run.catch(ignore);
  advance(byOrder, orderId, { done, queued: done });
  return run;
}

/**
 * `start` queues a store write decided inside its transaction (updateOrder) and
 * returns its promise; it is called once the writers before it on each of
 * these orders have queued theirs (several: an answer read from an entry and
 * its bracket children).
 */
export function queueOrderUpdate<T>(ctx: OrderContext, orderIds: string | readonly string[], start: () => Promise<T>): Promise<T> {
  const ids = typeof orderIds === 'string' ? [orderIds] : orderIds;
  const queuesNow = ids.map((id) => queueOf(ctx, id));
  let markQueued: () => void = ignore;
  const queued = new Promise<void>((resolve) => (markQueued = resolve));
  const run = (queuesNow.length === 1 ? (queuesNow[0] as { q: OrderQueue }).q.queued : Promise.all(queuesNow.map(({ q }) => q.queued))).then(() => {
    try {
      return start();
    } finally {
      markQueued();
    }
  });
  // Settles after the writers before it: their results are seen by whoever awaits this one.
  const previous = queuesNow.length === 1 ? (queuesNow[0] as { q: OrderQueue }).q.done : Promise.all(queuesNow.map(({ q }) => q.done));
  const result = run.then(
    async (value) => {
      await previous;
      return value;
    },
    async (err: unknown) => {
      await previous;
      throw err;
    },
  );
  const done = result.catch(ignore);
  queuesNow.forEach(({ byOrder }, i) => advance(byOrder, ids[i] as string, { done, queued }));
  return result;
}
