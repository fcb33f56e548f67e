/**
 * Start-up repair of order state a crash left half-done.
 *
 * Today a fill and everything it implies commit in one transaction
 * (settlement.ts), so a kill leaves nothing to repair. Accounts written by
 * earlier versions, which stored a parent's fill and the arming of its bracket
 * children separately, can hold a FILLED parent whose take-profit and
 * stop-loss still "wait for the parent order to fill", or an OCA group with a
 * fill and other members still working. Connecting derives from the stored
 * fills what the order records should say, and writes it in one transaction:
 * - an OCA group with a fill: its other working members are cancelled;
 * - a bracket child of a parent that ended without a fill (or was cancelled by
 *   the client; an IOC parent's cancelled remainder does not count):
 *   cancelled, as the parent's ending would have done;
 * - a bracket child of a parent with fills: armed, its cap the parent's fills
 *   less its sibling's, and cancelled if the sibling filled completely.
 * The rules are the ones settlement.ts applies as fills happen.
 */
import { TERMINAL_STATUSES, type OrderStatus } from '../../core/models.js';
import type { SimOrderRecord, SimStore } from './store.js';

/** Repairs the stored orders; returns the records it changed (to announce them). */
export function repairHalfDoneOrders(store: SimStore, at: number): SimOrderRecord[] {
  return store.transaction(() => {
    const time = new Date(at).toISOString();
    const open = store.openOrders();
    const known = new Map(open.map((r) => [r.state.orderId, r]));
    const lookup = (orderId: string): SimOrderRecord | null => {
      let rec = known.get(orderId) ?? null;
      if (!rec) {
        rec = store.order(orderId);
        if (rec) known.set(orderId, rec);
      }
      return rec;
    };
    const fills = new Map<string, number>();
    const filled = (orderId: string): number => {
      let q = fills.get(orderId);
      if (q === undefined) fills.set(orderId, (q = store.filledQuantity(orderId)));
      return q;
    };
    const changed = new Map<string, SimOrderRecord>();
    const end = (rec: SimOrderRecord, status: OrderStatus, message: string): void => {
      rec.state.status = status;
      rec.state.message = message;
      rec.state.updatedAt = time;
      store.saveOrder(rec, false);
      changed.set(rec.state.orderId, rec);
    };
    const isOpen = (rec: SimOrderRecord): boolean => !TERMINAL_STATUSES.has(rec.state.status);

    // OCA groups of entry orders: the first member with a fill cancels the other working members.
    const groups = [...new Set(open.filter((r) => r.state.role === 'ENTRY' && r.ocaGroup !== null).map((r) => r.ocaGroup as string))];
    const members = store.ocaMembers(groups).map((m) => known.get(m.state.orderId) ?? m);
    for (const group of groups) {
      const inGroup = members.filter((m) => m.ocaGroup === group && m.state.role === 'ENTRY');
      const winner = inGroup.find((m) => filled(m.state.orderId) > 0);
      if (!winner) continue;
      for (const m of inGroup) {
        if (m === winner || !isOpen(m) || m.state.accountId !== winner.state.accountId) continue;
        end(m, 'CANCELLED', `OCA group ${group}: order ${winner.state.orderId} filled`);
      }
    }

    // Bracket children: what their parent's and sibling's fills say they should be.
    for (const child of open) {
      if (!isOpen(child) || child.state.role === 'ENTRY' || child.state.parentOrderId === null) continue;
      const parent = lookup(child.state.parentOrderId);
      if (!parent) continue;
      const parentFilled = filled(parent.state.orderId);
      const parentDone = !isOpen(parent);
      // A part-filled IOC parent ended by cancelling its remainder: its exits protect what it filled.
      const remainderCancelled = parent.state.status === 'CANCELLED' && parent.state.spec.timeInForce === 'IOC';
      if (parentDone && (parentFilled === 0 || (parent.state.status === 'CANCELLED' && !remainderCancelled))) {
        end(child, 'CANCELLED', `Parent order ${parent.state.orderId} ${parent.state.status.toLowerCase()}`);
        continue;
      }
      if (parentFilled === 0) continue; // rightly still waiting
      const sibling = child.siblingId ? lookup(child.siblingId) : null;
      const siblingFilled = sibling ? filled(sibling.state.orderId) : 0;
      const cap = parentFilled - siblingFilled;
      if (sibling && (sibling.state.status === 'FILLED' || (parentDone && siblingFilled > 0 && cap - child.state.filledQuantity <= 0))) {
        end(child, 'CANCELLED', `OCA group ${child.ocaGroup ?? ''}: order ${sibling.state.orderId} filled`);
        continue;
      }
      let dirty = false;
      if (child.waitingForParent) {
        child.waitingForParent = false;
        if (child.state.filledQuantity === 0) child.state.status = 'ACCEPTED';
        child.state.message = null;
        dirty = true;
      }
      if (child.cap !== cap || child.parentDone !== parentDone) {
        child.cap = cap;
        child.parentDone = parentDone;
        dirty = true;
      }
      if (dirty) {
        child.state.updatedAt = time;
        store.saveOrder(child, true);
        changed.set(child.state.orderId, child);
      }
    }
    return [...changed.values()];
  });
}
