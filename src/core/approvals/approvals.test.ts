/**
 * Orders that wait for a person, on the real simulated broker and a real
 * store, with a manual clock (the market moves and approvals expire only when
 * the test moves time). Callers are told apart by their API key names, as the
 * REST API sets them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayClient } from '../client/interface.js';
import { withContext } from '../logging.js';
import type { GatewayError } from '../errors.js';
import { startTestGateway, type TestGateway } from '../../testing/client-harness.js';

const KEYS = 'bot=botkey123456:read+trade+agent,alice=alicekey1234:approve,bob=bobkey123456:read+trade+approve';
const as = <T>(key: string, fn: () => Promise<T>): Promise<T> => withContext({ interface: 'rest', apiKeyName: key }, fn);
const order = { symbol: 'AAPL', action: 'BUY', quantity: 10, orderType: 'MKT' } as const;

let gw: TestGateway | null = null;
afterEach(async () => {
  await gw?.cleanup();
  gw = null;
});

/** A live-mode gateway on the simulator (a live account id, the override file present) holding agent orders. */
async function liveGateway(extra: Record<string, string> = {}): Promise<TestGateway> {
  const started = await startTestGateway({ API_KEYS: KEYS, TRADING_MODE: 'live', SIM_ACCOUNT_ID: 'U7654321', ...extra });
  return started;
}

async function withOverride(extra: Record<string, string> = {}): Promise<TestGateway> {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'approvals-override-'));
  const override = join(dir, 'live-ok');
  writeFileSync(override, 'yes');
  return liveGateway({ LIVE_TRADING_OVERRIDE_FILE: override, ...extra });
}

const brokerOrders = async (client: GatewayClient) => (await client.broker.getOpenOrders()).length + (await client.broker.getExecutions()).length;

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'no error';
  } catch (err) {
    return (err as GatewayError).code;
  }
};

describe('an agent order in live mode', () => {
  it('waits as PENDING_APPROVAL with nothing at the broker, is approved by another key and transmitted once', async () => {
    gw = await withOverride();
    const { client } = gw;
    expect(client.config.approvals.required).toBe('agent');
    const held = await as('bot', () => client.placeOrder(order));
    expect(held.status).toBe('PENDING_APPROVAL');
    expect(held.orderId).toMatch(/^APR-/);
    expect(held.message).toMatch(/approve scope/);
    expect(await brokerOrders(client)).toBe(0);

    const [pending] = await as('alice', () => client.listApprovals());
    expect(pending).toMatchObject({ approvalId: held.orderId, state: 'PENDING', requestedBy: 'key:bot', reasons: [expect.stringMatching(/agent/)] });

    const decision = await as('alice', () => client.approveOrder(held.orderId, { specHash: pending?.specHash, reason: 'looks fine' }));
    expect(decision.idempotentReplay).toBe(false);
    expect(decision.approval).toMatchObject({ state: 'APPROVED', decidedBy: 'key:alice', decisionReason: 'looks fine' });
    const sent = decision.order;
    expect(sent?.orderId).toMatch(/^\d+$/);
    expect(decision.approval.orderId).toBe(sent?.orderId);
    expect(await client.getOrderStatus(held.orderId)).toMatchObject({ status: 'APPROVED', statusMessage: expect.stringContaining(sent?.orderId ?? '?') });

    // A replay of the approval answers with the same decision and sends nothing more.
    const replay = await as('alice', () => client.approveOrder(held.orderId));
    expect(replay.idempotentReplay).toBe(true);
    expect(replay.order?.orderId).toBe(sent?.orderId);
    await gw.advance(2000);
    const submitted = (await client.queryAudit({ eventType: 'ORDER_SUBMITTED', limit: 100 })).entries;
    expect(submitted.map((e) => e.orderId)).toEqual([sent?.orderId]);
    expect(submitted[0]?.eventData.approvalId).toBe(held.orderId);

    const steps = (await client.queryAudit({ orderId: held.orderId, limit: 100 })).entries.map((e) => e.eventType);
    expect(steps).toEqual(['APPROVAL_PENDING', 'APPROVAL_REASSESSED', 'APPROVAL_APPROVED']);
  });

  it('cannot be approved (or rejected) by the key that placed it: four eyes', async () => {
    gw = await withOverride({ APPROVAL_REQUIRED: 'all' });
    const { client } = gw;
    const held = await as('bob', () => client.placeOrder(order));
    expect(await codeOf(as('bob', () => client.approveOrder(held.orderId)))).toBe('APPROVAL_OWN_ORDER');
    expect(await codeOf(as('bob', () => client.rejectOrder(held.orderId, { reason: 'mine' })))).toBe('APPROVAL_OWN_ORDER');
    expect((await client.getOrderStatus(held.orderId)).status).toBe('PENDING_APPROVAL');
  });

  it('fails approval while the price has moved beyond the tolerance, and stays pending', async () => {
    gw = await withOverride({ APPROVAL_PRICE_TOLERANCE_PERCENT: '0.01', APPROVAL_EXPIRY_SECONDS: '86400' });
    const { client } = gw;
    const held = await as('bot', () => client.placeOrder(order));
    const [before] = await client.listApprovals();
    // Let the simulated market move until it is beyond 0.01 % of the price the order was assessed at.
    for (let i = 0; i < 120; i++) {
      const q = await client.getQuote({ symbol: 'AAPL' });
      const ref = before?.referencePrice ?? 0;
      if (Math.abs((q.ask ?? q.last ?? ref) - ref) / ref > 0.0005) break;
      await gw.advance(60_000);
    }
    const err = await as('alice', () => client.approveOrder(held.orderId)).catch((e: unknown) => e as GatewayError);
    expect(err).toMatchObject({ code: 'APPROVAL_REASSESSMENT_FAILED', details: { rejected: false } });
    expect((err as GatewayError).message).toMatch(/price moved/);
    expect((await client.getOrderStatus(held.orderId)).status).toBe('PENDING_APPROVAL');
    expect(await brokerOrders(client)).toBe(0);
    expect((await client.queryAudit({ orderId: held.orderId, eventType: 'APPROVAL_REASSESSED' })).entries[0]?.eventData).toMatchObject({ holds: [expect.stringMatching(/price moved/)] });
  });

  it('is rejected with APPROVAL_EXPIRED when nobody decides in time, and a restart keeps pending approvals and their expiry', async () => {
    gw = await withOverride({ APPROVAL_EXPIRY_SECONDS: '300' });
    const held = await as('bot', () => gw!.client.placeOrder(order));
    await gw.advance(120_000);
    await gw.client.close();
    const restarted = await gw.restart();
    const [kept] = await restarted.listApprovals();
    expect(kept).toMatchObject({ approvalId: held.orderId, state: 'PENDING', requestedBy: 'key:bot' });
    expect(Date.parse(kept?.expiresAt ?? '')).toBe(Date.parse(held.placedAt) + 300_000);

    await gw.advance(181_000);
    expect(await restarted.listApprovals()).toEqual([]);
    const expired = await restarted.getApproval(held.orderId);
    expect(expired).toMatchObject({ state: 'EXPIRED', decidedBy: 'system', decisionReason: expect.stringMatching(/^APPROVAL_EXPIRED/) });
    expect((await restarted.getOrderStatus(held.orderId)).status).toBe('REJECTED');
    expect(await codeOf(as('alice', () => restarted.approveOrder(held.orderId)))).toBe('APPROVAL_EXPIRED');
  });

  it('the kill switch rejects every pending approval', async () => {
    gw = await withOverride();
    const { client } = gw;
    const a = await as('bot', () => client.placeOrder(order));
    const b = await as('bot', () => client.placeOrder({ ...order, symbol: 'MSFT' }));
    const change = await client.setKillSwitch(true, 'stop everything');
    expect(new Set(change.approvalsRejected)).toEqual(new Set([a.orderId, b.orderId]));
    for (const id of [a.orderId, b.orderId]) {
      expect(await client.getApproval(id)).toMatchObject({ state: 'REJECTED', decisionReason: expect.stringMatching(/kill switch/) });
    }
    expect(await codeOf(as('alice', () => client.approveOrder(a.orderId)))).toBe('APPROVAL_DECIDED');
    expect(await brokerOrders(client)).toBe(0);
  });

  it('a rejection with a reason sends nothing, and a withdrawn order is cancelled', async () => {
    gw = await withOverride();
    const { client } = gw;
    const a = await as('bot', () => client.placeOrder(order));
    const rejected = await as('alice', () => client.rejectOrder(a.orderId, { reason: 'not today' }));
    expect(rejected.approval).toMatchObject({ state: 'REJECTED', decidedBy: 'key:alice', decisionReason: 'not today' });
    expect((await as('alice', () => client.rejectOrder(a.orderId, { reason: 'again' }))).idempotentReplay).toBe(true);
    const b = await as('bot', () => client.placeOrder({ ...order, quantity: 11 }));
    expect((await as('bot', () => client.cancelOrder(b.orderId))).status).toBe('CANCELLED');
    expect((await client.getApproval(b.orderId)).state).toBe('CANCELLED');
    expect(await brokerOrders(client)).toBe(0);
  });
});

describe('what was approved is what is sent', () => {
  it('a risk limit that fails at approval rejects the held order (here: a restart with a tighter limit)', async () => {
    gw = await withOverride();
    const held = await as('bot', () => gw!.client.placeOrder(order));
    await gw.client.close();
    const tighter = await gw.restart({ MAX_ORDER_QUANTITY: '5' });
    const err = await as('alice', () => tighter.approveOrder(held.orderId)).catch((e: unknown) => e as GatewayError);
    expect(err).toMatchObject({ code: 'APPROVAL_REASSESSMENT_FAILED', details: { rejected: true } });
    expect(await tighter.getApproval(held.orderId)).toMatchObject({ state: 'REJECTED', decidedBy: 'system', decisionReason: expect.stringMatching(/maxOrderQuantity/) });
    expect(await brokerOrders(tighter)).toBe(0);
  });

  it('a held order cannot be modified, and an agent cannot change a working order it had approved', async () => {
    gw = await withOverride();
    const { client } = gw;
    const held = await as('bot', () => client.placeOrder(order));
    expect(await codeOf(as('bot', () => client.modifyOrder(held.orderId, { quantity: 20 })))).toBe('ORDER_NOT_MODIFIABLE');

    const quote = await client.getQuote({ symbol: 'AAPL' });
    const limitPrice = Math.floor((quote.bid ?? 100) * 0.95);
    const resting = await as('bot', () => client.placeOrder({ ...order, orderType: 'LMT', limitPrice, timeInForce: 'GTC' }));
    const sent = await as('alice', () => client.approveOrder(resting.orderId));
    const orderId = sent.order?.orderId ?? '';
    expect((await client.getOrderStatus(orderId)).status).toBe('ACCEPTED');
    expect(await codeOf(as('bot', () => client.modifyOrder(orderId, { quantity: 500 })))).toBe('APPROVAL_REQUIRED');
    expect((await client.getOrderStatus(orderId)).spec.quantity).toBe(10);
  });
});

describe('the approval policy', () => {
  it('lets a non-agent key through in live mode, and holds nothing in paper mode by default', async () => {
    gw = await withOverride();
    const direct = await as('bob', () => gw!.client.placeOrder(order));
    expect(direct.status).not.toBe('PENDING_APPROVAL');
    await gw.cleanup();
    gw = await startTestGateway({ API_KEYS: KEYS });
    expect((await as('bot', () => gw!.client.placeOrder(order))).status).not.toBe('PENDING_APPROVAL');
  });

  it('APPROVAL_FILE holds orders above a notional or on listed symbols, and `never` lets a key through', async () => {
    const dir = (await import('node:fs')).mkdtempSync(join((await import('node:os')).tmpdir(), 'approval-file-'));
    const file = join(dir, 'approvals.json');
    writeFileSync(file, JSON.stringify({ notionalAbove: 50000, symbols: ['TSLA'], keys: { bob: 'never' } }));
    gw = await startTestGateway({ API_KEYS: KEYS.replace('bot=botkey123456:read+trade+agent', 'bot=botkey123456:read+trade'), APPROVAL_FILE: file });
    const { client } = gw;
    expect((await as('bot', () => client.placeOrder(order))).status).not.toBe('PENDING_APPROVAL');
    const big = await as('bot', () => client.placeOrder({ ...order, quantity: 1000 }));
    expect(big.status).toBe('PENDING_APPROVAL');
    expect((await client.getApproval(big.orderId)).reasons).toEqual([expect.stringMatching(/notional .* above 50000/)]);
    expect((await as('bot', () => client.placeOrder({ ...order, symbol: 'TSLA' }))).status).toBe('PENDING_APPROVAL');
    expect((await as('bob', () => client.placeOrder({ ...order, symbol: 'TSLA', quantity: 1000 }))).status).not.toBe('PENDING_APPROVAL');
  });
});
