/**
 * The contract for counting one account's order messages (per-account
 * order-rate limits): its placements plus its modifications in a window,
 * (from, to] or [from, to], from every handle on the store, and none of
 * another account's.
 */
import { describe, expect, it } from 'vitest';
import type { AuditStore } from '../../core/audit/types.js';
import { entry, version } from '../audit/samples.js';

const iso = (ms: number): string => new Date(ms).toISOString();
const T0 = Date.parse('2026-01-05T15:00:00.000Z');

export function describeAccountMessages(current: () => AuditStore, reopen: () => Promise<AuditStore>): void {
  describe("one account's order messages", () => {
    it('counts its placements and modifications in the window, not another account\'s or unsent ones', async () => {
      const store = current();
      const other = await reopen();
      try {
        const place = (s: AuditStore, id: string, account: string, at: number) =>
          s.recordOrder(entry({ orderId: id, accountId: account, timestamp: iso(at) }), version(id, 'SUBMITTED', { accountId: account, createdAt: iso(at), placement: { riskKey: id }, expectNew: true }));
        await place(store, '1', 'DU1', T0);
        await place(other, '2', 'DU1', T0 + 10_000);
        await place(store, '3', 'DU2', T0 + 10_000);
        // Recorded but not let through by the gates (no placement): not an order message.
        await store.recordOrder(entry({ orderId: '4', accountId: 'DU1', timestamp: iso(T0 + 10_000) }), version('4', 'REJECTED', { accountId: 'DU1', createdAt: iso(T0 + 10_000) }));
        await other.append(entry({ eventType: 'ORDER_MODIFY_REQUESTED', orderId: '1', accountId: 'DU1', timestamp: iso(T0 + 20_000) }));
        await store.append(entry({ eventType: 'ORDER_MODIFY_SIMULATED', orderId: '3', accountId: 'DU2', timestamp: iso(T0 + 20_000) }));
        await store.append(entry({ eventType: 'RISK_BLOCKED', orderId: '1', accountId: 'DU1', timestamp: iso(T0 + 30_000) }));
        expect(await store.countAccountMessages('DU1', iso(T0), true, iso(T0 + 60_000))).toBe(3);
        expect(await other.countAccountMessages('DU1', iso(T0), false, iso(T0 + 60_000))).toBe(2);
        expect(await store.countAccountMessages('DU1', iso(T0), true, iso(T0 + 19_999))).toBe(2);
        expect(await store.countAccountMessages('DU2', iso(T0), true, iso(T0 + 60_000))).toBe(2);
        expect(await store.countAccountMessages('DU3', iso(T0), true, iso(T0 + 60_000))).toBe(0);
        // The store-wide count sees every account's.
        expect(await store.countPlaced(iso(T0), true, iso(T0 + 60_000))).toBe(3);
      } finally {
        await other.close();
      }
    });
  });
}
