/**
 * The promises of the order path: nothing is sent that is not first in the
 * audit log; a retry never places twice; risk limits, the kill switch and the
 * preview binding stop what they must, and say why.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startTestGateway, type TestGateway } from '../../testing/client-harness.js';
import { openAuditStore } from '../audit/index.js';
import { handOver, type RequestContext } from '../logging.js';

let gw: TestGateway;
afterEach(async () => gw?.cleanup());

const mkt = { symbol: 'AAPL', action: 'BUY', quantity: 10, orderType: 'MKT' } as const;

describe('the audit row comes before the order', () => {
  it('when the audit log cannot be written, nothing is transmitted and the caller gets AUDIT_UNAVAILABLE', async () => {
    gw = await startTestGateway();
    // A real SQLite failure: a second connection adds a trigger that refuses new order versions.
    const db = new Database(join(gw.dataDir, 'audit.db'));
    db.exec(`CREATE TRIGGER fail_orders BEFORE INSERT ON order_history BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END`);
    await expect(gw.client.placeOrder({ ...mkt, clientOrderId: 'audit-1' })).rejects.toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
    await gw.advance(1000);
    expect(await gw.client.broker.getOpenOrders()).toEqual([]);
    expect(await gw.client.broker.getExecutions()).toEqual([]);

    // The key was given back: once the log works again, the same request places exactly one order.
    db.exec('DROP TRIGGER fail_orders');
    db.close();
    const r = await gw.client.placeOrder({ ...mkt, clientOrderId: 'audit-1' });
    await gw.advance(1000);
    expect((await gw.client.getOrderStatus(r.orderId)).status).toBe('FILLED');
    expect(new Set((await gw.client.broker.getExecutions()).map((f) => f.orderId))).toEqual(new Set([r.orderId]));
  });

  it('every row of an order carries the correlation id of the request that placed it, and the chain verifies', async () => {
    gw = await startTestGateway();
    const r = await gw.client.placeOrder(mkt);
    const rows = (await gw.client.queryAudit({ orderId: r.orderId })).entries;
    expect(rows[0]).toMatchObject({ eventType: 'ORDER_SUBMITTED', correlationId: r.correlationId, userContext: { interface: 'library' } });
    expect(rows[0]?.configSnapshot).toMatchObject({ tradingMode: 'paper', ordersEnabled: true, accountKind: 'paper' });
    expect((await gw.client.verifyAudit()).ok).toBe(true);
  });
});

describe('idempotency', () => {
  it('the same Idempotency-Key and request returns the first result and places nothing more', async () => {
    gw = await startTestGateway();
    const first = await gw.client.placeOrder(mkt, { idempotencyKey: 'k-1' });
    const again = await gw.client.placeOrder(mkt, { idempotencyKey: 'k-1' });
    expect(again).toMatchObject({ orderId: first.orderId, idempotentReplay: true });
    expect(first.idempotentReplay).toBe(false);
    await gw.advance(1000);
    expect(new Set((await gw.client.broker.getExecutions()).map((f) => f.orderId)).size).toBe(1);
  });

  it('the same key with a different request is a conflict', async () => {
    gw = await startTestGateway();
    await gw.client.placeOrder(mkt, { idempotencyKey: 'k-2' });
    await expect(gw.client.placeOrder({ ...mkt, quantity: 11 }, { idempotencyKey: 'k-2' })).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT', status: 409 });
  });

  it('ten concurrent requests with one key place one order', async () => {
    gw = await startTestGateway();
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => gw.client.placeOrder(mkt, { idempotencyKey: 'k-3' })));
    const ok = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.orderId] : []));
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { code: string }).code] : []));
    expect(new Set(ok).size).toBe(1);
    expect(refused.every((c) => c === 'IDEMPOTENCY_IN_PROGRESS')).toBe(true);
    await gw.advance(1000);
    expect(new Set((await gw.client.broker.getExecutions()).map((f) => f.orderId)).size).toBe(1);
  });

  it('a clientOrderId is unique per account: a replay returns the first order', async () => {
    gw = await startTestGateway();
    const a = await gw.client.placeOrder({ ...mkt, clientOrderId: 'strategy-7' });
    const b = await gw.client.placeOrder({ ...mkt, clientOrderId: 'strategy-7' });
    expect(b).toMatchObject({ orderId: a.orderId, idempotentReplay: true });
    await expect(gw.client.placeOrder({ ...mkt, quantity: 5, clientOrderId: 'strategy-7' })).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
  });
});

describe('risk limits', () => {
  it('refuse an order over a limit, naming each failed check, record RISK_BLOCKED and send nothing', async () => {
    gw = await startTestGateway({ MAX_ORDER_QUANTITY: '50' });
    const err = await gw.client.placeOrder({ ...mkt, quantity: 51 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'RISK_LIMIT_EXCEEDED', status: 422 });
    const failed = (err as { details: { failedChecks: { name: string; value: unknown; limit: unknown }[] } }).details.failedChecks;
    expect(failed).toEqual([expect.objectContaining({ name: 'maxOrderQuantity', value: 51, limit: 50 })]);
    expect((await gw.client.queryAudit({ eventType: 'RISK_BLOCKED' })).entries).toHaveLength(1);
    expect(await gw.client.broker.getExecutions()).toEqual([]);
    // At the bound it passes.
    await expect(gw.client.placeOrder({ ...mkt, quantity: 50 })).resolves.toMatchObject({ orderId: expect.any(String) });
  });

  it('preview reports every check with value, limit and pass/fail', async () => {
    gw = await startTestGateway({ MAX_ORDER_QUANTITY: '50' });
    const p = await gw.client.previewOrder({ ...mkt, quantity: 60 });
    expect(p.riskPassed).toBe(false);
    expect(p.riskChecks.length).toBeGreaterThanOrEqual(10);
    expect(p.riskChecks.find((c) => c.name === 'maxOrderQuantity')).toMatchObject({ passed: false, value: 60, limit: 50 });
    expect(p.gate).toMatchObject({ outcome: 'TRANSMIT' });
  });

  it('reduce-only lets a sell of a long position pass and refuses a buy', async () => {
    gw = await startTestGateway();
    await gw.client.placeOrder({ ...mkt, quantity: 20 });
    await gw.advance(1000);
    await gw.client.close();
    const client = await gw.restart({ REDUCE_ONLY: 'true' });
    await expect(client.placeOrder({ ...mkt, quantity: 5 })).rejects.toMatchObject({ code: 'RISK_LIMIT_EXCEEDED' });
    await expect(client.placeOrder({ ...mkt, action: 'SELL', quantity: 5 })).resolves.toMatchObject({ status: expect.any(String) });
    await expect(client.placeOrder({ ...mkt, action: 'SELL', quantity: 30 })).rejects.toMatchObject({ code: 'RISK_LIMIT_EXCEEDED' });
  });
});

describe('kill switch', () => {
  it('blocks new orders with 423, cancels every working order, and survives a restart', async () => {
    gw = await startTestGateway();
    const q = await gw.client.getQuote({ symbol: 'AAPL' });
    const resting = await gw.client.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity: 5, orderType: 'LMT', limitPrice: Math.floor((q.bid as number) * 0.92) });
    await gw.advance(1000);
    await gw.client.setKillSwitch(true, 'runaway strategy');
    expect((await gw.client.getOrderStatus(resting.orderId)).status).toBe('CANCELLED');
    await expect(gw.client.placeOrder(mkt)).rejects.toMatchObject({ code: 'KILL_SWITCH_ENGAGED', status: 423 });
    expect((await gw.client.queryAudit({ eventType: 'GATE_BLOCKED' })).entries).toHaveLength(1);
    // Cancels are never gated.
    expect((await gw.client.health()).killSwitch).toMatchObject({ engaged: true, reason: 'runaway strategy' });

    await gw.client.close();
    const after = await gw.restart();
    expect(await after.killSwitch()).toMatchObject({ engaged: true, reason: 'runaway strategy' });
    expect((await after.health()).effectiveOrderMode).toBe('BLOCK');
    await after.setKillSwitch(false, 'fixed');
    await expect(after.placeOrder(mkt)).resolves.toMatchObject({ orderId: expect.any(String) });
  });

  it('the circuit breaker engages it after N consecutive rejections', async () => {
    gw = await startTestGateway({ CIRCUIT_BREAKER_REJECTIONS: '2', SIM_STARTING_CASH: '1000' });
    // 100 AAPL far exceeds the buying power of a 1,000 USD account: the simulated broker rejects it.
    for (let i = 0; i < 2; i++) {
      await expect(gw.client.placeOrder({ ...mkt, quantity: 100 })).rejects.toMatchObject({ code: 'ORDER_REJECTED' });
    }
    await gw.advance(1000);
    expect(await gw.client.killSwitch()).toMatchObject({ engaged: true, reason: expect.stringContaining('circuit breaker') });
    await expect(gw.client.placeOrder({ ...mkt, quantity: 1 })).rejects.toMatchObject({ code: 'KILL_SWITCH_ENGAGED' });
  });

  it('writes each step of its count under a correlation id of the order that moved it, so the audit log links the two', async () => {
    gw = await startTestGateway({ CIRCUIT_BREAKER_REJECTIONS: '3', SIM_STARTING_CASH: '1000' });
    // Whichever records an order's outcome first counts it: the placement's answer (the request's id) or the
    // broker's status event (a system context of its own).
    // As REST calls the client: the context handed over for the call, carried as a value (no AsyncLocalStorage).
    const as = <T>(correlationId: string, fn: () => T): T => handOver<T>({ correlationId, interface: 'rest', apiKeyName: 'desk' } satisfies RequestContext, fn);
    const idsOf = async (orderId: string): Promise<string[]> => (await gw.client.queryAudit({ orderId })).entries.map((r) => r.correlationId);
    const rejectedIds: string[][] = [];
    for (const id of ['cb-rejected-1', 'cb-rejected-2']) {
      const err: unknown = await as(id, () => gw.client.placeOrder({ ...mkt, quantity: 100 })).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ORDER_REJECTED' });
      const orderId = (await gw.client.queryAudit({ limit: 500 })).entries.find((r) => r.correlationId === id && r.orderId !== null)?.orderId;
      rejectedIds.push(await idsOf(orderId ?? 'none'));
    }
    const accepted = await as('cb-accepted', () => gw.client.placeOrder({ ...mkt, quantity: 1 }));
    await gw.advance(1000);
    const db = new Database(join(gw.dataDir, 'audit.db'), { readonly: true });
    try {
      const rows = db.prepare("SELECT value, correlation_id FROM state_log WHERE name = 'circuitBreaker' ORDER BY id").all() as Array<{ value: string; correlation_id: string }>;
      expect(rows.map((r) => r.value)).toEqual(['{"consecutiveRejections":1}', '{"consecutiveRejections":2}', '{"consecutiveRejections":0}']);
      expect(rejectedIds[0]).toContain(rows[0]?.correlation_id);
      expect(rejectedIds[1]).toContain(rows[1]?.correlation_id);
      expect(await idsOf(accepted.orderId)).toContain(rows[2]?.correlation_id);
    } finally {
      db.close();
    }
  });
});

describe('daily loss limit', () => {
  it('engages the kill switch when a fill takes the day past MAX_DAILY_LOSS', async () => {
    gw = await startTestGateway({ MAX_DAILY_LOSS: '0.5' });
    // One share bought at the ask loses IBKR's $1.00 minimum commission (plus half a one-cent spread) at once; two
    // seconds of AAPL's moves are a few cents, so the day is certainly past the 0.50 limit. (With 100 shares the
    // simulator's one-tick spread no longer outweighs two seconds of price moves.)
    await gw.client.placeOrder({ ...mkt, quantity: 1 });
    await gw.advance(2000);
    const pnl = await gw.client.getPnl();
    expect(pnl.unrealizedPnl + pnl.realizedPnl).toBeLessThanOrEqual(-0.5);
    // The fill's P&L engages the switch through durable store writes, each settled once its WAL sync returns (on the thread pool, not in a turn).
    await vi.waitFor(async () => expect(await gw.client.killSwitch()).toMatchObject({ engaged: true, reason: expect.stringContaining('daily loss') }), { timeout: 5000, interval: 10 });
    // Risk runs before the gates, so the refusal names the check; the kill switch stays engaged behind it.
    await expect(gw.client.placeOrder(mkt)).rejects.toMatchObject({ code: 'RISK_LIMIT_EXCEEDED', details: { failedChecks: [expect.objectContaining({ name: 'maxDailyLoss' })] } });
    expect((await gw.client.health()).effectiveOrderMode).toBe('BLOCK');
  });
});

describe('preview binding', () => {
  it('placing with a previewId requires the identical order, within the TTL', async () => {
    gw = await startTestGateway({ PREVIEW_TTL_SECONDS: '60' });
    const { previewId } = await gw.client.previewOrder(mkt);
    await expect(gw.client.placeOrder({ ...mkt, quantity: 11, previewId })).rejects.toMatchObject({ code: 'PREVIEW_MISMATCH' });
    await expect(gw.client.placeOrder({ ...mkt, previewId: 'pv_nope' })).rejects.toMatchObject({ code: 'PREVIEW_NOT_FOUND' });
    gw.clock.advance(61_000);
    await expect(gw.client.placeOrder({ ...mkt, previewId })).rejects.toMatchObject({ code: 'PREVIEW_EXPIRED' });
    const fresh = await gw.client.previewOrder(mkt);
    await expect(gw.client.placeOrder({ ...mkt, previewId: fresh.previewId })).resolves.toMatchObject({ orderId: expect.any(String) });
  });
});

describe('reconciliation at connect', () => {
  it('an order the log left PENDING_SUBMIT that the broker never received is closed, not resent', async () => {
    gw = await startTestGateway();
    await gw.client.close();
    const store = openAuditStore({ dataDir: gw.dataDir });
    await store.recordOrder(
      { correlationId: 'crash-1', eventType: 'ORDER_SUBMITTED', eventData: {}, userContext: { interface: 'library', apiKeyName: null }, accountId: 'DU1234567', orderId: '999999', configSnapshot: null },
      { orderId: '999999', clientOrderId: null, parentOrderId: null, role: 'ENTRY', accountId: 'DU1234567', conId: 265598, status: 'PENDING_SUBMIT', spec: { symbol: 'AAPL', securityType: 'STK', action: 'BUY', quantity: 1, orderType: 'MKT', timeInForce: 'DAY', outsideRth: false }, filledQuantity: 0, remainingQuantity: 1, avgFillPrice: null, commission: null, fills: [], statusMessage: null, correlationId: 'crash-1' },
    );
    await store.close();
    const client = await gw.restart();
    const order = await client.getOrderStatus('999999');
    expect(order.status).toBe('CANCELLED');
    expect(order.statusMessage).toMatch(/not resent/);
    expect((await client.queryAudit({ orderId: '999999', eventType: 'ORDER_RECONCILED' })).entries).toHaveLength(1);
    expect(await client.broker.getExecutions()).toEqual([]);
  });

  it('a resting order survives a restart and is still working', async () => {
    gw = await startTestGateway();
    const q = await gw.client.getQuote({ symbol: 'AAPL' });
    const r = await gw.client.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity: 5, orderType: 'LMT', limitPrice: Math.floor((q.bid as number) * 0.92), timeInForce: 'GTC' });
    await gw.advance(1000);
    await gw.client.close();
    const client = await gw.restart();
    expect((await client.getOrderStatus(r.orderId)).status).toBe('ACCEPTED');
    await expect(client.cancelOrder(r.orderId)).resolves.toMatchObject({ status: 'CANCELLED' });
  });
});

describe('idempotency key with a clientOrderId', () => {
  it('a replay of the same key and body returns the first result, not a clientOrderId conflict', async () => {
    gw = await startTestGateway();
    const first = await gw.client.placeOrder({ ...mkt, clientOrderId: 'c-9' }, { idempotencyKey: 'k-9' });
    await expect(gw.client.placeOrder({ ...mkt, clientOrderId: 'c-9' }, { idempotencyKey: 'k-9' })).resolves.toMatchObject({ orderId: first.orderId, idempotentReplay: true });
    await expect(gw.client.placeOrder({ ...mkt, clientOrderId: 'c-9' }, { idempotencyKey: 'k-10' })).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
  });
});
