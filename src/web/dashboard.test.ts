/**
 * The dashboard in headless Chromium against a real gateway: a client on the
 * simulated broker (orders enabled, market always open), the REST API on a
 * real socket, and the dashboard registered on it. Each step is what a user
 * does; each view is saved as a screenshot in test-artifacts/screenshots/ for
 * a reviewer to look at.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { buildApiServer } from '../api/index.js';
import { createClient } from '../gateway.js';
import { parseApiKeys } from '../core/config.js';
import type { GatewayClient } from '../core/client/interface.js';
import type * as Core from '../core/models.js';
import { TERMINAL_STATUSES as CORE_TERMINAL } from '../core/models.js';
import type * as App from './app/types.js';
import { TERMINAL_STATUSES as APP_TERMINAL } from './app/types.js';
import { registerDashboard } from './index.js';

// The browser code keeps its own copy of the response shapes (no zod in the page);
// these fail the type-check when the API's shapes or enums move away from it.
type Fits<A extends B, B> = [A, B];
export type _ShapesStillFit = [
  Fits<Core.Health, App.Health>,
  Fits<Core.HealthStatus, App.HealthStatus>,
  Fits<Core.ApiKeyInfo, App.ApiKeyInfo>,
  Fits<Core.Quote, App.Quote>,
  Fits<Core.Bar, App.Bar>,
  Fits<Core.AccountSummary, App.AccountSummary>,
  Fits<Core.Position, App.Position>,
  Fits<Core.AccountPnL, App.AccountPnL>,
  Fits<Core.OrderPreview, App.OrderPreview>,
  Fits<Core.OrderResult, App.OrderResult>,
  Fits<Core.OrderDetail, App.OrderDetail>,
  Fits<Core.CancelResult, App.CancelResult>,
  Fits<Core.AuditPage, App.AuditPage>,
  Fits<Core.AuditVerifyResult, App.AuditVerifyResult>,
  Fits<Core.KillSwitchState, App.KillSwitchState>,
  Fits<Core.ErrorBody, App.ErrorBody>,
  Fits<Core.OrderSpecOutput, App.OrderSpec>,
  Fits<Core.OrderEvent, App.OrderEvent>,
  Fits<Core.ModificationPreview, App.ModificationPreview>,
  Fits<Core.ModifyResult, App.ModifyResult>,
  // The other way round: what the page sends must be a modification the API accepts.
  Fits<App.OrderModification, Core.OrderModificationInput>,
  Fits<Core.OrderType, (typeof App.ORDER_TYPES)[number]>,
  Fits<(typeof App.ORDER_TYPES)[number], Core.OrderType>,
  Fits<Core.TimeInForce, (typeof App.TIME_IN_FORCE)[number]>,
  Fits<(typeof App.TIME_IN_FORCE)[number], Core.TimeInForce>,
  Fits<Core.SecurityType, (typeof App.SECURITY_TYPES)[number]>,
  Fits<(typeof App.SECURITY_TYPES)[number], Core.SecurityType>,
  Fits<Core.BarSize, (typeof App.BAR_SIZES)[number]>,
  Fits<(typeof App.BAR_SIZES)[number], Core.BarSize>,
  Fits<Core.AuditEventType, (typeof App.AUDIT_EVENT_TYPES)[number]>,
  Fits<(typeof App.AUDIT_EVENT_TYPES)[number], Core.AuditEventType>,
];

const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS = join(ROOT, 'test-artifacts', 'screenshots');
const KEYS = { admin: 'dash-admin-key-1', read: 'dash-read-key-1' } as const;

let dataDir: string;
let client: GatewayClient;
let server: FastifyInstance;
let baseUrl: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Every request the page made and every uncaught page error, checked at the end. */
const requests: string[] = [];
const pageErrors: string[] = [];
/** Console errors of every page (a 404 favicon, a failed fetch...); a step that fails something on purpose forgives its own. */
const consoleErrors: string[] = [];
function forgiveConsoleErrors(pattern: RegExp): void {
  const kept = consoleErrors.filter((e) => !pattern.test(e));
  consoleErrors.splice(0, consoleErrors.length, ...kept);
}
let placeRequest: Request | null = null;
/** Requests to the order event stream (with their Last-Event-ID), and PATCH requests, in order. */
const streamRequests: Request[] = [];
const patchRequests: Request[] = [];
/** The sockets of open order streams, server side: a test cuts them to drop the stream mid-way. */
const orderStreamSockets = new Set<Socket>();

async function shot(p: Page, name: string): Promise<void> {
  // From the top: a full-page shot taken scrolled down would paint the sticky status bar mid-page.
  await p.evaluate(() => window.scrollTo(0, 0));
  await p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function newPage(ctx: BrowserContext): Promise<Page> {
  const p = await ctx.newPage();
  p.on('request', (r) => {
    requests.push(r.url());
    if (r.url().endsWith('/api/orders/place')) placeRequest = r;
    if (r.url().endsWith('/api/orders/stream')) streamRequests.push(r);
    if (r.method() === 'PATCH') patchRequests.push(r);
  });
  p.on('pageerror', (e) => pageErrors.push(e.message));
  p.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${m.text()} (${m.location().url})`);
  });
  return p;
}

async function signIn(p: Page, key: string): Promise<void> {
  await p.goto(baseUrl);
  // Sign-in focuses the key field: typing and Enter is the whole keyboard path.
  await p.locator('#signin-key:focus').waitFor();
  await p.keyboard.type(key);
  await p.keyboard.press('Enter');
  await p.locator('#nav').waitFor({ state: 'visible' });
}

async function go(p: Page, view: string): Promise<void> {
  await p.click(`#nav a[data-view="${view}"]`);
  await p.locator(`#view-${view}`).waitFor({ state: 'visible' });
}

/** Elements matching `selector` whose content is wider than their box (it would scroll or be cut): none is the goal. */
async function overflowing(p: Page, selector: string): Promise<string[]> {
  return p.evaluate(
    (sel) =>
      Array.from(document.querySelectorAll<HTMLElement>(sel))
        .filter((e) => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
        .map((e) => `${e.id || e.className} ${e.scrollWidth}>${e.clientWidth}`),
    selector,
  );
}

async function aaplBid(): Promise<number> {
  const q = await client.getQuote({ symbol: 'AAPL' });
  const bid = q.bid ?? q.last;
  if (bid === null) throw new Error('no AAPL price');
  return bid;
}

/** Fills the ticket with a BUY LMT 5% under the bid: inside the 10% price band, far enough below the market never to fill. */
async function fillFarLimit(p: Page, quantity = 10): Promise<number> {
  const limit = Math.round((await aaplBid()) * 0.95 * 100) / 100;
  await p.fill('#ticket input[name="symbol"]', 'AAPL');
  await p.selectOption('#ticket select[name="action"]', 'BUY');
  await p.selectOption('#ticket select[name="orderType"]', 'LMT');
  await p.fill('#ticket input[name="quantity"]', String(quantity));
  await p.fill('#ticket input[name="limitPrice"]', String(limit));
  return limit;
}

const hasChromium = existsSync(CHROMIUM);

const suiteName = hasChromium ? 'dashboard in headless Chromium' : `dashboard (skipped: ${CHROMIUM} is not installed; .ci/run installs it)`;

// A shared 2-core CI machine can be slow to paint: give the browser room rather than flake.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });
const eventually = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 20_000, interval: 100 });

describe.skipIf(!hasChromium)(suiteName, () => {
  beforeAll(async () => {
    // The page loads the compiled app; build it from the current sources (npm run build does the same).
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'src', 'web', 'tsconfig.json')], { stdio: 'inherit' });
    mkdirSync(SHOTS, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'ibkr-dashboard-test-'));
    client = await createClient({ env: { DATA_DIR: dataDir, SIM_SESSION: 'always-open', ORDERS_ENABLED: 'true', LOG_LEVEL: 'silent' } });
    // The admin key is configured as `admin` alone: scopes are hierarchical, so it trades and reads too.
    const apiKeys = parseApiKeys(`${KEYS.admin}:admin,${KEYS.read}:read`);
    if (apiKeys === undefined) throw new Error('test keys do not parse');
    server = await buildApiServer(client, { apiKeys });
    await registerDashboard(server);
    server.server.on('request', (req: { url?: string; socket: Socket }) => {
      if (req.url?.startsWith('/api/orders/stream')) {
        orderStreamSockets.add(req.socket);
        req.socket.once('close', () => orderStreamSockets.delete(req.socket));
      }
    });
    await server.listen({ host: '127.0.0.1', port: 0 });
    baseUrl = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    page = await newPage(context);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    // Any stream the browser left half-open must not hold the close.
    server?.server.closeAllConnections();
    await server?.close();
    await client?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the page and its assets without a key, with a same-origin-only CSP, and nothing outside its folders', async () => {
    const index = await fetch(`${baseUrl}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/text\/html/);
    expect(index.headers.get('content-security-policy')).toContain("default-src 'self'");
    for (const asset of ['/assets/app/main.js', '/assets/styles.css', '/assets/vendor/lightweight-charts.js']) {
      expect((await fetch(`${baseUrl}${asset}`)).status, asset).toBe(200);
    }
    // Browsers fetch it on their own: a 404 would be a console error on every load.
    const icon = await fetch(`${baseUrl}/favicon.ico`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toBe('image/x-icon');
    expect(Buffer.from(await icon.arrayBuffer()).subarray(0, 4)).toEqual(Buffer.from([0, 0, 1, 0]));
    expect((await fetch(`${baseUrl}/assets/app/..%2F..%2F..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${baseUrl}/assets/app/nope.js`)).status).toBe(404);
    // The data stays behind the key.
    expect((await fetch(`${baseUrl}/api/account/summary`)).status).toBe(401);
  });

  it('signs in with an API key kept in sessionStorage, never in the URL', async () => {
    await page.goto(baseUrl);
    // Signed out, /health shows the status alone: no broker, accounts or mode for whoever opens the page.
    await eventually(() => page.textContent('#st-gateway')).toContain('ok');
    expect(await page.locator('#st-broker').count()).toBe(0);
    await shot(page, '01-sign-in');
    await page.fill('#signin-key', 'not-a-valid-key');
    await page.press('#signin-key', 'Enter');
    await eventually(() => page.textContent('#signin-message')).toContain('not valid');
    // The wrong key's 401 is this step's doing.
    forgiveConsoleErrors(/status of 401/);

    await signIn(page, KEYS.admin);
    expect(await page.textContent('#key-info')).toContain('read, trade, admin');
    expect(page.url()).not.toContain(KEYS.admin);
    expect(await page.evaluate(() => sessionStorage.getItem('ibkr-gateway.apiKey'))).toBe(KEYS.admin);
    // The status bar: broker, mode, orders, connection, data type, kill switch.
    await eventually(() => page.textContent('#status')).toContain('sim');
    const status = await page.textContent('#status');
    for (const text of ['paper', 'enabled', 'connected', 'SIMULATED', 'released']) expect(status).toContain(text);
    // At 1400 px the status bar is one line: every chip at the same height.
    const tops = await page.$$eval('#status .chip', (chips) => chips.map((c) => (c as HTMLElement).offsetTop));
    expect(tops.length).toBeGreaterThan(5);
    expect(new Set(tops).size).toBe(1);
  });

  it('shows the account: summary cards, positions and P&L by symbol', async () => {
    await go(page, 'account');
    await eventually(() => page.textContent('#account-cards')).toContain('Net liquidation');
    expect(await page.textContent('#account-cards')).toMatch(/1,000,000\.00/);
    expect(await page.textContent('#positions')).toContain('No positions');
    await shot(page, '02-account');
  });

  it('updates a watchlist quote live from the SSE stream', async () => {
    await go(page, 'market');
    await eventually(() => page.textContent('#stream-state')).toBe('live');
    const row = page.locator('#wl-AAPL');
    await eventually(() => row.getAttribute('data-updated')).not.toBeNull();
    const first = await row.getAttribute('data-updated');
    // The simulator ticks every second: a later quote must replace the first one on screen.
    await eventually(() => row.getAttribute('data-updated')).not.toBe(first);
    expect(await row.locator('[data-field="last"]').textContent()).toMatch(/^\d[\d,]*\.\d+$/);
    await shot(page, '03-market-watchlist');
  });

  it('an unknown symbol saved in the watchlist is marked, removable, and does not stop the other quotes', async () => {
    // As left by an older version, or typed in another tab: the list survives a reload in localStorage.
    await page.evaluate(() => localStorage.setItem('ibkr-gateway.watchlist', JSON.stringify(['AAPL', 'ZZZQQQ', 'MSFT'])));
    await page.reload();
    await page.locator('#nav').waitFor({ state: 'visible' });
    await go(page, 'market');
    const bad = page.locator('#wl-ZZZQQQ');
    await eventually(() => bad.getAttribute('data-state')).toBe('invalid');
    expect(await bad.getAttribute('class')).toContain('invalid');
    expect(await bad.locator('[data-field="state"]').textContent()).toBe('unknown');
    expect(await bad.getAttribute('title')).toContain('CONTRACT_NOT_FOUND');
    expect(await page.textContent('#watch-message')).toContain('ZZZQQQ (CONTRACT_NOT_FOUND)');
    expect(await page.textContent('#stream-state')).toBe('live');
    // The others keep moving.
    for (const symbol of ['AAPL', 'MSFT']) {
      const row = page.locator(`#wl-${symbol}`);
      await eventually(() => row.getAttribute('data-state')).toBe('live');
      const first = await row.getAttribute('data-updated');
      await eventually(() => row.getAttribute('data-updated')).not.toBe(first);
    }
    expect(await overflowing(page, '#watchlist .table-wrap')).toEqual([]);
    await shot(page, '03b-market-unknown-symbol');

    // Quotes that stop coming are shown as stale, not as live: the stream is cut here, then comes back.
    await page.route('**/api/market/stream*', (route) => route.abort());
    await page.click('#wl-ZZZQQQ button[data-act="remove"]');
    await bad.waitFor({ state: 'detached' });
    expect(await page.evaluate(() => localStorage.getItem('ibkr-gateway.watchlist'))).toBe(JSON.stringify(['AAPL', 'MSFT']));
    await eventually(() => page.textContent('#stream-state')).toBe('reconnecting');
    await eventually(() => page.locator('#wl-AAPL').getAttribute('data-state')).toBe('stale');
    expect(await page.locator('#wl-AAPL [data-field="state"]').textContent()).toBe('stale');
    await shot(page, '03c-market-stream-down-stale');
    await page.unroute('**/api/market/stream*');
    forgiveConsoleErrors(/ERR_FAILED|market\/stream/);
    await eventually(() => page.textContent('#stream-state')).toBe('live');
    await eventually(() => page.locator('#wl-AAPL').getAttribute('data-state')).toBe('live');
    expect(await page.textContent('#watch-message')).toBe('');
  });

  it('draws a candlestick and volume chart for a symbol, bar size and duration', async () => {
    await eventually(() => page.locator('#chart').getAttribute('data-bars')).not.toBeNull();
    await page.fill('#chart-form input[name="symbol"]', 'MSFT');
    await page.selectOption('#chart-form select[name="barSize"]', '1 hour');
    await page.selectOption('#chart-form select[name="duration"]', '1 W');
    await page.click('#chart-form button[type="submit"]');
    await eventually(() => page.textContent('#chart-title')).toBe('MSFT · 1 hour · 1 W');
    expect(Number(await page.locator('#chart').getAttribute('data-bars'))).toBeGreaterThan(10);
    expect(await page.locator('#chart canvas').count()).toBeGreaterThan(0);
    // Volume has its own pane and axis, below the price pane.
    expect(await page.locator('#chart').getAttribute('data-volume-pane')).toBe('1');
    await shot(page, '04-market-chart');
  });

  let orderId = '';

  it('previews a LMT order (what-if numbers and every risk check), then places it from the preview', async () => {
    await go(page, 'trade');
    const placeButton = page.locator('#place-button');
    expect(await placeButton.isDisabled()).toBe(true);
    const limit = await fillFarLimit(page);
    await page.click('#preview-button');
    await eventually(() => page.textContent('#risk-result')).toBe('all passed');
    const preview = (await page.textContent('#preview')) ?? '';
    for (const text of ['Commission', 'Initial margin change', 'Buying power after', 'maxOrderQuantity', 'priceBand', 'TRANSMIT']) expect(preview).toContain(text);
    expect(await placeButton.isEnabled()).toBe(true);
    // Pass/fail stays in sight: nothing in the preview box is wider than the box.
    expect(await overflowing(page, '#preview, #preview .table-wrap')).toEqual([]);
    // The ticket shows where the market is.
    await eventually(() => page.locator('#ticket-quote [data-field="bid"]').textContent()).toMatch(/^\d[\d,]*\.\d{2}$/);
    expect(await page.locator('#ticket-quote [data-field="ask"]').textContent()).toMatch(/^\d[\d,]*\.\d{2}$/);
    await shot(page, '05-trade-preview');

    // Editing the ticket discards the preview: only what was previewed can be placed.
    await page.fill('#ticket input[name="quantity"]', '11');
    expect(await placeButton.isDisabled()).toBe(true);
    await page.fill('#ticket input[name="quantity"]', '10');
    await page.click('#preview-button');
    await eventually(() => placeButton.isEnabled()).toBe(true);

    // Place asks first, showing the exact order; Back sends nothing.
    await placeButton.click();
    const dialog = page.locator('#place-dialog');
    await dialog.waitFor({ state: 'visible' });
    const shown = (await page.textContent('#place-confirm-order')) ?? '';
    expect(shown).toContain(`BUY 10 AAPL LMT DAY (limit ${limit.toFixed(2)})`);
    await shot(page, '05b-trade-confirm');
    await page.click('#place-dialog button[value="back"]');
    await dialog.waitFor({ state: 'hidden' });
    expect(placeRequest).toBeNull();
    await placeButton.click();
    await page.click('#place-send');
    await eventually(() => page.textContent('#place-message')).toMatch(/^Order \d+: ACCEPTED/);
    // The preview's advice is gone with the preview.
    expect(await page.textContent('#ticket-message')).toBe('');
    orderId = /^Order (\d+)/.exec((await page.textContent('#place-message')) ?? '')?.[1] ?? '';
    expect(orderId).not.toBe('');
    const sent = placeRequest?.postDataJSON() as { previewId?: string; limitPrice?: number } | undefined;
    expect(sent?.previewId).toMatch(/\S/);
    expect(sent?.limitPrice).toBe(limit);
    expect(placeRequest?.headers()['idempotency-key']).toBe(`dashboard-${sent?.previewId ?? ''}`);
    expect((await client.getOrderStatus(orderId)).status).toBe('ACCEPTED');
  });

  it('lists the order among open orders, and cancels it', async () => {
    const cancel = page.locator(`#open-orders button[data-cancel="${orderId}"]`);
    await cancel.waitFor();
    // A working order's status has its colour class.
    expect(await page.locator('#open-orders span.order-status').first().getAttribute('class')).toContain('status-working');
    await shot(page, '06-trade-open-orders');
    await cancel.click();
    await eventually(() => page.textContent('#open-message')).toContain('CANCELLED');
    await cancel.waitFor({ state: 'detached' });
    expect((await client.getOrderStatus(orderId)).status).toBe('CANCELLED');
  });

  it('shows the order detail with its audit trail', async () => {
    await go(page, 'orders');
    const link = page.locator(`#orders-list button[data-detail="${orderId}"]`);
    await link.waitFor();
    await link.click();
    await eventually(() => page.textContent('#order-detail-body')).toContain('CANCELLED');
    await eventually(() => page.textContent('#order-audit')).toContain('ORDER_CANCELLED');
    const trail = (await page.textContent('#order-audit')) ?? '';
    for (const event of ['ORDER_SUBMITTED', 'ORDER_ACCEPTED', 'ORDER_CANCEL_REQUESTED']) expect(trail).toContain(event);
    expect(await page.locator('#order-detail-body span.order-status').getAttribute('class')).toContain('status-inactive');
    expect(await page.locator(`#orders-list span.order-status`).first().getAttribute('class')).toMatch(/status-\w+/);
    // Audit details are key/value lines, not raw JSON.
    expect(await page.locator('#order-audit dl.kv').count()).toBeGreaterThan(0);
    expect(await page.locator('#order-audit dl.kv dt').allTextContents()).toContain('contract.conId');
    expect(trail).not.toContain('{"');
    await shot(page, '07-order-detail-audit');

    // Filters of the recent orders list.
    await page.selectOption('#orders-filter select[name="status"]', 'open');
    await page.click('#orders-filter button[type="submit"]');
    await eventually(() => page.textContent('#orders-list')).toContain('No orders match');
  });

  it('shows the audit log with filters and the verify result (admin)', async () => {
    await go(page, 'audit');
    await eventually(() => page.textContent('#verify-result')).toMatch(/Chain intact: \d+ rows verified/);
    await page.selectOption('#audit-filter select[name="eventType"]', 'ORDER_CANCELLED');
    await page.click('#audit-filter button[type="submit"]');
    await eventually(() => page.textContent('#audit-message')).toBe('1 entry');
    expect(await page.textContent('#audit-list')).toContain(orderId);
    await page.selectOption('#audit-filter select[name="eventType"]', '');
    await page.click('#audit-filter button[type="submit"]');
    await eventually(() => page.textContent('#audit-list')).toContain('CONFIG_LOADED');
    await shot(page, '08-audit');
  });

  /** A BUY LMT 5% under the bid placed by another client (not this page): it rests, and only the order stream can tell the page about it. */
  async function placeElsewhere(quantity: number): Promise<{ orderId: string; limit: number }> {
    const limit = Math.round((await aaplBid()) * 0.95 * 100) / 100;
    const preview = await client.previewOrder({ symbol: 'AAPL', action: 'BUY', quantity, orderType: 'LMT', limitPrice: limit });
    const placed = await client.placeOrder({ ...preview.spec, previewId: preview.previewId });
    return { orderId: placed.orderId, limit };
  }
  const listRequests = (): number => requests.filter((u) => u.includes('/api/orders?')).length;

  it('keeps the open and recent orders current from the order event stream, without polling', async () => {
    expect([...APP_TERMINAL].sort()).toEqual([...CORE_TERMINAL].sort());
    // Entering the view loads the list once; wait for that load, so the count below starts after it.
    const loaded = page.waitForResponse((r) => r.url().includes('/api/orders?status=open'));
    await go(page, 'trade');
    await loaded;
    await eventually(() => page.getAttribute('#open-feed-state', 'data-feed-state')).toBe('live');
    const listsBefore = listRequests();
    const { orderId: id } = await placeElsewhere(21);
    const row = page.locator(`#open-orders tr[data-order="${id}"]`);
    await row.waitFor();
    expect(await row.locator('[data-field="quantity"]').textContent()).toBe('21');
    await client.cancelOrder(id);
    await row.waitFor({ state: 'detached' });
    // The order came and went with no list request: the stream carried both.
    expect(listRequests()).toBe(listsBefore);

    await go(page, 'orders');
    await page.selectOption('#orders-filter select[name="status"]', 'all');
    const filtered = page.waitForResponse((r) => r.url().includes('/api/orders?status=all'));
    await page.click('#orders-filter button[type="submit"]');
    await filtered;
    await eventually(() => page.textContent('#orders-list')).toContain(id);
    expect(await page.getAttribute('#orders-feed-state', 'data-feed-state')).toBe('live');
    const listed = listRequests();
    const { orderId: next } = await placeElsewhere(22);
    await page.locator(`#orders-list button[data-detail="${next}"]`).waitFor();
    expect(listRequests()).toBe(listed);
    await client.cancelOrder(next);
    await eventually(() => page.locator(`#orders-list tr:has(button[data-detail="${next}"]) .order-status`).textContent()).toBe('CANCELLED');
  });

  it('marks the order lists stale while the stream is down, and on reconnect resumes after the last event (Last-Event-ID): what it missed arrives once', async () => {
    await go(page, 'trade');
    await eventually(() => page.getAttribute('#open-feed-state', 'data-feed-state')).toBe('live');
    const before = streamRequests.length;
    const seenBefore = Number(await page.getAttribute('#open-feed-state', 'data-sequence'));
    expect(seenBefore).toBeGreaterThan(0);
    // Cut the live stream on the server, and keep new ones from getting through for now.
    await page.route('**/api/orders/stream', (route) => route.abort());
    expect(orderStreamSockets.size).toBeGreaterThan(0);
    for (const socket of orderStreamSockets) socket.destroy();
    await eventually(() => page.getAttribute('#open-feed-state', 'data-feed-state')).toBe('stale');
    expect(await page.getAttribute('#open-orders', 'class')).toContain('stale');
    expect(await page.getAttribute('#open-feed-state', 'title')).toContain('may be out of date');
    expect(await page.locator('#view-trade [data-feed-note]').textContent()).toContain('Not live');

    // Meanwhile an order is placed and modified elsewhere: the page cannot know yet.
    const { orderId: id, limit } = await placeElsewhere(23);
    await client.modifyOrder(id, { quantity: 24, limitPrice: limit - 1 });
    await new Promise((r) => setTimeout(r, 500));
    expect(await page.locator(`#open-orders tr[data-order="${id}"]`).count()).toBe(0);
    await shot(page, '06b-trade-order-stream-stale');

    await page.unroute('**/api/orders/stream');
    forgiveConsoleErrors(/ERR_FAILED|orders\/stream/);
    await eventually(() => page.getAttribute('#open-feed-state', 'data-feed-state')).toBe('live');
    const row = page.locator(`#open-orders tr[data-order="${id}"]`);
    await row.waitFor();
    expect(await page.getAttribute('#open-orders', 'class')).not.toContain('stale');
    // The missed placement and modification, applied in order: the row shows the modified order, once.
    await eventually(() => row.locator('[data-field="quantity"]').textContent()).toBe('24');
    expect(await page.locator(`#open-orders tr[data-order="${id}"]`).count()).toBe(1);
    expect(await page.locator('#view-trade [data-feed-note]').isHidden()).toBe(true);
    // Every reconnect resumed after the last event received before the cut, and the page now has every event since.
    const resumed = streamRequests.slice(before).map((r) => r.headers()['last-event-id']);
    expect(resumed.length).toBeGreaterThan(0);
    expect(new Set(resumed)).toEqual(new Set([String(seenBefore)]));
    const missed = await client.listOrderEvents({ afterSequence: seenBefore, limit: 100 });
    expect(missed.filter((e) => e.orderId === id).map((e) => e.kind)).toEqual(expect.arrayContaining(['NEW', 'STATUS']));
    const latest = missed.at(-1)?.sequence ?? 0;
    await eventually(async () => Number(await page.getAttribute('#open-feed-state', 'data-sequence'))).toBeGreaterThanOrEqual(latest);
    await client.cancelOrder(id);
    await row.waitFor({ state: 'detached' });
  });

  it('modifies a working order from the open-orders table: preview of the change, a confirmation, then the row changes when the stream brings it', async () => {
    await go(page, 'trade');
    const { orderId: id, limit } = await placeElsewhere(25);
    const row = page.locator(`#open-orders tr[data-order="${id}"]`);
    await row.waitFor();
    await row.locator('button[data-modify]').click();
    const panel = page.locator('#modify-panel');
    await panel.waitFor({ state: 'visible' });
    expect(await page.textContent('#modify-order-id')).toBe(id);
    expect(await row.getAttribute('class')).toContain('editing');
    expect(await page.inputValue('#modify-panel input[name="quantity"]')).toBe('25');
    expect(Number(await page.inputValue('#modify-panel input[name="price"]'))).toBe(limit);
    const sendButton = page.locator('#modify-send-button');
    expect(await sendButton.isDisabled()).toBe(true);

    // Nothing changed: nothing to preview.
    await page.click('#modify-preview-button');
    await eventually(() => page.textContent('#modify-message')).toContain('Change the quantity or the price first');
    const newLimit = Math.round((limit - 0.5) * 100) / 100;
    await page.fill('#modify-panel input[name="quantity"]', '30');
    await page.fill('#modify-panel input[name="price"]', String(newLimit));
    await page.click('#modify-preview-button');
    await eventually(() => page.textContent('#modify-risk-result')).toBe('all passed');
    const shown = (await page.textContent('#modify-preview')) ?? '';
    expect(shown).toContain(`BUY 25 AAPL LMT DAY (limit ${limit.toFixed(2)})`);
    expect(shown).toContain(`BUY 30 AAPL LMT DAY (limit ${newLimit.toFixed(2)})`);
    for (const text of ['maxOrderQuantity', 'maxOrdersPerMinute', 'TRANSMIT']) expect(shown).toContain(text);
    expect(await sendButton.isEnabled()).toBe(true);
    expect(await overflowing(page, '#modify-preview, #modify-preview .table-wrap')).toEqual([]);
    await shot(page, '06c-trade-modify-preview');

    // An edit discards the preview: only what was previewed can be sent.
    await page.fill('#modify-panel input[name="quantity"]', '31');
    expect(await sendButton.isDisabled()).toBe(true);
    await page.fill('#modify-panel input[name="quantity"]', '30');
    await page.click('#modify-preview-button');
    await eventually(() => sendButton.isEnabled()).toBe(true);

    // Confirm first; Back sends nothing.
    await sendButton.click();
    await page.locator('#modify-dialog').waitFor({ state: 'visible' });
    expect(await page.textContent('#modify-confirm-order')).toContain(`BUY 30 AAPL LMT DAY (limit ${newLimit.toFixed(2)})`);
    await shot(page, '06d-trade-modify-confirm');
    await page.click('#modify-dialog button[value="back"]');
    await page.locator('#modify-dialog').waitFor({ state: 'hidden' });
    expect(patchRequests).toEqual([]);
    await sendButton.click();
    await page.click('#modify-send');
    await eventually(() => page.textContent('#open-message')).toContain(`Order ${id} modified: BUY 30 AAPL LMT DAY`);
    await panel.waitFor({ state: 'hidden' });
    expect((await row.getAttribute('class')) ?? '').not.toContain('editing');
    await eventually(() => row.locator('[data-field="quantity"]').textContent()).toBe('30');
    expect(await row.locator('[data-field="price"]').textContent()).toBe(newLimit.toFixed(2));

    const sent = patchRequests[0];
    expect(sent?.url()).toBe(`${baseUrl}/api/orders/${id}`);
    const body = sent?.postDataJSON() as { quantity?: number; limitPrice?: number; previewId?: string };
    expect(body).toMatchObject({ quantity: 30, limitPrice: newLimit, previewId: expect.stringMatching(/\S/) });
    expect(sent?.headers()['idempotency-key']).toBe(`dashboard-${body.previewId ?? ''}`);
    const order = await client.getOrderStatus(id);
    expect(order.spec).toMatchObject({ quantity: 30, limitPrice: newLimit });
    expect((await client.queryAudit({ orderId: id, eventType: 'ORDER_MODIFY_REQUESTED' })).entries).toHaveLength(1);
    await shot(page, '06e-trade-modified');
    await client.cancelOrder(id);
    await row.waitFor({ state: 'detached' });
  });

  it('engages the kill switch after a confirmation, and a placed order is then refused', async () => {
    // Whatever happens here, the next test starts with the switch released.
    onTestFinished(async () => {
      if ((await client.killSwitch()).engaged) await client.setKillSwitch(false, 'dashboard test cleanup');
    });
    await page.click('#kill-button');
    await page.locator('#kill-dialog').waitFor({ state: 'visible' });
    await page.fill('#kill-reason', 'dashboard test');
    await shot(page, '09-kill-switch-confirm');
    // Cancelling the dialog changes nothing.
    await page.keyboard.press('Escape');
    await page.locator('#kill-dialog').waitFor({ state: 'hidden' });
    expect((await client.killSwitch()).engaged).toBe(false);

    await page.click('#kill-button');
    await page.fill('#kill-reason', 'dashboard test');
    await page.click('#kill-confirm');
    await eventually(() => page.textContent('#st-kill')).toContain('ENGAGED');
    expect(await client.killSwitch()).toMatchObject({ engaged: true, reason: 'dashboard test' });

    await go(page, 'trade');
    // Another quantity than the order placed earlier: the duplicate-order guard (5 s) must not be what refuses it.
    await fillFarLimit(page, 7);
    await page.click('#preview-button');
    // Preview is never blocked; it says what placing would do now.
    await eventually(() => page.textContent('#preview-gate')).toContain('BLOCK');
    await page.click('#place-button');
    await page.click('#place-send');
    await eventually(() => page.textContent('#place-message')).toContain('KILL_SWITCH_ENGAGED');
    // The refusal is this step's point.
    forgiveConsoleErrors(/status of 423 .*\/api\/orders\/place/);
    await shot(page, '10-kill-switch-refused');

    await page.click('#kill-button');
    await page.click('#kill-confirm');
    await eventually(() => page.textContent('#st-kill')).toContain('released');
  });

  it('a read-only key sees everything it may read, and trading and admin controls disabled, not hidden', async () => {
    // Something to see, and a Cancel button that must be disabled for this key.
    const limit = Math.round((await aaplBid()) * 0.95 * 100) / 100;
    const preview = await client.previewOrder({ symbol: 'AAPL', action: 'BUY', quantity: 5, orderType: 'LMT', limitPrice: limit });
    const placed = await client.placeOrder({ ...preview.spec, previewId: preview.previewId });

    const readContext = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const p = await newPage(readContext);
    const before = requests.length;
    await signIn(p, KEYS.read);
    expect(await p.textContent('#key-info')).toBe('Key scopes: read');
    // Sign-in asks GET /api/me; it no longer probes routes for 403s or previews an empty order.
    const signInRequests = requests.slice(before);
    expect(signInRequests).toContain(`${baseUrl}/api/me`);
    expect(signInRequests.filter((u) => u.includes('/api/orders/preview') || u.includes('/api/audit'))).toEqual([]);
    await go(p, 'account');
    await eventually(() => p.textContent('#account-cards')).toContain('Net liquidation');

    await go(p, 'trade');
    expect(await p.locator('#ticket-scope').isVisible()).toBe(true);
    expect(await p.locator('#preview-button').isDisabled()).toBe(true);
    expect(await p.locator('#place-button').isVisible()).toBe(true);
    expect(await p.locator('#place-button').isDisabled()).toBe(true);
    const cancel = p.locator(`#open-orders button[data-cancel="${placed.orderId}"]`);
    await cancel.waitFor();
    expect(await cancel.isDisabled()).toBe(true);
    expect(await cancel.getAttribute('title')).toContain('trade scope');
    expect(await p.locator(`#open-orders button[data-modify="${placed.orderId}"]`).isDisabled()).toBe(true);
    expect(await p.locator('#kill-button').isVisible()).toBe(true);
    expect(await p.locator('#kill-button').isDisabled()).toBe(true);
    await shot(p, '11-read-only-trade');

    await go(p, 'audit');
    expect(await p.locator('#audit-scope').isVisible()).toBe(true);
    expect(await p.locator('#verify-button').isDisabled()).toBe(true);
    await shot(p, '12-read-only-audit');
    await readContext.close();
    await client.cancelOrder(placed.orderId);
  });

  it('shows a position at a price precision a trader reads, in full at 1400 px', async () => {
    // A market order fills at once in the simulator: a position with an average cost of many decimals.
    const preview = await client.previewOrder({ symbol: 'AAPL', action: 'BUY', quantity: 3, orderType: 'MKT' });
    await client.placeOrder({ ...preview.spec, previewId: preview.previewId });
    await go(page, 'account');
    await eventually(() => page.textContent('#positions')).toContain('AAPL');
    const avgCost = await page.locator('#positions tbody tr td:nth-child(4)').first().textContent();
    expect(avgCost).toMatch(/^\d[\d,]*\.\d{2}$/);
    expect(await overflowing(page, '#positions .table-wrap, #pnl .table-wrap')).toEqual([]);
    await shot(page, '02b-account-position');
  });

  it('is readable at phone width: a short header, the positions table in full, nothing wider than the screen', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const p = await newPage(phone);
    await signIn(p, KEYS.admin);
    await go(p, 'account');
    await eventually(() => p.textContent('#positions')).toContain('AAPL');
    // The header and tabs leave the screen to the data: well under a fifth of its height.
    const header = await p.evaluate(() => (document.querySelector('header.top') as HTMLElement).offsetHeight + (document.getElementById('nav') as HTMLElement).offsetHeight);
    expect(header).toBeLessThan(844 / 5);
    // Nothing wider than the screen, and the positions fit without scrolling sideways.
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await overflowing(p, '#positions .table-wrap')).toEqual([]);
    for (const column of ['Symbol', 'Quantity', 'Avg cost', 'Price', 'Value', 'Unrealised']) expect(await p.locator('#positions thead').textContent()).toContain(column);
    await shot(p, '13-phone-account');
    await go(p, 'market');
    await eventually(() => p.textContent('#stream-state')).toBe('live');
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await overflowing(p, '#watchlist .table-wrap')).toEqual([]);
    await shot(p, '13b-phone-market');
    await go(p, 'trade');
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    // A quantity no other test uses: the duplicate-order guard (5 s) must not be what fails the risk checks here.
    await fillFarLimit(p, 3);
    await p.click('#preview-button');
    await eventually(() => p.textContent('#risk-result')).toBe('all passed');
    expect(await overflowing(p, '#preview, #preview .table-wrap')).toEqual([]);
    await shot(p, '14-phone-trade');

    // The open orders fit the phone, and a modification can be previewed and sent there.
    const { orderId: id, limit } = await placeElsewhere(26);
    const row = p.locator(`#open-orders tr[data-order="${id}"]`);
    await row.waitFor();
    expect(await overflowing(p, '#open-orders .table-wrap')).toEqual([]);
    expect(await row.locator('button[data-modify]').isVisible()).toBe(true);
    await row.locator('button[data-modify]').click();
    await p.fill('#modify-panel input[name="price"]', String(Math.round((limit - 0.25) * 100) / 100));
    await p.click('#modify-preview-button');
    await eventually(() => p.textContent('#modify-risk-result')).toBe('all passed');
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await overflowing(p, '#modify-preview, #modify-preview .table-wrap')).toEqual([]);
    await shot(p, '14b-phone-modify-preview');
    await p.click('#modify-send-button');
    await p.click('#modify-send');
    await eventually(() => p.textContent('#open-message')).toContain(`Order ${id} modified`);
    await eventually(() => row.locator('[data-field="price"]').textContent()).toBe((Math.round((limit - 0.25) * 100) / 100).toFixed(2));
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(p, '14c-phone-modified');
    await client.cancelOrder(id);
    await phone.close();
  });

  it('made no request outside the gateway and threw no error', () => {
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((u) => !u.startsWith(baseUrl) && !u.startsWith('data:'))).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
