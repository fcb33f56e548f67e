/**
 * Duplicate-order guard: the same order for the same account again within
 * DUPLICATE_ORDER_WINDOW_SECONDS is refused. A script stuck in a retry loop
 * is the case this stops, and such a loop often mints a fresh clientOrderId
 * each time, so clientOrderId (and the `account` field, replaced by the
 * resolved account id) are left out of the key. Exact repeats of a
 * clientOrderId are the idempotency layer's business, not this guard's.
 */
import type { OrderSpec } from '../models.js';

/** A canonical text of the spec: keys sorted, undefined dropped, so field order never matters. */
export function duplicateKey(spec: OrderSpec, accountId: string): string {
  const entries = Object.entries(spec)
    .filter(([k, v]) => v !== undefined && k !== 'clientOrderId' && k !== 'account')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([accountId, entries]);
}

export class DuplicateGuard {
  private readonly lastPlaced = new Map<string, number>();

  /**
   * `retainMs`: the widest window any symbol uses (base limits and every
   * risk-file override), so an entry is kept as long as some window can still
   * see it, whichever symbol's limits the caller later applies.
   */
  constructor(private readonly retainMs: number) {}

  record(spec: OrderSpec, accountId: string, now: number): void {
    if (this.retainMs <= 0) return;
    for (const [key, at] of this.lastPlaced) if (now - at >= this.retainMs) this.lastPlaced.delete(key);
    this.lastPlaced.set(duplicateKey(spec, accountId), now);
  }

  /** Milliseconds since the same order was last placed, or null if never (or forgotten). */
  sinceLast(spec: OrderSpec, accountId: string, now: number): number | null {
    const at = this.lastPlaced.get(duplicateKey(spec, accountId));
    return at === undefined ? null : now - at;
  }
}
