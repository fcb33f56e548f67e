/**
 * Order ids we allocate ourselves: above both IBKR's nextValidId and the
 * highest id this gateway ever used (persisted before any is handed out), so
 * ids never collide, even when nextValidId lags after a restart.
 */
import { BrokerConnectionError } from '../../core/errors.js';
import type { TwsContext } from './context.js';
import type { OrderStore } from './order-store.js';

export class OrderIds {
  private nextId = 0;

  constructor(
    private readonly ctx: TwsContext,
    private readonly store: OrderStore,
  ) {}

  /** After each handshake: ids continue above both nextValidId and every id this gateway ever used. */
  sync(): void {
    this.nextId = Math.max(this.nextId, this.ctx.conn.nextValidId ?? 0, this.store.highestOrderId() + 1);
  }

  /** The lowest id usable now, not taken (the core's store-wide sequence starts there; noteUsed then moves past what it chose). */
  floor(): number {
    this.requireConnected();
    this.sync();
    return this.nextId;
  }

  allocate(count: number): string[] {
    if (!Number.isInteger(count) || count < 1) throw new RangeError('allocateOrderIds: count must be a positive integer');
    this.requireConnected();
    this.sync();
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push(String(this.nextId++));
    // Persisted before any of them is used: a crash right after cannot hand the same ids out again.
    this.store.noteOrderId(this.nextId - 1);
    return ids;
  }

  private requireConnected(): void {
    if (this.ctx.conn.nextValidId === null && this.nextId === 0) throw new BrokerConnectionError('No order ids before the first connection to IB Gateway/TWS');
  }

  /** An id the caller chose (allocated earlier, or from the store's sequence) is about to be used. */
  noteUsed(orderId: string): void {
    this.store.noteOrderId(Number(orderId));
  }
}
