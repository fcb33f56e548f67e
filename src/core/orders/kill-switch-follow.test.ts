/**
 * The kill switch is obeyed wherever it was engaged: a gateway cancels its
 * own working orders when the switch is engaged by another process on its
 * store (the CLI writing audit.db while the gateway did not answer; another
 * gateway on one PostgreSQL database), recording KILL_SWITCH_ENFORCED. An
 * account's own switch stops that account only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openAuditStore } from '../audit/index.js';
import { systemClock } from '../clock.js';
import { parseConfig } from '../config.js';
import type { GatewayClient } from '../client/interface.js';
import { KillSwitch } from '../kill-switch.js';
import { withContext } from '../logging.js';
import { createClient } from '../../gateway.js';
import { errorCode, quietLogger, startTestGateway, type TestGateway } from '../../testing/client-harness.js';
import { startTestPostgres, type TestPostgres } from '../../testing/postgres.js';

const eventually = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 10_000, interval: 50 });

async function restingBuy(client: GatewayClient): Promise<string> {
  const q = await client.getQuote({ symbol: 'AAPL' });
  const r = await client.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity: 5, orderType: 'LMT', limitPrice: Math.floor((q.bid as number) * 0.95), timeInForce: 'GTC' });
  expect(r.status).toMatch(/SUBMITTED|ACCEPTED/);
  return r.orderId;
}

describe('one gateway on SQLite', () => {
  let gw: TestGateway;
  afterEach(async () => gw?.cleanup());

  it('cancels its working orders when the CLI writes the switch into audit.db behind its back', async () => {
    gw = await startTestGateway();
    const orderId = await restingBuy(gw.client);
    const cli = openAuditStore({ dataDir: gw.dataDir });
    await withContext({ interface: 'cli' }, () => new KillSwitch(cli, systemClock).set(true, 'gateway not answering', null));
    await cli.close();
    await eventually(async () => (await gw.client.getOrderStatus(orderId)).status).toBe('CANCELLED');
    // The follower records its run once its cancels are done: the order may show CANCELLED a moment before.
    await eventually(async () => (await gw.client.queryAudit({ eventType: 'KILL_SWITCH_ENFORCED' })).entries.length).toBe(1);
    const enforced = (await gw.client.queryAudit({ eventType: 'KILL_SWITCH_ENFORCED' })).entries;
    expect(enforced[0]?.eventData).toMatchObject({ account: null, engagedBy: 'cli', reason: 'gateway not answering', cancelled: [orderId], failed: [] });
    expect(await errorCode(restingBuy(gw.client))).toBe('KILL_SWITCH_ENGAGED');
  });

  it('the gateway that engages cancels its orders once: its own follower does not cancel them again', async () => {
    gw = await startTestGateway();
    const orderId = await restingBuy(gw.client);
    const engaged = await gw.client.setKillSwitch(true, 'stop here');
    expect(engaged.cancelled).toEqual([orderId]);
    // Well past the follower's 250 ms look: it woke on the switch's write and found the engagement claimed.
    await new Promise((r) => setTimeout(r, 1000));
    expect((await gw.client.queryAudit({ eventType: 'KILL_SWITCH_ENFORCED' })).entries).toEqual([]);
    expect((await gw.client.queryAudit({ eventType: 'ORDER_CANCEL_REQUESTED' })).entries.map((e) => e.orderId)).toEqual([orderId]);
  });

  it('leaves working orders alone when the switch was engaged with cancelWorking false', async () => {
    gw = await startTestGateway();
    const orderId = await restingBuy(gw.client);
    const cli = openAuditStore({ dataDir: gw.dataDir });
    await new KillSwitch(cli, systemClock).set(true, 'stop new orders only', null, { cancelWorking: false });
    await cli.close();
    await eventually(async () => errorCode(restingBuy(gw.client))).toBe('KILL_SWITCH_ENGAGED');
    // The follower looks every 250 ms: well past that, the order still works and nothing was enforced.
    await new Promise((r) => setTimeout(r, 1000));
    expect((await gw.client.getOrderStatus(orderId)).status).not.toBe('CANCELLED');
    expect((await gw.client.queryAudit({ eventType: 'KILL_SWITCH_ENFORCED' })).entries).toEqual([]);
  });

  it("an account's switch stops that account's orders and cancels its working ones; another account's does not touch it", async () => {
    gw = await startTestGateway({ SIM_ACCOUNT_ID: 'DU3333333' });
    const working = await restingBuy(gw.client);
    const other = await gw.client.setKillSwitch(true, 'other desk', { account: 'DU4444444' });
    expect(other).toMatchObject({ engaged: true, account: 'DU4444444', cancelled: [] });
    expect((await gw.client.killSwitch()).engaged).toBe(false);
    const stillOk = await restingBuy(gw.client);

    const own = await gw.client.setKillSwitch(true, 'strategy 3 misbehaves', { account: 'DU3333333' });
    expect(own).toMatchObject({ engaged: true, account: 'DU3333333', cancelWorking: true });
    expect([...own.cancelled].sort()).toEqual([working, stillOk].sort());
    expect(own.globalCancelSent).toBeUndefined();
    const status = await gw.client.killSwitch();
    expect(status).toMatchObject({ engaged: false, accounts: [{ account: 'DU3333333', engaged: true, reason: 'strategy 3 misbehaves' }] });
    expect((await gw.client.killSwitch({ account: 'DU4444444' })).accounts).toMatchObject([{ account: 'DU4444444', reason: 'other desk' }]);
    const refused = await restingBuy(gw.client).catch((err: unknown) => err);
    expect(refused).toMatchObject({ code: 'KILL_SWITCH_ENGAGED', message: expect.stringContaining('account DU3333333: strategy 3 misbehaves') });

    await gw.client.setKillSwitch(false, 'fixed', { account: 'DU3333333' });
    expect((await gw.client.killSwitch()).accounts).toEqual([]);
    await restingBuy(gw.client);
  });

  it('refuses an account id that is empty or too long', async () => {
    gw = await startTestGateway();
    expect(await errorCode(gw.client.setKillSwitch(true, 'x', { account: ' ' }))).toBe('VALIDATION_ERROR');
    expect(await errorCode(gw.client.killSwitch({ account: 'U'.repeat(65) }))).toBe('VALIDATION_ERROR');
  });
});

describe('two gateways on one PostgreSQL database', () => {
  let server: TestPostgres;
  const clients: GatewayClient[] = [];
  const dirs: string[] = [];
  beforeAll(async () => {
    server = await startTestPostgres();
  }, 120_000);
  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await server?.destroy();
  });

  async function gateway(databaseUrl: string, account: string): Promise<GatewayClient> {
    const dataDir = mkdtempSync(join(tmpdir(), 'ibkr-ks-follow-'));
    dirs.push(dataDir);
    const config = parseConfig({
      DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      AUDIT_HMAC_KEY: 'desk-shared-audit-key-0123456789abcdef',
      SIM_ACCOUNT_ID: account,
      SIM_SESSION: 'always-open',
      ORDERS_ENABLED: 'true',
      DUPLICATE_ORDER_WINDOW_SECONDS: '0',
      LOG_LEVEL: 'silent',
    });
    const client = await createClient({ config, logger: quietLogger() });
    clients.push(client);
    return client;
  }

  it("the desk switch engaged on one gateway cancels the other gateway's working orders", async () => {
    const url = await server.createDatabase('ks_follow_desk');
    const a = await gateway(url, 'DU1111111');
    const b = await gateway(url, 'DU2222222');
    const onB = await restingBuy(b);
    const engaged = await a.setKillSwitch(true, 'desk stop');
    expect(engaged.cancelled).toEqual([]);
    await eventually(async () => (await b.getOrderStatus(onB)).status).toBe('CANCELLED');
    await eventually(async () => (await b.queryAudit({ eventType: 'KILL_SWITCH_ENFORCED' })).entries.length).toBe(1);
    const enforced = (await b.queryAudit({ eventType: 'KILL_SWITCH_ENFORCED' })).entries;
    expect(enforced[0]?.eventData).toMatchObject({ account: null, reason: 'desk stop', cancelled: [onB], identities: ['sim:DU2222222'] });
    expect(await errorCode(restingBuy(b))).toBe('KILL_SWITCH_ENGAGED');
  });

  it("an account's switch engaged on one gateway stops that account on the gateway that trades it, and no other", async () => {
    const url = await server.createDatabase('ks_follow_account');
    const a = await gateway(url, 'DU1111111');
    const b = await gateway(url, 'DU2222222');
    const onB = await restingBuy(b);
    await a.setKillSwitch(true, 'account 2 only', { account: 'DU2222222' });
    await eventually(async () => (await b.getOrderStatus(onB)).status).toBe('CANCELLED');
    expect(await errorCode(restingBuy(b))).toBe('KILL_SWITCH_ENGAGED');
    // Gateway A's own account is not stopped.
    const preview = await a.previewOrder({ symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT' });
    expect(preview.gate).toMatchObject({ outcome: 'TRANSMIT', code: null });
    expect((await a.killSwitch()).engaged).toBe(false);
  });
});
