/**
 * Modifying a working order from the open-orders table: new quantity and
 * price, previewed first (POST /api/orders/{id}/modify/preview: the risk
 * checks of the new version, what it would cost, what the gates would do),
 * then a confirmation showing the order before and after, and only then
 * PATCH /api/orders/{id} with the preview's id (the gateway checks the
 * change still matches it) and an Idempotency-Key derived from it, so a
 * double click or a retry sends the change once. Any edit discards the
 * preview, as on the ticket.
 */
import { api } from './api.js';
import { byId, fmtMoney, fmtPrice, fmtQty, h, replace, say } from './dom.js';
import { editablePrice, markEditing } from './open-orders.js';
import { describeError, orderLine, riskTable, row } from './order-text.js';
import { can, setEnabled } from './session.js';
import { TERMINAL_STATUSES, type ModificationPreview, type ModifyResult, type OrderDetail, type OrderModification } from './types.js';

let target: OrderDetail | null = null;
let preview: ModificationPreview | null = null;

const form = (): HTMLFormElement => byId<HTMLFormElement>('modify-panel');
const input = (name: 'quantity' | 'price'): HTMLInputElement => form().elements.namedItem(name) as HTMLInputElement;

function renderPreview(): void {
  const sendButton = byId<HTMLButtonElement>('modify-send-button');
  const p = preview;
  if (p === null) {
    replace(byId('modify-preview'));
    setEnabled(sendButton, false);
    return;
  }
  const gateTone = p.gate.outcome === 'TRANSMIT' ? 'ok' : p.gate.outcome === 'SIMULATE' ? 'warn' : 'bad';
  replace(
    byId('modify-preview'),
    h('dl', { class: 'facts' }, ...row('Now', orderLine(p.previous)), ...row('After', h('b', {}, orderLine(p.spec)))),
    h(
      'dl',
      { class: 'facts' },
      ...row('Filled so far', fmtQty(p.filledQuantity)),
      ...row('Reference price', fmtPrice(p.referencePrice)),
      ...row('Notional still working', fmtMoney(p.estimatedNotional)),
      ...row('Commission', `${fmtMoney(p.estimatedCommission)} ${p.commissionCurrency}`),
      ...row('If sent now', h('span', { class: `chip ${gateTone}`, id: 'modify-gate' }, `${p.gate.outcome}${p.gate.code ? ` (${p.gate.code})` : ''}`)),
    ),
    ...p.warnings.map((w) => h('p', { class: 'message warn' }, w)),
    h('h4', {}, 'Risk checks of the new version ', h('span', { class: `chip ${p.riskPassed ? 'ok' : 'bad'}`, id: 'modify-risk-result' }, p.riskPassed ? 'all passed' : 'FAILED')),
    riskTable(p.riskChecks),
  );
  // A change that fails a risk check can be looked at, but sending it would only be refused.
  setEnabled(sendButton, p.riskPassed);
}

function discardPreview(): void {
  if (preview === null) return;
  preview = null;
  renderPreview();
  say(byId('modify-message'), '');
}

/** The fields that differ from the order as it works now; empty when nothing was changed. */
function readChanges(order: OrderDetail): OrderModification {
  const changes: OrderModification = {};
  const quantity = Number(input('quantity').value);
  if (input('quantity').value.trim() !== '' && quantity !== order.spec.quantity) changes.quantity = quantity;
  const field = editablePrice(order);
  const priceText = input('price').value.trim();
  if (field !== null && priceText !== '' && Number(priceText) !== order.spec[field]) changes[field] = Number(priceText);
  return changes;
}

/** Opens the panel for one open order, with its quantity and price to edit. */
export function openModify(order: OrderDetail): void {
  target = order;
  preview = null;
  renderPreview();
  const field = editablePrice(order);
  byId('modify-order-id').textContent = order.orderId;
  byId('modify-current').textContent = orderLine(order.spec);
  input('quantity').value = String(order.spec.quantity);
  input('price').value = field === null ? '' : String(order.spec[field] ?? '');
  input('price').disabled = field === null;
  byId('modify-price-name').textContent = field === 'stopPrice' ? 'Stop price' : field === 'limitPrice' ? 'Limit price' : `Price (none for ${order.spec.orderType})`;
  say(byId('modify-message'), order.filledQuantity > 0 ? `${fmtQty(order.filledQuantity)} already filled: the new quantity must be above that.` : '');
  form().hidden = false;
  markEditing(order.orderId);
  input(field === null ? 'quantity' : 'price').focus();
}

function closeModify(): void {
  target = null;
  preview = null;
  renderPreview();
  form().hidden = true;
  markEditing(null);
}

async function doPreview(): Promise<void> {
  const order = target;
  if (order === null || !can('trade')) return;
  discardPreview();
  const changes = readChanges(order);
  const message = byId('modify-message');
  if (Object.keys(changes).length === 0) return say(message, 'Change the quantity or the price first.', 'error');
  say(message, 'Previewing…');
  try {
    const p = await api<ModificationPreview>(`/api/orders/${encodeURIComponent(order.orderId)}/modify/preview`, { method: 'POST', body: changes });
    // The answer may come after the user closed the panel or picked another order.
    if (target?.orderId !== order.orderId) return;
    preview = p;
    renderPreview();
    say(message, p.riskPassed ? 'Previewed: check the change, then modify.' : 'Previewed: a risk check fails, so this change would be refused.', p.riskPassed ? 'ok' : 'error');
    byId('modify-send-button').focus();
  } catch (err) {
    say(message, describeError(err), 'error');
  }
}

/** Asks first: the dialog shows the order before and after, as it will be sent. */
function confirmModify(): void {
  const p = preview;
  if (p === null) return;
  replace(
    byId('modify-confirm-order'),
    h('dl', { class: 'facts' }, ...row('Order', p.orderId), ...row('Now', orderLine(p.previous)), ...row('After', h('b', {}, orderLine(p.spec))), ...row('If sent now', `${p.gate.outcome}${p.gate.code ? ` (${p.gate.code})` : ''}`)),
  );
  byId<HTMLDialogElement>('modify-dialog').showModal();
  byId('modify-send').focus();
}

async function doModify(): Promise<void> {
  const p = preview;
  if (p === null || target === null) return;
  const changes = readChanges(target);
  const message = byId('modify-message');
  const button = byId<HTMLButtonElement>('modify-send-button');
  setEnabled(button, false);
  say(message, 'Sending the modification…');
  try {
    const result = await api<ModifyResult>(`/api/orders/${encodeURIComponent(p.orderId)}`, {
      method: 'PATCH',
      body: { ...changes, previewId: p.previewId },
      headers: { 'idempotency-key': `dashboard-${p.previewId}` },
    });
    const what = result.modified ? `modified: ${orderLine(result.spec)}, ${result.status}` : `not sent: ${result.message ?? 'simulated'}`;
    closeModify();
    // The row itself changes when the order feed brings the new version.
    say(byId('open-message'), `Order ${result.orderId} ${what}${result.idempotentReplay ? ' [already sent]' : ''}`, result.modified ? 'ok' : 'info');
  } catch (err) {
    say(message, `Refused: ${describeError(err)}`, 'error');
    // The same preview may be sent again once the cause is gone (same idempotency key: still at most once).
    setEnabled(button, true);
  }
}

/** An order event: the panel follows its order, and says so when the order can no longer be modified. */
export function modifyFollows(order: OrderDetail): void {
  if (target === null || order.orderId !== target.orderId || order.version < target.version) return;
  target = order;
  byId('modify-current').textContent = orderLine(order.spec);
  if (TERMINAL_STATUSES.has(order.status)) {
    discardPreview();
    say(byId('modify-message'), `Order ${order.orderId} is ${order.status}: it can no longer be modified.`, 'error');
    setEnabled(byId<HTMLButtonElement>('modify-send-button'), false);
  }
}

export function setupModify(): void {
  const panel = form();
  panel.addEventListener('input', discardPreview);
  panel.addEventListener('submit', (event) => {
    event.preventDefault();
    void doPreview();
  });
  byId('modify-send-button').addEventListener('click', confirmModify);
  byId('modify-close').addEventListener('click', closeModify);
  const dialog = byId<HTMLDialogElement>('modify-dialog');
  dialog.addEventListener('close', () => {
    if (dialog.returnValue === 'send') void doModify();
    dialog.returnValue = '';
  });
}

export function resetModify(): void {
  if (target !== null) closeModify();
}
