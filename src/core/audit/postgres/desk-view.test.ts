/**
 * One desk view over two gateway processes on one PostgreSQL database (one
 * per simulated account): an order placed on A reaches B's order stream
 * within a second (LISTEN/NOTIFY wakes B's feed); B lists it with owner=any,
 * naming A's broker identity, but not in its own default listing; B refuses
 * to cancel it with ORDER_OTHER_BROKER and sends nothing, while A still can;
 * and /metrics says the store is PostgreSQL, with its operations' latency.
 */
import { existsSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OrderDetail, OrderEvent, OrderResult } from '../../models.js';
import { startTestPostgres, type TestPostgres } from '../../../testing/postgres.js';
import { GATEWAY_MAIN, GatewayFleet, openOrderStream, rest, restingBuy } from '../../../testing/gateway-process.js';

let server: TestPostgres;
const fleet = new GatewayFleet();

const orderIds = (body: unknown): string[] => OrderDetail.array().parse(body).map((o) => o.orderId);

describe.skipIf(!existsSync(GATEWAY_MAIN))('one desk view over two gateways on one PostgreSQL database (needs `npm run build`)', () => {
  beforeAll(async () => {
    server = await startTestPostgres();
  });
  afterEach(() => fleet.killAll());
  afterAll(async () => {
    await server?.destroy();
    fleet.cleanup();
  });

  it("an order placed on A appears on B's order stream within a second, each time", async () => {
    const url = await server.createDatabase('desk_stream');
    const [a, b] = [await fleet.start(url, 'DU1111111'), await fleet.start(url, 'DU2222222')];
    const stream = await openOrderStream(b);
    const own = await openOrderStream(b, '?owner=this');
    try {
      // "From now" is fixed when B reads its newest sequence; let that read finish before A writes.
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (let i = 0; i < 3; i++) {
        const placed = await restingBuy(a);
        const acknowledged = performance.now();
        expect(placed.status).toBe(200);
        const { orderId } = OrderResult.parse(placed.body);
        // The NEW event and the status versions after it, in order; the NEW one is what must arrive in time.
        let event = OrderEvent.parse((await stream.next(1000)).data);
        while (event.orderId !== orderId || event.kind !== 'NEW') event = OrderEvent.parse((await stream.next(1000)).data);
        expect(event.order).toMatchObject({ brokerIdentity: 'sim:DU1111111', accountId: 'DU1111111' });
        expect(performance.now() - acknowledged).toBeLessThan(1000);
      }
      // B's own-orders stream (what its dashboard follows, beside its own listing) carries none of A's.
      await expect(own.next(500)).rejects.toThrow('no order event in time');
    } finally {
      own.close();
      stream.close();
    }
  });

  it("B reads A's orders with owner=any, filtered by account or identity; only A cancels them", async () => {
    const url = await server.createDatabase('desk_list');
    const [a, b] = [await fleet.start(url, 'DU1111111'), await fleet.start(url, 'DU2222222')];
    const placed = await restingBuy(a);
    expect(placed.status).toBe(200);
    const { orderId } = OrderResult.parse(placed.body);

    // B's own listing (the default) holds what B can act on: none of A's.
    expect(orderIds((await rest(b, 'GET', '/api/orders')).body)).toEqual([]);
    const desk = OrderDetail.array().parse((await rest(b, 'GET', '/api/orders?owner=any')).body);
    expect(desk.map((o) => [o.orderId, o.brokerIdentity, o.accountId])).toEqual([[orderId, 'sim:DU1111111', 'DU1111111']]);
    expect(orderIds((await rest(b, 'GET', '/api/orders?owner=any&account=DU1111111&status=open')).body)).toEqual([orderId]);
    expect(orderIds((await rest(b, 'GET', '/api/orders?owner=any&account=DU2222222')).body)).toEqual([]);
    expect(orderIds((await rest(b, 'GET', '/api/orders?owner=any&brokerIdentity=sim%3ADU1111111')).body)).toEqual([orderId]);
    expect((await rest(b, 'GET', `/api/orders/${orderId}/status`)).body).toMatchObject({ orderId, brokerIdentity: 'sim:DU1111111' });

    const refused = await rest<{ error: { code: string; message: string; details: unknown } }>(b, 'POST', `/api/orders/${orderId}/cancel`);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'ORDER_OTHER_BROKER', details: { orderId, brokerIdentity: 'sim:DU1111111' } });
    expect(refused.body.error.message).toContain('through the gateway connected to sim:DU1111111');
    // Nothing was sent: the order still works, and its owner cancels it.
    expect((await rest(a, 'GET', `/api/orders/${orderId}/status`)).body).toMatchObject({ status: expect.stringMatching(/SUBMITTED|ACCEPTED/) });
    expect((await rest(a, 'POST', `/api/orders/${orderId}/cancel`)).body).toMatchObject({ orderId, cancelled: true });

    // /metrics names the shared store and how long its operations took on this gateway.
    const metrics = (await rest(b, 'GET', '/metrics')).text;
    expect(metrics).toContain('ibkr_gateway_store_info{store="postgres"} 1');
    expect(metrics).toMatch(/ibkr_gateway_store_operation_seconds_count\{store="postgres",operation="listOrders"\} [5-9]/);
    expect(metrics).toMatch(/ibkr_gateway_store_operation_seconds_sum\{store="postgres",operation="append"\} 0\.\d*[1-9]/);
  });
});
