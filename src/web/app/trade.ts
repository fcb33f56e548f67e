/**
 * Trade view: the order ticket, its preview, placing from that preview, and
 * open orders with cancel. An order can only be placed from a preview of
 * exactly what is in the ticket: any edit discards the preview, and the place
 * request carries the previewId (the core checks the order still matches it)
 * and an Idempotency-Key derived from it, so a double click or a retry after a
 * lost response never places twice. Place opens a confirmation that shows
 * the exact order to be sent; only its Send button sends it.
 */
import { api, ApiError } from './api.js';
import { byId, fmtMoney, fmtPrice, fmtQty, fmtTime, fmtValue, h, replace, say, statusBadge, table, val } from './dom.js';
import { applyScopes, can, setEnabled } from './session.js';
import type { CancelResult, OrderDetail, OrderPreview, OrderResult, OrderSpec, Quote } from './types.js';

let preview: OrderPreview | null = null;
/** Called after an order is placed or cancelled, so other views can refresh. */
let onChange: () => void = () => undefined;
/** Opens an order's detail (Orders view). */
let openDetail: (orderId: string) => void = () => undefined;

const NUMERIC = ['quantity', 'limitPrice', 'stopPrice', 'trailingAmount', 'trailingPercent', 'limitOffset', 'takeProfitPrice', 'stopLossPrice', 'strike'] as const;

/** Shows only the price fields the chosen order type takes (disabled fields are not sent). */
function syncFields(form: HTMLFormElement): void {
  const type = val(form, 'orderType');
  const sec = val(form, 'securityType');
  for (const label of Array.from(form.querySelectorAll<HTMLLabelElement>('label[data-for], label[data-sec]'))) {
    const applies = (label.dataset.for?.split(' ').includes(type) ?? true) && (label.dataset.sec?.split(' ').includes(sec) ?? true);
    label.classList.toggle('inapplicable', !applies);
    for (const input of Array.from(label.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input, select'))) input.disabled = !applies;
  }
}

/** The ticket as an order spec: empty and inapplicable fields are left out, numbers are numbers. */
function readTicket(form: HTMLFormElement): Record<string, unknown> {
  const spec: Record<string, unknown> = {};
  for (const element of Array.from(form.elements)) {
    if (!(element instanceof HTMLInputElement || element instanceof HTMLSelectElement) || element.name === '' || element.disabled) continue;
    if (element instanceof HTMLInputElement && element.type === 'checkbox') {
      spec[element.name] = element.checked;
      continue;
    }
    const text = element.value.trim();
    if (text === '') continue;
    spec[element.name] = (NUMERIC as readonly string[]).includes(element.name) ? Number(text) : element.name === 'symbol' ? text.toUpperCase() : text;
  }
  return spec;
}

function describeError(err: unknown): string {
  if (!(err instanceof ApiError)) return err instanceof Error ? err.message : String(err);
  // Field-level validation issues say which input is wrong.
  const issues = (err.details as { issues?: Array<{ path: string; message: string }> } | undefined)?.issues;
  const failed = (err.details as { failedChecks?: Array<{ name: string; message: string }> } | undefined)?.failedChecks;
  const extra = Array.isArray(issues) ? issues.map((i) => `${i.path}: ${i.message}`).join('; ') : Array.isArray(failed) ? failed.map((c) => c.message).join('; ') : '';
  return `${err.code}: ${err.message}${extra && !err.message.includes(extra) ? ` (${extra})` : ''}`;
}

function row(label: string, value: Node | string): HTMLElement[] {
  return [h('dt', {}, label), h('dd', {}, value)];
}

/** The order in one line, as it will be sent: side, quantity, symbol, type, time in force, prices. */
function orderLine(s: OrderSpec): string {
  const prices = [
    s.limitPrice !== undefined ? `limit ${fmtPrice(s.limitPrice)}` : '',
    s.stopPrice !== undefined ? `stop ${fmtPrice(s.stopPrice)}` : '',
    s.trailingAmount !== undefined ? `trail ${fmtPrice(s.trailingAmount)}` : '',
    s.trailingPercent !== undefined ? `trail ${s.trailingPercent}%` : '',
    s.takeProfitPrice !== undefined ? `TP ${fmtPrice(s.takeProfitPrice)}` : '',
    s.stopLossPrice !== undefined ? `SL ${fmtPrice(s.stopLossPrice)}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `${s.action} ${fmtQty(s.quantity)} ${s.symbol} ${s.orderType} ${s.timeInForce}${prices ? ` (${prices})` : ''}${s.outsideRth ? ' outside RTH' : ''}`;
}

/** A check's value or limit; a list ("STK,ETF,...") gets spaces so it wraps inside the box. */
const listValue = (v: number | string | null): string => fmtValue(v).replace(/,(?=\S)(?!\d{3}\b)/g, ', ');

function renderPreview(p: OrderPreview | null): void {
  const target = byId('preview');
  const placeButton = byId<HTMLButtonElement>('place-button');
  const discard = byId<HTMLButtonElement>('discard-button');
  if (p === null) {
    replace(target, h('p', { class: 'muted' }, 'Fill in the ticket and press Preview.'));
    setEnabled(placeButton, false);
    discard.disabled = true;
    return;
  }
  const gateTone = p.gate.outcome === 'TRANSMIT' ? 'ok' : p.gate.outcome === 'SIMULATE' ? 'warn' : 'bad';
  replace(
    target,
    h('p', { class: 'order-line' }, h('b', {}, orderLine(p.spec)), ` · ${p.contract.exchange} ${p.contract.currency} · conId ${p.contract.conId}`),
    h(
      'dl',
      { class: 'facts' },
      ...row('Reference price', fmtPrice(p.referencePrice)),
      ...row('Notional', fmtMoney(p.estimatedNotional)),
      ...row('Commission', `${fmtMoney(p.estimatedCommission)} ${p.commissionCurrency}`),
      ...row('Initial margin change', fmtMoney(p.initMarginChange)),
      ...row('Maint. margin change', fmtMoney(p.maintMarginChange)),
      ...row('Equity with loan after', fmtMoney(p.equityWithLoanAfter)),
      ...row('Buying power after', fmtMoney(p.buyingPowerAfter)),
      ...row('If placed now', h('span', { class: `chip ${gateTone}`, id: 'preview-gate' }, `${p.gate.outcome}${p.gate.code ? ` (${p.gate.code})` : ''}`)),
    ),
    h('p', { class: 'muted' }, p.gate.reason),
    ...p.warnings.map((w) => h('p', { class: 'message warn' }, w)),
    h('h3', {}, 'Risk checks ', h('span', { class: `chip ${p.riskPassed ? 'ok' : 'bad'}`, id: 'risk-result' }, p.riskPassed ? 'all passed' : 'FAILED')),
    // The result first, so it is in sight however narrow the box; a failure's reason wraps below it rather than widening the table.
    table(
      'Risk checks',
      ['Result', 'Check', 'Value', 'Limit'],
      p.riskChecks.map((c) => [
        h('span', { class: c.passed ? 'pos' : 'neg', title: c.message }, c.passed ? 'pass' : 'FAIL'),
        h('span', { title: c.message }, c.name, c.passed ? null : h('span', { class: 'reason' }, c.message)),
        h('span', { class: 'wrap' }, listValue(c.value)),
        h('span', { class: 'wrap' }, listValue(c.limit)),
      ]),
    ),
    h('p', { class: 'muted' }, `Preview ${p.previewId}, valid until ${fmtTime(p.expiresAt)}`),
  );
  // A preview that fails a risk check can still be looked at, but placing it would only be refused.
  setEnabled(placeButton, p.riskPassed);
  discard.disabled = false;
}

function discardPreview(): void {
  if (preview === null) return;
  preview = null;
  renderPreview(null);
  say(byId('ticket-message'), '');
}

/** Bid, ask and last of the ticket's symbol, so the limit is set against the market; refreshed with the view. */
export async function loadTicketQuote(): Promise<void> {
  const form = byId<HTMLFormElement>('ticket');
  const target = byId('ticket-quote');
  const symbol = val(form, 'symbol').toUpperCase();
  if (symbol === '') return replace(target);
  const params = new URLSearchParams({ symbol, securityType: val(form, 'securityType') || 'STK' });
  try {
    const q = await api<Quote>(`/api/market/quote?${params.toString()}`);
    // The answer may come after the user typed another symbol.
    if (val(form, 'symbol').toUpperCase() !== q.symbol.toUpperCase()) return;
    replace(
      target,
      h('span', { class: 'q' }, h('span', { class: 'label' }, 'Bid '), h('b', { 'data-field': 'bid' }, fmtPrice(q.bid)), q.bidSize !== null ? h('span', { class: 'muted' }, ` ×${fmtQty(q.bidSize)}`) : null),
      h('span', { class: 'q' }, h('span', { class: 'label' }, 'Ask '), h('b', { 'data-field': 'ask' }, fmtPrice(q.ask)), q.askSize !== null ? h('span', { class: 'muted' }, ` ×${fmtQty(q.askSize)}`) : null),
      h('span', { class: 'q' }, h('span', { class: 'label' }, 'Last '), h('b', { 'data-field': 'last' }, fmtPrice(q.last))),
      h('span', { class: 'q muted' }, q.symbol),
    );
  } catch (err) {
    replace(target, h('span', { class: 'muted' }, err instanceof ApiError ? `No quote for ${symbol}: ${err.code}` : `No quote for ${symbol}`));
  }
}

async function doPreview(form: HTMLFormElement): Promise<void> {
  const message = byId('ticket-message');
  say(byId('place-message'), '');
  discardPreview();
  say(message, 'Previewing…');
  try {
    preview = await api<OrderPreview>('/api/orders/preview', { method: 'POST', body: readTicket(form) });
    renderPreview(preview);
    say(message, preview.riskPassed ? 'Previewed: check the numbers, then place.' : 'Previewed: a risk check fails, so this order would be refused.', preview.riskPassed ? 'ok' : 'error');
    byId('place-button').focus();
  } catch (err) {
    say(message, describeError(err), 'error');
  }
}

/** Place asks first: the dialog shows exactly what will be sent, and where. */
function confirmPlace(): void {
  const p = preview;
  if (p === null) return;
  replace(
    byId('place-confirm-order'),
    h('p', { class: 'order-line' }, h('b', {}, orderLine(p.spec))),
    h(
      'dl',
      { class: 'facts' },
      ...row('Instrument', `${p.spec.symbol} ${p.spec.securityType} · ${p.contract.exchange} ${p.contract.currency} · conId ${p.contract.conId}`),
      ...row('Notional', fmtMoney(p.estimatedNotional)),
      ...row('Commission', `${fmtMoney(p.estimatedCommission)} ${p.commissionCurrency}`),
      ...row('If placed now', `${p.gate.outcome}${p.gate.code ? ` (${p.gate.code})` : ''}`),
    ),
  );
  byId<HTMLDialogElement>('place-dialog').showModal();
  byId('place-send').focus();
}

async function doPlace(): Promise<void> {
  const p = preview;
  if (p === null) return;
  const message = byId('place-message');
  const button = byId<HTMLButtonElement>('place-button');
  setEnabled(button, false);
  say(message, 'Placing…');
  const body: OrderSpec & { previewId: string } = { ...p.spec, previewId: p.previewId };
  try {
    const result = await api<OrderResult>('/api/orders/place', { method: 'POST', body, headers: { 'idempotency-key': `dashboard-${p.previewId}` } });
    const children = result.children.length > 0 ? `; bracket children ${result.children.map((c) => `${c.role} ${c.orderId} ${c.status}`).join(', ')}` : '';
    say(message, `Order ${result.orderId}: ${result.status}${result.message ? ` (${result.message})` : ''}${children}${result.idempotentReplay ? ' [already placed]' : ''}`, 'ok');
    preview = null;
    renderPreview(null);
    // The preview's "check the numbers" is about an order that is now sent.
    say(byId('ticket-message'), '');
    onChange();
    void loadOpenOrders();
  } catch (err) {
    say(message, `Refused: ${describeError(err)}`, 'error');
    // The same preview may be placed again once the cause is gone (same idempotency key: still at most once).
    setEnabled(button, true);
  }
}

export async function loadOpenOrders(): Promise<void> {
  const message = byId('open-message');
  try {
    const orders = await api<OrderDetail[]>('/api/orders?status=open&limit=200');
    replace(
      byId('open-orders'),
      table(
        'Open orders',
        ['Order', 'Placed', 'Side', 'Qty', 'Symbol', 'Type', 'Price', 'TIF', 'Status', 'Filled', ''],
        orders.map((o) => [
          h('button', { type: 'button', class: 'link', 'data-detail': o.orderId }, o.orderId),
          fmtTime(o.createdAt),
          o.spec.action,
          fmtQty(o.spec.quantity),
          h('b', {}, o.spec.symbol),
          `${o.spec.orderType}${o.role !== 'ENTRY' ? ` (${o.role})` : ''}`,
          fmtPrice(o.spec.limitPrice ?? o.spec.stopPrice ?? null),
          o.spec.timeInForce,
          statusBadge(o.status),
          fmtQty(o.filledQuantity),
          h('button', { type: 'button', 'data-cancel': o.orderId, 'data-scope': 'trade', 'aria-label': `Cancel order ${o.orderId}` }, 'Cancel'),
        ]),
        'No open orders',
      ),
    );
    applyScopes(byId('open-orders'));
  } catch (err) {
    say(message, describeError(err), 'error');
  }
}

async function cancel(orderId: string, button: HTMLButtonElement): Promise<void> {
  const message = byId('open-message');
  button.disabled = true;
  try {
    const result = await api<CancelResult>(`/api/orders/${encodeURIComponent(orderId)}/cancel`, { method: 'POST' });
    say(message, `Order ${result.orderId}: ${result.status} — ${result.message}`, result.cancelled ? 'ok' : 'info');
    onChange();
  } catch (err) {
    say(message, describeError(err), 'error');
  }
  await loadOpenOrders();
}

/** Pre-fills the ticket from elsewhere (a watchlist row). */
export function ticketFor(symbol: string): void {
  const form = byId<HTMLFormElement>('ticket');
  (form.elements.namedItem('symbol') as HTMLInputElement).value = symbol;
  discardPreview();
  void loadTicketQuote();
}

export function setupTrade(options: { changed: () => void; detail: (orderId: string) => void }): void {
  onChange = options.changed;
  openDetail = options.detail;
  const form = byId<HTMLFormElement>('ticket');
  syncFields(form);
  form.addEventListener('change', () => {
    syncFields(form);
    discardPreview();
  });
  form.addEventListener('input', discardPreview);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (can('trade')) void doPreview(form);
  });
  byId('place-button').addEventListener('click', confirmPlace);
  const dialog = byId<HTMLDialogElement>('place-dialog');
  dialog.addEventListener('close', () => {
    if (dialog.returnValue === 'send') void doPlace();
    dialog.returnValue = '';
  });
  const symbolInput = form.elements.namedItem('symbol') as HTMLInputElement;
  symbolInput.addEventListener('change', () => void loadTicketQuote());
  byId('discard-button').addEventListener('click', discardPreview);
  byId('open-orders').addEventListener('click', (event) => {
    const target = (event.target as Element).closest<HTMLButtonElement>('button');
    if (!target) return;
    if (target.dataset.cancel) void cancel(target.dataset.cancel, target);
    else if (target.dataset.detail) openDetail(target.dataset.detail);
  });
}

export function resetTrade(): void {
  preview = null;
  renderPreview(null);
  say(byId('ticket-message'), '');
  say(byId('place-message'), '');
}
