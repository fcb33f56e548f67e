/**
 * Trade view: the order ticket, its preview, and placing from that preview
 * (the open orders below it are open-orders.ts). An order can only be placed from a preview of
 * exactly what is in the ticket: any edit discards the preview, and the place
 * request carries the previewId (the core checks the order still matches it)
 * and an Idempotency-Key derived from it, so a double click or a retry after a
 * lost response never places twice. Place opens a confirmation that shows
 * the exact order to be sent; only its Send button sends it.
 */
import { api, ApiError } from './api.js';
import { byId, fmtMoney, fmtPrice, fmtQty, fmtTime, h, replace, say, val } from './dom.js';
import { describeError, orderLine, riskTable, row } from './order-text.js';
import { can, setEnabled } from './session.js';
import type { OrderPreview, OrderResult, OrderSpec, Quote } from './types.js';

let preview: OrderPreview | null = null;
/** Called after an order is placed, so other views can refresh. */
let onChange: () => void = () => undefined;

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
    riskTable(p.riskChecks),
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
  } catch (err) {
    say(message, `Refused: ${describeError(err)}`, 'error');
    // The same preview may be placed again once the cause is gone (same idempotency key: still at most once).
    setEnabled(button, true);
  }
}

/** Pre-fills the ticket from elsewhere (a watchlist row). */
export function ticketFor(symbol: string): void {
  const form = byId<HTMLFormElement>('ticket');
  (form.elements.namedItem('symbol') as HTMLInputElement).value = symbol;
  discardPreview();
  void loadTicketQuote();
}

export function setupTrade(options: { changed: () => void }): void {
  onChange = options.changed;
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
}

export function resetTrade(): void {
  preview = null;
  renderPreview(null);
  say(byId('ticket-message'), '');
  say(byId('place-message'), '');
}
