/**
 * Open orders (Trade view): loaded when the view opens, then kept current by
 * the order feed, not by polling. Each row can be cancelled, or modified
 * (price and quantity) through a preview and a confirmation (modify.ts).
 */
import { api } from './api.js';
import { byId, fmtPrice, fmtQty, fmtTime, h, replace, say, statusBadge, table } from './dom.js';
import { LiveOrders } from './live-orders.js';
import { describeError } from './order-text.js';
import { applyScopes } from './session.js';
import { TERMINAL_STATUSES, type CancelResult, type OrderDetail } from './types.js';

const open = new LiveOrders((o) => !TERMINAL_STATUSES.has(o.status));

/** The order the modification panel is open for: its row is marked, so the panel's subject stays in sight. */
let editing: string | null = null;

export function markEditing(orderId: string | null): void {
  editing = orderId;
  for (const tr of Array.from(byId('open-orders').querySelectorAll<HTMLElement>('tbody tr[data-order]'))) tr.classList.toggle('editing', tr.dataset.order === editing);
}

/** What the row buttons open: set by setupOpenOrders. */
let actions: { detail: (orderId: string) => void; modify: (order: OrderDetail) => void } = { detail: () => undefined, modify: () => undefined };

/** The price the table shows and a modification edits: the limit (LMT, STP_LMT), the stop (STP); none for the others (MKT, trailing...), whose quantity alone is edited here. */
export function editablePrice(o: OrderDetail): 'limitPrice' | 'stopPrice' | null {
  if (o.spec.orderType === 'LMT' || o.spec.orderType === 'STP_LMT') return 'limitPrice';
  if (o.spec.orderType === 'STP') return 'stopPrice';
  return null;
}

function render(): void {
  const orders = open.list();
  replace(
    byId('open-orders'),
    table(
      'Open orders',
      ['Order', 'Placed', 'Side', 'Qty', 'Symbol', 'Type', 'Price', 'TIF', 'Status', 'Filled', ''],
      orders.map((o) => [
        h('button', { type: 'button', class: 'link', 'data-detail': o.orderId }, o.orderId),
        fmtTime(o.createdAt),
        o.spec.action,
        h('span', { 'data-field': 'quantity' }, fmtQty(o.spec.quantity)),
        h('b', {}, o.spec.symbol),
        `${o.spec.orderType}${o.role !== 'ENTRY' ? ` (${o.role})` : ''}`,
        h('span', { 'data-field': 'price' }, fmtPrice(o.spec.limitPrice ?? o.spec.stopPrice ?? null)),
        o.spec.timeInForce,
        statusBadge(o.status),
        fmtQty(o.filledQuantity),
        h(
          'span',
          { class: 'row-actions' },
          h('button', { type: 'button', 'data-modify': o.orderId, 'data-scope': 'trade', 'aria-label': `Modify order ${o.orderId}` }, 'Modify'),
          h('button', { type: 'button', 'data-cancel': o.orderId, 'data-scope': 'trade', 'aria-label': `Cancel order ${o.orderId}` }, 'Cancel'),
        ),
      ]),
      'No open orders',
    ),
  );
  // Rows carry their order id, so a test (or a reader of the DOM) finds a row without counting cells.
  const rows = byId('open-orders').querySelectorAll('tbody tr');
  orders.forEach((o, i) => {
    rows[i]?.setAttribute('data-order', o.orderId);
    rows[i]?.classList.toggle('editing', o.orderId === editing);
  });
  applyScopes(byId('open-orders'));
}

export async function loadOpenOrders(): Promise<void> {
  open.beginLoad();
  try {
    open.loaded(await api<OrderDetail[]>('/api/orders?status=open&limit=200'));
    render();
  } catch (err) {
    say(byId('open-message'), describeError(err), 'error');
  }
}

/** An order as an event left it: added, changed or gone from the open orders. */
export function applyToOpenOrders(order: OrderDetail): void {
  if (open.apply(order)) render();
}

/** The open order as last seen, for the modification panel (undefined once it has finished). */
export function openOrder(orderId: string): OrderDetail | undefined {
  return open.get(orderId);
}

async function cancel(orderId: string, button: HTMLButtonElement): Promise<void> {
  const message = byId('open-message');
  button.disabled = true;
  try {
    const result = await api<CancelResult>(`/api/orders/${encodeURIComponent(orderId)}/cancel`, { method: 'POST' });
    say(message, `Order ${result.orderId}: ${result.status} — ${result.message}`, result.cancelled ? 'ok' : 'info');
  } catch (err) {
    say(message, describeError(err), 'error');
    button.disabled = false;
  }
  // No reload: the order feed brings the cancellation (and a stale feed says so on the table).
}

export function setupOpenOrders(options: { detail: (orderId: string) => void; modify: (order: OrderDetail) => void }): void {
  actions = options;
  byId('open-orders').addEventListener('click', (event) => {
    const target = (event.target as Element).closest<HTMLButtonElement>('button');
    if (!target) return;
    if (target.dataset.cancel) void cancel(target.dataset.cancel, target);
    else if (target.dataset.modify) {
      const order = open.get(target.dataset.modify);
      if (order) actions.modify(order);
    } else if (target.dataset.detail) actions.detail(target.dataset.detail);
  });
}
