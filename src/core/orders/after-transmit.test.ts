/**
 * What an order with an idempotency key writes after the broker has it
 * (issue 18): the broker's status and fill versions and the stored answer go
 * to audit.db in one transaction, each version built on the one before inside
 * it; the answer the caller gets is the stored replay; and whatever those
 * versions set off (the circuit breaker's count, the switch it engages) is
 * done before the answer is given.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../testing/client-harness.js';
import { GroupCommit } from '../audit/sqlite/group-commit.js';
import { openAuditStore } from '../audit/sqlite/store.js';
import type { OrderResult } from '../models.js';

let gw: TestGateway;
afterEach(async () => {
  await gw?.cleanup();
});

/** Every version of an order, as another connection on the same audit.db reads them. */
async function versionsOf(t: TestGateway, orderId: string): Promise<string[]> {
  const other = openAuditStore({ dataDir: t.dataDir, clock: t.clock });
  try {
    return (await other.getOrderVersions(orderId)).map((v) => v.status);
  } finally {
    await other.close();
  }
}

const mkt = { symbol: 'AAPL', action: 'BUY', quantity: 2, orderType: 'MKT' } as const;

/** The writes of each audit.db transaction from the broker's placeOrder call until `run` settles (the lease heartbeat left out). */
async function batchesAfterTransmit(t: TestGateway, run: () => Promise<unknown>): Promise<string[][]> {
  const batches: string[][] = [];
  let sent = false;
  const place = t.client.broker.placeOrder.bind(t.client.broker);
  t.client.broker.placeOrder = (request) => {
    sent = true;
    return place(request);
  };
  const flush = GroupCommit.prototype.flushNow;
  GroupCommit.prototype.flushNow = function (this: GroupCommit) {
    const queue = (this as unknown as { queue: Array<{ what: string }> }).queue.map((p) => p.what).filter((w) => w !== 'renew the gateway instance lease');
    if (sent && queue.length > 0) batches.push(queue);
    flush.call(this);
  };
  try {
    await run();
  } finally {
    GroupCommit.prototype.flushNow = flush;
  }
  return batches;
}

describe('after an order is sent', () => {
  it('its status and fill versions and its stored answer are one transaction, and the replay is the answer', async () => {
    gw = await startTestGateway();
    let first: OrderResult | undefined;
    const batches = await batchesAfterTransmit(gw, async () => {
      first = await gw.client.placeOrder(mkt, { idempotencyKey: 'fold-1' });
    });
    // The market order is accepted, then filled (one version each; the acknowledgement adds nothing new), then answered.
    expect(batches).toEqual([['record an order', 'record an order', 'record an order', 'record an order', 'store an idempotent result']]);
    expect(first).toMatchObject({ status: 'FILLED', filledQuantity: 2, idempotentReplay: false });
    const order = first?.orderId ?? '';
    expect(await versionsOf(gw, order)).toEqual(['PENDING_SUBMIT', 'ACCEPTED', 'FILLED']);
    const again = await gw.client.placeOrder(mkt, { idempotencyKey: 'fold-1' });
    expect(again).toEqual({ ...first, idempotentReplay: true });
    expect(await gw.client.verifyAudit()).toMatchObject({ ok: true });
  });

  it("a bracket's answer and its replay name the children as recorded in that transaction", async () => {
    gw = await startTestGateway();
    const bracket = { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'LMT', limitPrice: 200, takeProfitPrice: 225, stopLossPrice: 195 } as const;
    let first: OrderResult | undefined;
    const batches = await batchesAfterTransmit(gw, async () => {
      first = await gw.client.placeOrder(bracket, { idempotencyKey: 'fold-2' });
    });
    expect(batches).toHaveLength(1);
    expect(batches[0]?.at(-1)).toBe('store an idempotent result');
    expect(first).toMatchObject({ status: 'ACCEPTED', children: [{ role: 'TAKE_PROFIT', status: 'SUBMITTED' }, { role: 'STOP_LOSS', status: 'SUBMITTED' }] });
    expect(await gw.client.placeOrder(bracket, { idempotencyKey: 'fold-2' })).toEqual({ ...first, idempotentReplay: true });
  });

  it('a rejection is answered, and replayed, as the stored error, after the circuit breaker counted it: the Nth engages the switch before its answer', async () => {
    gw = await startTestGateway({ CIRCUIT_BREAKER_REJECTIONS: '2', SIM_STARTING_CASH: '1000' });
    // 100 AAPL far exceeds the buying power of a 1,000 USD account: the simulated broker rejects it.
    const tooBig = { ...mkt, quantity: 100 };
    await expect(gw.client.placeOrder(tooBig, { idempotencyKey: 'rej-1' })).rejects.toMatchObject({ code: 'ORDER_REJECTED' });
    expect(await gw.client.killSwitch()).toMatchObject({ engaged: false });
    const second = await gw.client.placeOrder(tooBig, { idempotencyKey: 'rej-2' }).catch((err: unknown) => err);
    expect(second).toMatchObject({ code: 'ORDER_REJECTED' });
    // No time allowed to pass: the switch is engaged by the time the second rejection is answered.
    expect(await gw.client.killSwitch()).toMatchObject({ engaged: true, reason: expect.stringContaining('circuit breaker') });
    const replayed = await gw.client.placeOrder(tooBig, { idempotencyKey: 'rej-2' }).catch((err: unknown) => err);
    expect(replayed).toMatchObject({ code: 'ORDER_REJECTED', message: (second as Error).message, details: (second as { details: unknown }).details });
  });
});
