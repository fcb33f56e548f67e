/**
 * Dashboard entry point: sign-in, navigation between views (the URL hash names
 * the view, never anything secret), and the refresh loop of the visible view.
 */
import { ApiError, setUnauthorizedHandler, storedKey, storeKey, whoAmI } from './api.js';
import { loadAccount } from './account.js';
import { loadApprovals } from './approvals.js';
import { loadAudit, setupAudit, verifyAudit } from './audit.js';
import { byId, h, say } from './dom.js';
import { setupMarket, showMarket, stopStream } from './market.js';
import { openModify, resetModify, setupModify } from './modify.js';
import { loadOpenOrders, setupOpenOrders } from './open-orders.js';
import { startOrderUpdates, stopOrderUpdates } from './order-updates.js';
import { loadOrders, setupOrders, showOrderDetail } from './orders.js';
import { scopeList, setScopes } from './session.js';
import { refreshStatus, setupKillSwitch, startStatusPolling } from './status.js';
import { loadTicketQuote, resetTrade, setupTrade, ticketFor } from './trade.js';
import { BAR_SIZES, ORDER_TYPES, SECURITY_TYPES, TIME_IN_FORCE } from './types.js';

type View = 'account' | 'market' | 'trade' | 'orders' | 'approvals' | 'audit';
const VIEWS: readonly View[] = ['account', 'market', 'trade', 'orders', 'approvals', 'audit'];

/**
 * What each view reloads, on entry and then every REFRESH_MS while it is shown.
 * Orders and approvals are not polled: their lists load on entry (LOAD) and the
 * order event stream keeps them current (order-updates.ts); the market view streams quotes.
 */
const REFRESH: Record<View, (() => Promise<void>) | null> = {
  account: loadAccount,
  market: null,
  trade: loadTicketQuote,
  orders: null,
  approvals: null,
  audit: null,
};
const LOAD: Partial<Record<View, () => Promise<void>>> = { trade: loadOpenOrders, orders: loadOrders, approvals: loadApprovals };
const REFRESH_MS = 5000;

let current: View | null = null;
let refreshTimer: number | undefined;

function fillOptions(): void {
  const lists: Record<string, readonly string[]> = { securityTypes: SECURITY_TYPES, barSizes: BAR_SIZES, orderTypes: ORDER_TYPES, timeInForce: TIME_IN_FORCE };
  for (const select of Array.from(document.querySelectorAll<HTMLSelectElement>('select[data-options]'))) {
    const values = lists[select.dataset.options ?? ''] ?? [];
    select.replaceChildren(...values.map((v) => h('option', { value: v }, v)));
  }
  for (const select of Array.from(document.querySelectorAll<HTMLSelectElement>('select[name="barSize"]'))) select.value = '1 day';
  for (const select of Array.from(document.querySelectorAll<HTMLSelectElement>('select[name="orderType"]'))) select.value = 'LMT';
}

function viewFromHash(): View {
  const name = location.hash.replace(/^#/, '');
  return (VIEWS as readonly string[]).includes(name) ? (name as View) : 'account';
}

function show(view: View): void {
  if (storedKey() === null) return;
  if (current === 'market' && view !== 'market') stopStream();
  current = view;
  for (const name of VIEWS) byId(`view-${name}`).hidden = name !== view;
  byId('view-signin').hidden = true;
  for (const link of Array.from(document.querySelectorAll<HTMLAnchorElement>('#nav a'))) {
    if (link.dataset.view === view) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  window.clearInterval(refreshTimer);
  void LOAD[view]?.();
  const refresh = REFRESH[view];
  if (refresh) {
    void refresh();
    refreshTimer = window.setInterval(() => {
      // Background tabs need not poll; the next visible tick catches up.
      if (document.visibilityState === 'visible') void refresh();
    }, REFRESH_MS);
  }
  if (view === 'market') showMarket();
  if (view === 'audit') {
    void loadAudit();
    void verifyAudit();
  }
}

function signedIn(scopes: ReturnType<typeof scopeList>): void {
  byId('nav').hidden = false;
  byId('sign-out').hidden = false;
  byId('kill-button').hidden = false;
  byId('key-info').textContent = `Key scopes: ${scopes.join(', ') || 'none'}`;
  byId('ticket-scope').hidden = scopes.includes('trade');
  // The lists load after the feed knows its starting sequence, so no change between the two is missed.
  void startOrderUpdates().then(() => {
    show(viewFromHash());
    byId('main').focus();
  });
}

function signOut(reason?: string): void {
  storeKey(null);
  stopStream();
  stopOrderUpdates();
  resetModify();
  window.clearInterval(refreshTimer);
  current = null;
  setScopes(new Set());
  resetTrade();
  for (const name of VIEWS) byId(`view-${name}`).hidden = true;
  byId('view-signin').hidden = false;
  byId('nav').hidden = true;
  byId('sign-out').hidden = true;
  byId('kill-button').hidden = true;
  byId('key-info').textContent = '';
  say(byId('signin-message'), reason ?? '', reason ? 'error' : 'info');
  byId('signin-key').focus();
}

async function signIn(key: string): Promise<void> {
  const message = byId('signin-message');
  say(message, 'Checking the key…');
  try {
    const { scopes } = await whoAmI(key);
    storeKey(key);
    setScopes(scopes);
    // The status bar shows the details a key may see as soon as there is one.
    void refreshStatus();
    say(message, '');
    (byId<HTMLInputElement>('signin-key')).value = '';
    signedIn(scopeList());
  } catch (err) {
    say(message, err instanceof ApiError ? (err.status === 401 ? 'That key is not valid for this gateway.' : `${err.code}: ${err.message}`) : 'Sign-in failed', 'error');
  }
}

function start(): void {
  fillOptions();
  startStatusPolling();
  setupKillSwitch();
  setupMarket((symbol) => {
    ticketFor(symbol);
    location.hash = '#trade';
  });
  setupTrade({ changed: () => undefined });
  setupOpenOrders({
    detail: (orderId) => {
      location.hash = '#orders';
      void showOrderDetail(orderId);
    },
    modify: openModify,
  });
  setupModify();
  setupOrders();
  setupAudit();
  setUnauthorizedHandler(() => signOut('The key was refused (401): sign in again.'));

  byId<HTMLFormElement>('signin-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const key = byId<HTMLInputElement>('signin-key').value.trim();
    if (key !== '') void signIn(key);
  });
  byId('sign-out').addEventListener('click', () => signOut());
  window.addEventListener('hashchange', () => show(viewFromHash()));

  const key = storedKey();
  // A reload keeps the tab's key: find its scopes again rather than trust a stored copy.
  if (key !== null) void signIn(key);
  else signOut();
}

start();
