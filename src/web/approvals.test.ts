/**
 * The dashboard's Approvals tab in headless Chromium against a real gateway in
 * live mode on the simulator: an agent key's order waits; a person signed in
 * with an approve key sees it (order, requester, why it waits, risk checks,
 * the market now), rejects one with a reason and approves another, which is
 * then sent to the broker once. Screenshots go to test-artifacts/screenshots/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApiServer } from '../api/index.js';
import { createClient } from '../gateway.js';
import { parseApiKeys } from '../core/config.js';
import type { GatewayClient } from '../core/client/interface.js';
import type * as Core from '../core/models.js';
import { withContext } from '../core/logging.js';
import type * as App from './app/types.js';
import { registerDashboard } from './index.js';

type Fits<A extends B, B> = [A, B];
export type _ApprovalShapesFit = [Fits<Core.Approval, App.Approval>, Fits<Core.ApprovalDecision, App.ApprovalDecision>];

const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS = join(ROOT, 'test-artifacts', 'screenshots');
const API_KEYS = 'bot=dash-agent-key-1:read+trade+agent,alice=dash-approver-1:approve,viewer=dash-viewer-key-1:read';

let dataDir: string;
let client: GatewayClient;
let server: FastifyInstance;
let baseUrl: string;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const consoleErrors: string[] = [];

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });
const eventually = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 20_000, interval: 100 });
const asBot = <T>(fn: () => Promise<T>): Promise<T> => withContext({ interface: 'mcp', apiKeyName: 'bot' }, fn);

async function signIn(key: string): Promise<void> {
  // Forget the tab's key and load the page afresh: going to the same URL and hash would not reload it.
  if (page.url().startsWith(baseUrl)) await page.evaluate(() => sessionStorage.clear());
  await page.goto('about:blank');
  await page.goto(`${baseUrl}/#approvals`);
  await page.locator('#signin-key:focus').waitFor();
  await page.keyboard.type(key);
  await page.keyboard.press('Enter');
  await page.locator('#view-approvals').waitFor({ state: 'visible' });
}

describe.skipIf(!existsSync(CHROMIUM))('dashboard Approvals tab in headless Chromium', () => {
  beforeAll(async () => {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'src', 'web', 'tsconfig.json')], { stdio: 'inherit' });
    mkdirSync(SHOTS, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'ibkr-dashboard-approvals-'));
    const override = join(dataDir, 'live-ok');
    writeFileSync(override, 'yes');
    client = await createClient({
      env: { DATA_DIR: dataDir, SIM_SESSION: 'always-open', ORDERS_ENABLED: 'true', LOG_LEVEL: 'silent', TRADING_MODE: 'live', SIM_ACCOUNT_ID: 'U5678901', LIVE_TRADING_OVERRIDE_FILE: override, API_KEYS },
    });
    const apiKeys = parseApiKeys(API_KEYS);
    if (apiKeys === undefined) throw new Error('test keys do not parse');
    server = await buildApiServer(client, { apiKeys });
    await registerDashboard(server);
    await server.listen({ host: '127.0.0.1', port: 0 });
    baseUrl = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`${m.text()} (${m.location().url})`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    server?.server.closeAllConnections();
    await server?.close();
    await client?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('an approver rejects one held order with a reason and approves another, which is sent once', async () => {
    const first = await asBot(() => client.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity: 7, orderType: 'MKT' }));
    const second = await asBot(() => client.placeOrder({ symbol: 'MSFT', action: 'BUY', quantity: 4, orderType: 'MKT' }));
    expect([first.status, second.status]).toEqual(['PENDING_APPROVAL', 'PENDING_APPROVAL']);

    await signIn('dash-approver-1');
    const card = (id: string) => page.locator(`[data-approval="${id}"]`);
    await card(first.orderId).waitFor();
    await card(second.orderId).waitFor();
    const text = await card(first.orderId).innerText();
    expect(text).toContain('BUY 7 AAPL MKT');
    expect(text).toContain('key:bot via mcp');
    expect(text).toMatch(/APPROVAL_REQUIRED=agent/);
    expect(text).toMatch(/maxOrderNotional/);
    expect(text).toMatch(/bid [\d,.]+ \/ ask/);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(SHOTS, 'approvals-pending.png'), fullPage: true });

    // Reject needs a reason: the page says so and sends nothing.
    await card(second.orderId).locator('button[data-reject]').click();
    await eventually(() => card(second.orderId).locator('.message').innerText()).toMatch(/Give a reason/);
    await card(second.orderId).locator('input[name="reason"]').fill('not this week');
    await card(second.orderId).locator('button[data-reject]').click();
    await eventually(() => card(second.orderId).locator('.message').innerText()).toMatch(/Rejected: not this week/);

    await card(first.orderId).locator('input[name="reason"]').fill('checked the size');
    await card(first.orderId).locator('button[data-approve]').click();
    await eventually(() => card(first.orderId).locator('.message').innerText()).toMatch(/Approved: sent as order \d+/);

    const approval = await client.getApproval(first.orderId);
    expect(approval).toMatchObject({ state: 'APPROVED', decidedBy: 'key:alice', decisionReason: 'checked the size' });
    expect((await client.queryAudit({ eventType: 'ORDER_SUBMITTED' })).entries.map((e) => e.orderId)).toEqual([approval.orderId]);
    expect((await client.getApproval(second.orderId)).state).toBe('REJECTED');

    // The list empties and the decided table shows both.
    await eventually(() => page.locator('#approvals-list').innerText()).toMatch(/No order is waiting/);
    await eventually(() => page.locator('#approvals-decided').innerText()).toMatch(/APPROVED[\s\S]*key:alice|key:alice[\s\S]*APPROVED/);
    await page.screenshot({ path: join(SHOTS, 'approvals-decided.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  it('follows the order stream rather than polling: a held order appears while the tab is open, and nothing is fetched while nothing happens', async () => {
    await signIn('dash-approver-1');
    await page.locator('#approvals-feed-state[data-feed-state="live"]').waitFor();
    const listReads: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/approvals?state=pending')) listReads.push(r.url());
    });
    const held = await asBot(() => client.placeOrder({ symbol: 'NVDA', action: 'BUY', quantity: 2, orderType: 'MKT' }));
    await page.locator(`[data-approval="${held.orderId}"]`).waitFor();
    const afterEvent = listReads.length;
    expect(afterEvent).toBeGreaterThanOrEqual(1);
    // The old page polled every 5 s: past that, with no order event, no list was read again.
    await page.waitForTimeout(6500);
    expect(listReads.length).toBe(afterEvent);
    // Its rejection (an order event too) takes it off the list.
    await withContext({ interface: 'rest', apiKeyName: 'alice' }, () => client.rejectOrder(held.orderId, { reason: 'not now' }));
    await eventually(() => page.locator(`[data-approval="${held.orderId}"]`).count()).toBe(0);
  });

  it('a reason being typed on one card survives another approval arriving and leaving', async () => {
    await signIn('dash-approver-1');
    const typing = await asBot(() => client.placeOrder({ symbol: 'AMD', action: 'BUY', quantity: 1, orderType: 'MKT' }));
    const reason = page.locator(`[data-approval="${typing.orderId}"] input[name="reason"]`);
    await reason.fill('half typed');
    const other = await asBot(() => client.placeOrder({ symbol: 'INTC', action: 'BUY', quantity: 1, orderType: 'MKT' }));
    await page.locator(`[data-approval="${other.orderId}"]`).waitFor();
    await withContext({ interface: 'rest', apiKeyName: 'alice' }, () => client.rejectOrder(other.orderId, { reason: 'not now' }));
    await eventually(() => page.locator(`[data-approval="${other.orderId}"]`).count()).toBe(0);
    expect(await reason.inputValue()).toBe('half typed');
    await withContext({ interface: 'rest', apiKeyName: 'alice' }, () => client.rejectOrder(typing.orderId, { reason: 'done' }));
    await eventually(() => page.locator(`[data-approval="${typing.orderId}"]`).count()).toBe(0);
  });

  it('a read-only key sees the held orders but cannot decide them', async () => {
    const held = await asBot(() => client.placeOrder({ symbol: 'AAPL', action: 'SELL', quantity: 3, orderType: 'MKT' }));
    await signIn('dash-viewer-key-1');
    const card = page.locator(`[data-approval="${held.orderId}"]`);
    await card.waitFor();
    expect(await card.locator('button[data-approve]').isDisabled()).toBe(true);
    expect(await card.locator('button[data-reject]').isDisabled()).toBe(true);
    expect(await card.locator('button[data-approve]').getAttribute('title')).toMatch(/approve scope/);
  });
});
