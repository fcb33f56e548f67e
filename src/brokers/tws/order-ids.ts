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
  /** The store was read this session (sync): every id used since is counted in nextId as it is used. */
  private synced = false;

  constructor(
    private readonly ctx: TwsContext,
    private readonly store: OrderStore,
  ) {}

  /** After each handshake: ids continue above both nextValidId and every id this gateway ever used. */
  sync(): void {
    this.nextId = Math.max(this.nextId, this.ctx.conn.nextValidId ?? 0, this.store.highestOrderId() + 1);
    this.synced = true;
  }

  /**
   * The lowest id usable now, not taken (the core's store-wide sequence starts there; noteUsed then moves past what it chose).
   * Asked before every order: after the session's first read of tws-orders.db, the ids this connection uses are
   * counted as they are used, so the file is not read again (a read is a lock round trip of its own). Other
   * processes' ids never meet ours: the core's sequence is store-wide and only starts at this floor.
   */
  floor(): number {
    this.requireConnected();
    this.refresh();
    return this.nextId;
  }

  /** nextValidId may have moved; the store is read once per session (sync), its ids counted here since. */
  private refresh(): void {
    if (this.synced) this.nextId = Math.max(this.nextId, this.ctx.conn.nextValidId ?? 0);
    else this.sync();
  }

  allocate(count: number): string[] {
    if (!Number.isInteger(count) || count < 1) throw new RangeError('allocateOrderIds: count must be a positive integer');
    this.requireConnected();
    this.refresh();
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
    const id = Number(orderId);
    this.store.coverOrderId(id);
    this.nextId = Math.max(this.nextId, id + 1);
  }
}
