/** Orders view: recent orders with filters, kept current by the order feed, and one order's detail with its audit trail (admin). */
import { api, ApiError } from './api.js';
import { byId, fmtMoney, fmtPrice, fmtQty, fmtTime, h, keyValues, replace, say, statusBadge, table, val } from './dom.js';
import { LiveOrders } from './live-orders.js';
import { can } from './session.js';
import { TERMINAL_STATUSES, type AuditEntry, type AuditPage, type OrderDetail } from './types.js';

const errorText = (err: unknown): string => (err instanceof ApiError ? `${err.code}: ${err.message}` : String(err));

/** The recent orders under the current filter; the order feed keeps them current (an order joins, changes or leaves as its events say). */
const recent = new LiveOrders(() => true);
let shownLimit = 50;
let loads = 0;

function render(): void {
  const orders = recent.list(shownLimit);
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
  say(byId('orders-message'), `${orders.length} order${orders.length === 1 ? '' : 's'}`);
}

export async function loadOrders(): Promise<void> {
  const form = byId<HTMLFormElement>('orders-filter');
  const status = val(form, 'status') || 'all';
  const symbol = val(form, 'symbol').toUpperCase();
  shownLimit = Number(val(form, 'limit') || '50');
  const params = new URLSearchParams({ status, limit: String(shownLimit) });
  if (symbol !== '') params.set('symbol', symbol);
  // The same filter the API applies, for the orders the feed brings later.
  recent.beginLoad((o) => (symbol === '' || o.spec.symbol.toUpperCase() === symbol) && (status === 'all' || (status === 'open') !== TERMINAL_STATUSES.has(o.status)));
  const mine = ++loads;
  try {
    const orders = await api<OrderDetail[]>(`/api/orders?${params.toString()}`);
    // A later load (another filter) has started: this answer is for a filter no longer shown.
    if (mine !== loads) return;
    recent.loaded(orders);
    render();
  } catch (err) {
    say(byId('orders-message'), errorText(err), 'error');
  }
}

let detailRefresh: number | undefined;

/** An order as an event left it: its row changes, and its detail, if open, is read again (once per burst of events). */
export function applyToRecentOrders(order: OrderDetail): void {
  if (recent.apply(order)) render();
  const panel = byId('order-detail');
  if (!panel.hidden && byId('order-detail-id').textContent === order.orderId) {
    window.clearTimeout(detailRefresh);
    detailRefresh = window.setTimeout(() => void showOrderDetail(order.orderId, false), 300);
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

/** `opening`: shown anew (placeholder, focus); false when an event refreshes it in place. */
export async function showOrderDetail(orderId: string, opening = true): Promise<void> {
  const panel = byId('order-detail');
  panel.hidden = false;
  byId('order-detail-id').textContent = orderId;
  if (opening) {
    replace(byId('order-detail-body'), h('p', { class: 'muted' }, 'Loading…'));
    replace(byId('order-audit'));
  }
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
  if (opening) panel.focus();
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
