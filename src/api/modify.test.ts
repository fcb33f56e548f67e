/**
 * PATCH /api/orders/{orderId} and its preview, over real HTTP on the simulated
 * broker: the order keeps its id, the change is audited, a finished order is
 * a 409, a read key cannot modify, Idempotency-Key replays.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, isErrorBody, KEYS, startTestServer, type TestServer } from '../testing/api-harness.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => s?.close());

async function restingBuy(quantity: number): Promise<{ orderId: string; limitPrice: number }> {
  const quote = await s.client.getQuote({ symbol: 'AAPL' });
  const limitPrice = Math.floor((quote.bid as number) * 0.95);
  const placed = await call<{ orderId: string }>(s.url, '/api/orders/place', { key: KEYS.trade, body: { symbol: 'AAPL', action: 'BUY', quantity, orderType: 'LMT', limitPrice, timeInForce: 'GTC' } });
  expect(placed.status).toBe(200);
  return { orderId: placed.body.orderId, limitPrice };
}

describe('PATCH /api/orders/{orderId}', () => {
  it('modifies price and quantity in place and records the request and the answer under one correlation id', async () => {
    const { orderId, limitPrice } = await restingBuy(10);
    const res = await call<{ orderId: string; modified: boolean; spec: { quantity: number; limitPrice: number }; previous: { quantity: number }; correlationId: string }>(s.url, `/api/orders/${orderId}`, {
      key: KEYS.trade,
      method: 'PATCH',
      body: { quantity: 6, limitPrice: limitPrice - 1 },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ orderId, modified: true, spec: { quantity: 6, limitPrice: limitPrice - 1 }, previous: { quantity: 10 } });
    const status = await call<{ spec: { quantity: number }; remainingQuantity: number }>(s.url, `/api/orders/${orderId}/status`, { key: KEYS.read });
    expect(status.body).toMatchObject({ spec: { quantity: 6 }, remainingQuantity: 6 });
    const rows = (await s.client.queryAudit({ correlationId: res.body.correlationId })).entries.map((e) => e.eventType);
    expect(rows).toEqual(expect.arrayContaining(['ORDER_MODIFY_REQUESTED', 'ORDER_MODIFIED']));
    expect((await s.client.verifyAudit()).ok).toBe(true);
  });

  it('previews a modification with the risk checks of the new version, and the previewId then modifies', async () => {
    const { orderId } = await restingBuy(5);
    const preview = await call<{ previewId: string; orderId: string; riskChecks: { name: string; value: unknown }[]; spec: { quantity: number } }>(s.url, `/api/orders/${orderId}/modify/preview`, {
      key: KEYS.trade,
      body: { quantity: 7 },
    });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ orderId, spec: { quantity: 7 } });
    expect(preview.body.riskChecks.find((c) => c.name === 'maxOrderQuantity')?.value).toBe(7);
    const wrong = await call(s.url, `/api/orders/${orderId}`, { key: KEYS.trade, method: 'PATCH', body: { quantity: 8, previewId: preview.body.previewId } });
    expect(wrong.status).toBe(409);
    const ok = await call(s.url, `/api/orders/${orderId}`, { key: KEYS.trade, method: 'PATCH', body: { quantity: 7, previewId: preview.body.previewId } });
    expect(ok.status).toBe(200);
  });

  it('answers 409 ORDER_NOT_MODIFIABLE for a cancelled order, 404 for an unknown one, 422 for a field that cannot change, 403 for a read key', async () => {
    const { orderId } = await restingBuy(3);
    const readOnly = await call(s.url, `/api/orders/${orderId}`, { key: KEYS.read, method: 'PATCH', body: { quantity: 2 } });
    expect(readOnly.status).toBe(403);
    const bad = await call(s.url, `/api/orders/${orderId}`, { key: KEYS.trade, method: 'PATCH', body: { action: 'SELL' } });
    expect(bad.status).toBe(422);
    expect(isErrorBody(bad.body) && bad.body.error.code).toBe('VALIDATION_ERROR');
    await call(s.url, `/api/orders/${orderId}/cancel`, { key: KEYS.trade, method: 'POST' });
    const finished = await call(s.url, `/api/orders/${orderId}`, { key: KEYS.trade, method: 'PATCH', body: { quantity: 2 } });
    expect(finished.status).toBe(409);
    expect(isErrorBody(finished.body) && finished.body.error.code).toBe('ORDER_NOT_MODIFIABLE');
    const unknown = await call(s.url, '/api/orders/424242', { key: KEYS.trade, method: 'PATCH', body: { quantity: 2 } });
    expect(unknown.status).toBe(404);
  });

  it('replays a retry with the same Idempotency-Key', async () => {
    const { orderId, limitPrice } = await restingBuy(4);
    const send = () => call<{ idempotentReplay: boolean }>(s.url, `/api/orders/${orderId}`, { key: KEYS.trade, method: 'PATCH', body: { limitPrice: limitPrice - 2 }, headers: { 'idempotency-key': 'patch-once-1' } });
    const first = await send();
    const again = await send();
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(first.body.idempotentReplay).toBe(false);
    expect(again.body.idempotentReplay).toBe(true);
    expect((await s.client.queryAudit({ orderId, eventType: 'ORDER_MODIFY_REQUESTED' })).entries).toHaveLength(1);
  });
});
