/**
 * Executions the broker makes without an order (IBKR's order id 0), through
 * the whole core on the simulator: an option held through expiry is exercised
 * by the simulator, and the core records it with a BROKER_INITIATED_FILL
 * audit row, as an order born FILLED that the order list shows, and as a FILL
 * event on the order event stream. Manual clock: Monday 2026-01-05, AAPL
 * options expiring Friday 2026-01-16.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../testing/client-harness.js';
import { makeSimHarness } from '../../testing/sim-harness.js';
import { ACCOUNT_EXECUTION_PREFIX, accountExecutionOrderId } from './account-executions.js';

const AFTER_JAN_16_CLOSE = '2026-01-16T21:30:00.000Z';
let gw: TestGateway | null = null;

afterEach(async () => {
  await gw?.cleanup();
  gw = null;
});

const AAPL_200_CALL = { symbol: 'AAPL', securityType: 'OPT' as const, expiry: '2026-01-16', strike: 200, right: 'C' as const };

describe('executions without an order (exercise, assignment, expiry, liquidation)', () => {
  it('an ITM call exercised at expiry is audited as BROKER_INITIATED_FILL, listed as a FILLED order and streamed as FILL events', async () => {
    gw = await startTestGateway();
    const c = gw.client;
    const bought = await c.placeOrder({ ...AAPL_200_CALL, action: 'BUY', quantity: 2, orderType: 'MKT' });
    expect(bought.status).toBe('FILLED');
    const before = (await c.listOrderEvents({ limit: 1000 })).at(-1)?.sequence ?? 0;

    gw.clock.set(AFTER_JAN_16_CLOSE);
    await gw.advance(2000);

    const rows = (await c.queryAudit({ eventType: 'BROKER_INITIATED_FILL' })).entries;
    // The exercise is two legs: the 2 calls leave at 0, 200 shares arrive at the strike.
    expect(rows.map((r) => [r.eventData.reason, r.eventData.symbol, r.eventData.securityType])).toEqual([
      ['EXERCISE', 'AAPL', 'OPT'],
      ['EXERCISE', 'AAPL', 'STK'],
    ]);
    expect(rows.every((r) => r.orderId?.startsWith(ACCOUNT_EXECUTION_PREFIX) === true && r.accountId === 'DU1234567')).toBe(true);

    const events = await c.listOrderEvents({ afterSequence: before });
    const fills = events.filter((e) => e.auditEventType === 'BROKER_INITIATED_FILL');
    expect(fills.map((e) => [e.kind, e.status, e.previousStatus, e.fill?.side, e.fill?.quantity, e.fill?.price])).toEqual([
      ['FILL', 'FILLED', null, 'SELL', 2, 0],
      ['FILL', 'FILLED', null, 'BUY', 200, 200],
    ]);
    const shares = fills[1]?.order;
    expect(shares?.spec).toMatchObject({ symbol: 'AAPL', securityType: 'STK', action: 'BUY', quantity: 200 });
    expect(shares?.statusMessage).toContain('EXERCISE');
    expect(shares?.orderId).toBe(accountExecutionOrderId(shares?.fills[0]?.execId ?? ''));

    // The order list shows them beside the order that bought the calls.
    const listed = await c.listOrders({ status: 'closed' });
    expect(listed.filter((o) => o.orderId.startsWith(ACCOUNT_EXECUTION_PREFIX))).toHaveLength(2);
    expect((await c.verifyAudit()).ok).toBe(true);
  });

  it('a live order stream sees the exercise as it happens, and a restart does not record it twice', async () => {
    gw = await startTestGateway();
    const c = gw.client;
    await c.placeOrder({ ...AAPL_200_CALL, action: 'BUY', quantity: 1, orderType: 'MKT' });
    const abort = new AbortController();
    const stream = c.orderEvents({ signal: abort.signal })[Symbol.asyncIterator]();
    const first = stream.next();
    gw.clock.set(AFTER_JAN_16_CLOSE);
    await gw.advance(2000);
    const event = (await first).value;
    abort.abort();
    expect(event?.auditEventType).toBe('BROKER_INITIATED_FILL');
    expect(event?.kind).toBe('FILL');

    await c.close();
    const again = await gw.restart();
    await gw.advance(2000);
    expect((await again.queryAudit({ eventType: 'BROKER_INITIATED_FILL' })).entries).toHaveLength(2);
  });

  it('an exercise booked while the gateway was down (a crash before the core recorded it) is recorded at the next connect, once', async () => {
    gw = await startTestGateway();
    await gw.client.placeOrder({ ...AAPL_200_CALL, action: 'BUY', quantity: 1, orderType: 'MKT' });
    await gw.client.close();
    // The simulator alone, on the same sim.db and market: it books the exercise, and no core hears it.
    const sim = makeSimHarness({ dataDir: gw.dataDir, clock: gw.clock });
    await sim.broker.connect();
    gw.clock.set(AFTER_JAN_16_CLOSE);
    await sim.advance(2000);
    const booked = (await sim.broker.getExecutions()).filter((f) => f.orderId === '0');
    expect(booked.map((f) => f.exchange)).toEqual(['EXERCISE', 'EXERCISE']);
    await sim.broker.close();

    // Reconciliation at connect records both legs; a second restart adds nothing.
    const again = await gw.restart();
    const rows = (await again.queryAudit({ eventType: 'BROKER_INITIATED_FILL' })).entries;
    expect(rows.map((r) => r.orderId).sort()).toEqual(booked.map((f) => accountExecutionOrderId(f.execId)).sort());
    await again.close();
    const third = await gw.restart();
    expect((await third.queryAudit({ eventType: 'BROKER_INITIATED_FILL' })).entries).toHaveLength(2);
    expect((await third.verifyAudit()).ok).toBe(true);
  });
});
