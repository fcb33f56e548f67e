/**
 * A process that dies between claiming an idempotency key and answering leaves
 * the key "in progress". After a restart the retry must neither hang on it nor
 * place the order twice: the audit log (written before anything is sent) says
 * which it is.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../testing/client-harness.js';
import { openAuditStore } from '../audit/index.js';
import { hashOf } from '../hashing.js';
import { OrderSpec } from '../models.js';
import { PLACE_SCOPE } from './place.js';

let gw: TestGateway;
afterEach(async () => gw?.cleanup());

const input = { symbol: 'AAPL', action: 'BUY', quantity: 3, orderType: 'MKT' } as const;
const ACCOUNT = 'DU1234567';

/** What a request killed right after claiming its key leaves behind. */
async function leaveClaim(dataDir: string, clock: TestGateway['clock'], key: string, recordedOrderId: string | null): Promise<void> {
  const store = openAuditStore({ dataDir, clock });
  expect((await store.beginIdempotent(PLACE_SCOPE, key, 'library', hashOf({ spec: OrderSpec.parse(input), accountId: ACCOUNT }))).kind).toBe('new');
  if (recordedOrderId !== null) {
    const spec = OrderSpec.parse(input);
    await store.recordOrder(
      { correlationId: 'killed', eventType: 'ORDER_SUBMITTED', eventData: { idempotencyKey: key, role: 'ENTRY', spec }, userContext: { interface: 'rest', apiKeyName: 'k' }, accountId: ACCOUNT, orderId: recordedOrderId, configSnapshot: null },
      { orderId: recordedOrderId, clientOrderId: null, parentOrderId: null, role: 'ENTRY', accountId: ACCOUNT, conId: 265598, status: 'PENDING_SUBMIT', spec, filledQuantity: 0, remainingQuantity: 3, avgFillPrice: null, commission: null, fills: [], statusMessage: null, correlationId: 'killed' },
    );
  }
  await store.close();
}

describe('an idempotency key left in progress by a killed process', () => {
  it('with nothing recorded, nothing was sent: the retry places the order once', async () => {
    gw = await startTestGateway();
    await gw.client.close();
    await leaveClaim(gw.dataDir, gw.clock, 'k-crash-1', null);
    gw.clock.advance(1000);
    const client = await gw.restart();
    const r = await client.placeOrder(input, { idempotencyKey: 'k-crash-1' });
    expect(r.idempotentReplay).toBe(false);
    const again = await client.placeOrder(input, { idempotencyKey: 'k-crash-1' });
    expect(again).toMatchObject({ orderId: r.orderId, idempotentReplay: true });
  });

  it('with the order recorded, the retry returns that order and sends nothing new', async () => {
    gw = await startTestGateway();
    await gw.client.close();
    await leaveClaim(gw.dataDir, gw.clock, 'k-crash-2', '777');
    gw.clock.advance(1000);
    const client = await gw.restart();
    const r = await client.placeOrder(input, { idempotencyKey: 'k-crash-2' });
    // Reconciliation at connect found the broker never received 777, so it is closed, not resent.
    expect(r).toMatchObject({ orderId: '777', idempotentReplay: true, status: 'CANCELLED' });
    expect(await client.broker.getExecutions()).toEqual([]);
    expect(await client.broker.getOpenOrders()).toEqual([]);
  });

  it('a claim made by this process is still a live request', async () => {
    gw = await startTestGateway();
    await leaveClaim(gw.dataDir, gw.clock, 'k-live', null);
    await expect(gw.client.placeOrder(input, { idempotencyKey: 'k-live' })).rejects.toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
  });
});
