/**
 * What an order with an idempotency key writes before it is sent (issue 18):
 * one durable write holding its claim, its ids and its rows. The key is
 * claimed there, where the order is recorded, not before it is assessed; so
 * a duplicate that won the key in another process while this request was
 * being assessed, or another gateway that took this request's claim over
 * while it stalled, leaves it nothing to record, and nothing is sent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../testing/client-harness.js';
import { openAuditStore, type SqliteAuditStore } from '../audit/sqlite/store.js';
import { GroupCommit } from '../audit/sqlite/group-commit.js';
import { hashOf } from '../hashing.js';
import { OrderSpec } from '../models.js';
import { PLACE_SCOPE } from './place.js';

let gw: TestGateway;
let other: SqliteAuditStore | null = null;
afterEach(async () => {
  await other?.close();
  other = null;
  await gw?.cleanup();
});

const input = { symbol: 'AAPL', action: 'BUY', quantity: 2, orderType: 'MKT' } as const;
const ACCOUNT = 'DU1234567';
const OWNER = 'library';
const HASH = hashOf({ spec: OrderSpec.parse(input), accountId: ACCOUNT });

/** Counts what the broker was asked to send. */
function countSends(t: TestGateway): { sent: number } {
  const counter = { sent: 0 };
  const place = t.client.broker.placeOrder.bind(t.client.broker);
  t.client.broker.placeOrder = (request) => {
    counter.sent += 1;
    return place(request);
  };
  return counter;
}

/** Runs `meanwhile` when the order path asks for the id floor: after the key was looked up and the order assessed, right before its pre-transmit write. */
function justBeforeTheWrite(t: TestGateway, meanwhile: () => Promise<void>): void {
  const floor = t.client.broker.orderIdFloor.bind(t.client.broker);
  t.client.broker.orderIdFloor = async () => {
    await meanwhile();
    return floor();
  };
}

describe('before an order is sent', () => {
  it('its claim, its id and its row are one write: at transmit the key is held and the order recorded, after one commit', async () => {
    gw = await startTestGateway();
    other = openAuditStore({ dataDir: gw.dataDir, clock: gw.clock });
    const writes: string[] = [];
    const flush = GroupCommit.prototype.flushNow;
    const queueOf = (g: GroupCommit): ReadonlyArray<{ what: string }> => (g as unknown as { queue: Array<{ what: string }> }).queue;
    GroupCommit.prototype.flushNow = function (this: GroupCommit) {
      writes.push(...queueOf(this).map((p) => p.what));
      flush.call(this);
    };
    let atTransmit: { writes: string[]; claim: unknown; status: unknown } | null = null;
    const place = gw.client.broker.placeOrder.bind(gw.client.broker);
    gw.client.broker.placeOrder = async (request) => {
      const seen = other === null ? null : await other.peekIdempotent(PLACE_SCOPE, 'one-write', OWNER, HASH);
      atTransmit = { writes: [...writes], claim: seen?.kind, status: (await other?.getOrder(request.ids.orderId))?.status };
      return place(request);
    };
    try {
      await gw.client.placeOrder(input, { idempotencyKey: 'one-write' });
    } finally {
      GroupCommit.prototype.flushNow = flush;
    }
    // The lease heartbeat may land in the window; it is not the order's.
    const own = (atTransmit as { writes: string[] } | null)?.writes.filter((w) => w !== 'renew the gateway instance lease');
    expect(own).toEqual(['record new orders']);
    expect(atTransmit).toMatchObject({ claim: 'in-progress', status: 'PENDING_SUBMIT' });
  });

  it('a duplicate that won the key in another process meanwhile leaves this request nothing to record: 409, nothing sent, no row', async () => {
    gw = await startTestGateway();
    const store = openAuditStore({ dataDir: gw.dataDir, clock: gw.clock });
    other = store;
    const sends = countSends(gw);
    justBeforeTheWrite(gw, async () => {
      expect(await store.beginIdempotent(PLACE_SCOPE, 'raced', OWNER, HASH)).toEqual({ kind: 'new' });
    });
    await expect(gw.client.placeOrder(input, { idempotencyKey: 'raced' })).rejects.toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS', status: 409 });
    expect(sends.sent).toBe(0);
    expect((await gw.client.queryAudit({ eventType: 'ORDER_SUBMITTED' })).entries).toEqual([]);
    // Once the other request has answered, this one's retry gets that answer.
    await store.completeIdempotent(PLACE_SCOPE, 'raced', { kind: 'result', result: { orderId: '42', status: 'SUBMITTED' } });
    expect(await gw.client.placeOrder(input, { idempotencyKey: 'raced' })).toMatchObject({ orderId: '42', idempotentReplay: true });
    expect(sends.sent).toBe(0);
  });

  it("a claim this gateway took over, then taken by another gateway while this one stalled, is not sent (the lease window is closed)", async () => {
    gw = await startTestGateway();
    await gw.client.close();
    // A request killed right after claiming its key (no instance: older than the next start, so abandoned).
    const dead = openAuditStore({ dataDir: gw.dataDir, clock: gw.clock });
    expect((await dead.beginIdempotent(PLACE_SCOPE, 'stalled', OWNER, HASH)).kind).toBe('new');
    await dead.close();
    gw.clock.advance(1000);
    gw.client = await gw.restart();
    const store = openAuditStore({ dataDir: gw.dataDir, clock: gw.clock });
    other = store;
    await store.registerInstance({ hostKey: 'elsewhere', pid: 1, leaseMs: 60_000 });
    const sends = countSends(gw);
    justBeforeTheWrite(gw, async () => {
      // This gateway has taken the orphan over; another judges it gone (its lease lapsed in a stall) and takes it in turn.
      const held = await store.peekIdempotent(PLACE_SCOPE, 'stalled', OWNER, HASH);
      if (held?.kind !== 'in-progress' || held.since === undefined) throw new Error('expected the claim held by this gateway');
      expect(await store.takeOverIdempotent(PLACE_SCOPE, 'stalled', { since: held.since, instanceId: held.holder?.instanceId ?? null })).not.toBeNull();
    });
    await expect(gw.client.placeOrder(input, { idempotencyKey: 'stalled' })).rejects.toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
    expect(sends.sent).toBe(0);
    expect((await gw.client.queryAudit({ eventType: 'ORDER_SUBMITTED' })).entries).toEqual([]);
    // The claim is the other gateway's, untouched: not released by the request that lost it.
    expect(await store.peekIdempotent(PLACE_SCOPE, 'stalled', OWNER, HASH)).toMatchObject({ kind: 'in-progress', holder: { alive: { hostKey: 'elsewhere' } } });
    expect((await gw.client.verifyAudit()).ok).toBe(true);
  });
});
