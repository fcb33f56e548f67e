/**
 * Idempotency keys belong to the caller that used them. Over real HTTP with
 * two API keys: the owner's replay returns its order; the other key's replay
 * of the same Idempotency-Key (or clientOrderId) is 409
 * IDEMPOTENCY_KEY_FOREIGN and nothing of the owner's order, and nothing is
 * placed. The library (createClient, no API key) is a caller of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, isErrorBody, KEYS, startTestServer, type ErrorShape, type TestServer } from '../testing/api-harness.js';

let s: TestServer;
let brokerPlaceCalls = 0;

beforeAll(async () => {
  s = await startTestServer();
  const broker = s.client.broker;
  const place = broker.placeOrder.bind(broker);
  broker.placeOrder = (request) => {
    brokerPlaceCalls += 1;
    return place(request);
  };
});
afterAll(async () => {
  await s.close();
});

const MKT = { symbol: 'AAPL', action: 'BUY', quantity: 2, orderType: 'MKT' } as const;
const place = (key: string, body: unknown, idempotencyKey?: string) =>
  call<Record<string, unknown>>(s.url, '/api/orders/place', { key, body, method: 'POST', headers: idempotencyKey === undefined ? {} : { 'Idempotency-Key': idempotencyKey } });

function expectForeign(res: { status: number; body: unknown; text: string }, ownersOrderId: unknown): void {
  expect(res.status, res.text).toBe(409);
  expect(isErrorBody(res.body)).toBe(true);
  expect((res.body as ErrorShape).error.code).toBe('IDEMPOTENCY_KEY_FOREIGN');
  expect(res.text).not.toContain(`"${String(ownersOrderId)}"`);
}

describe('idempotency keys are scoped to the API key', () => {
  it("another key's replay of an Idempotency-Key is 409 IDEMPOTENCY_KEY_FOREIGN, not the owner's order; the owner still gets its replay", async () => {
    const first = await place(KEYS.trade, MKT, 'shared-key-1');
    expect(first.status, first.text).toBe(200);
    const orderId = first.body.orderId;
    expect(typeof orderId).toBe('string');
    const placed = brokerPlaceCalls;

    expectForeign(await place(KEYS.admin, MKT, 'shared-key-1'), orderId);
    // A different body from the other key is refused the same way: it learns nothing about the owner's request.
    expectForeign(await place(KEYS.admin, { ...MKT, quantity: 9 }, 'shared-key-1'), orderId);
    expect(brokerPlaceCalls).toBe(placed);

    const again = await place(KEYS.trade, MKT, 'shared-key-1');
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ orderId, idempotentReplay: true });
  });

  it("another key reusing a clientOrderId (the key when no Idempotency-Key is sent) gets the same refusal", async () => {
    const first = await place(KEYS.trade, { ...MKT, clientOrderId: 'strategy-42' });
    expect(first.status, first.text).toBe(200);
    expectForeign(await place(KEYS.admin, { ...MKT, clientOrderId: 'strategy-42' }), first.body.orderId);
  });

  it('the library (no API key) has its own scope: a REST caller\'s key is foreign to it', async () => {
    const first = await place(KEYS.trade, MKT, 'shared-key-2');
    expect(first.status).toBe(200);
    await expect(s.client.placeOrder(MKT, { idempotencyKey: 'shared-key-2' })).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_FOREIGN', status: 409 });
  });

  it('every claim, completion and refusal leaves the chains intact', async () => {
    const res = await call<Record<string, unknown>>(s.url, '/api/audit/verify', { key: KEYS.admin });
    expect(res.body).toMatchObject({ ok: true });
  });
});
