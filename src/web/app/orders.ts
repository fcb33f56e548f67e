/** Orders view: recent orders with filters, and one order's detail with its audit trail (admin). */
import { api, ApiError } from './api.js';
import { byId, fmtMoney, fmtPrice, fmtQty, fmtTime, h, keyValues, replace, say, statusBadge, table, val } from './dom.js';
import { can } from './session.js';
import type { AuditEntry, AuditPage, OrderDetail } from './types.js';

const errorText = (err: unknown): string => (err instanceof ApiError ? `${err.code}: ${err.message}` : String(err));

export async function loadOrders(): Promise<void> {
  const form = byId<HTMLFormElement>('orders-filter');
  const message = byId('orders-message');
  const params = new URLSearchParams({ status: val(form, 'status') || 'all', limit: val(form, 'limit') || '50' });
  const symbol = val(form, 'symbol').toUpperCase();
  if (symbol !== '') params.set('symbol', symbol);
  try {
    const orders = await api<OrderDetail[]>(`/api/orders?${params.toString()}`);
    replace(
      byId('orders-list'),
      table(
        'Recent orders',
        ['Order', 'Placed', 'Side', 'Qty', 'Symbol', 'Type', 'Price', 'Status', 'Filled', 'Avg price'],
        orders.map((o) => [
          h('button', { type: 'button', class: 'link', 'data-detail': o.orderId, 'aria-label': `Details of order ${o.orderId}` }, o.orderId),
          fmtTime(o.createdAt),
          o.spec.action,
          fmtQty(o.spec.quantity),
          h('b', {}, o.spec.symbol),
          `${o.spec.orderType}${o.role !== 'ENTRY' ? ` (${o.role})` : ''}`,
          fmtPrice(o.spec.limitPrice ?? o.spec.stopPrice ?? null),
          statusBadge(o.status),
          fmtQty(o.filledQuantity),
          fmtPrice(o.avgFillPrice),
        ]),
        'No orders match',
      ),
    );
    say(message, `${orders.length} order${orders.length === 1 ? '' : 's'}`);
  } catch (err) {
    say(message, errorText(err), 'error');
  }
}

/** Audit rows as a table; event data as readable key/values, the full JSON on hover. */
export function auditTable(caption: string, entries: AuditEntry[]): HTMLElement {
  return table(
    caption,
    ['#', 'Time', 'Event', 'Order', 'By', 'Details'],
    entries.map((e) => {
      return [
        String(e.id),
        fmtTime(e.timestamp),
        h('span', { class: 'event' }, e.eventType),
        e.orderId ?? '—',
        `${e.userContext.interface}${e.userContext.apiKeyName ? ` · ${e.userContext.apiKeyName}` : ''}`,
        keyValues(e.eventData),
      ];
    }),
    'No audit entries',
  );
}

export async function showOrderDetail(orderId: string): Promise<void> {
  const panel = byId('order-detail');
  panel.hidden = false;
  byId('order-detail-id').textContent = orderId;
  replace(byId('order-detail-body'), h('p', { class: 'muted' }, 'Loading…'));
  replace(byId('order-audit'));
  try {
    const o = await api<OrderDetail>(`/api/orders/${encodeURIComponent(orderId)}/status`);
    const facts: Array<[string, string | HTMLElement]> = [
      ['Status', h('span', {}, statusBadge(o.status), o.statusMessage ? ` — ${o.statusMessage}` : '')],
      ['Order', `${o.spec.action} ${fmtQty(o.spec.quantity)} ${o.spec.symbol} ${o.spec.orderType} ${o.spec.timeInForce}`],
      ['Limit / stop', `${fmtPrice(o.spec.limitPrice)} / ${fmtPrice(o.spec.stopPrice)}`],
      ['Role', o.role + (o.parentOrderId ? ` of ${o.parentOrderId}` : '')],
      ['Account', o.accountId ?? '—'],
      ['Client order id', o.clientOrderId ?? '—'],
      ['Filled / remaining', `${fmtQty(o.filledQuantity)} / ${fmtQty(o.remainingQuantity)}`],
      ['Avg fill price', fmtPrice(o.avgFillPrice)],
      ['Commission', fmtMoney(o.commission)],
      ['Created', fmtTime(o.createdAt)],
      ['Updated', fmtTime(o.updatedAt)],
    ];
    replace(
      byId('order-detail-body'),
      h('dl', { class: 'facts' }, ...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
      o.fills.length > 0 ? table('Fills', ['Time', 'Side', 'Qty', 'Price', 'Commission'], o.fills.map((f) => [fmtTime(f.time), f.side, fmtQty(f.quantity), fmtPrice(f.price), fmtMoney(f.commission)])) : null,
    );
  } catch (err) {
    replace(byId('order-detail-body'), h('p', { class: 'message error' }, errorText(err)));
  }
  byId('order-audit-scope').hidden = can('admin');
  if (can('admin')) {
    try {
      const page = await api<AuditPage>(`/api/audit?orderId=${encodeURIComponent(orderId)}&limit=1000`);
      replace(byId('order-audit'), auditTable(`Audit trail of order ${orderId}`, page.entries));
    } catch (err) {
      replace(byId('order-audit'), h('p', { class: 'message error' }, errorText(err)));
    }
  }
  panel.focus();
}

export function setupOrders(): void {
  const form = byId<HTMLFormElement>('orders-filter');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void loadOrders();
  });
  byId('orders-list').addEventListener('click', (event) => {
    const button = (event.target as Element).closest<HTMLButtonElement>('button[data-detail]');
    if (button?.dataset.detail) void showOrderDetail(button.dataset.detail);
  });
}
