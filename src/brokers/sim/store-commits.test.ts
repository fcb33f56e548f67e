/**
 * sim.db commits on the order path (issue 18): allocating ids and placing an
 * order cost one commit between them, whether the order rests or trades at
 * once and whether other orders are working. sim.db runs with
 * synchronous=NORMAL (no fsync per commit): its state is the simulated
 * broker's, which a power cut may roll back to the last WAL checkpoint like
 * a broker session that reconnects; the audit log, written durably before
 * transmit, keeps what was sent and reconciliation settles the difference.
 *
 * New orders placed in one event-loop turn (the audit group commit releases
 * many at once) share one commit: each is answered, and its events
 * delivered, only after it; a failure leaves memory as the file.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeSimHarness, placeSim, type SimHarness } from '../../testing/sim-harness.js';
import { OrderSpec, type Contract, type Fill } from '../../core/models.js';
import type { PlaceOrderAck } from '../../core/broker/port.js';
import Database from 'better-sqlite3';
import { SimStore } from './store.js';

let h: SimHarness | null = null;
afterEach(async () => {
  vi.restoreAllMocks();
  await h?.cleanup();
  h = null;
});

/** A connected simulator (kept in `h` for cleanup), AAPL's contract and a buy limit half the bid: it rests. */
async function connectedWithAapl(): Promise<{ harness: SimHarness; contract: Contract; far: number }> {
  const harness = makeSimHarness();
  h = harness;
  await harness.broker.connect();
  const [contract] = await harness.broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
  if (!contract) throw new Error('AAPL missing');
  const quote = await harness.broker.getQuote(contract);
  return { harness, contract, far: Math.floor((quote.bid as number) * 0.5) };
}

/** A hold of sim.db's writes for a WAL checkpoint's last pass, as writesHeld() hands it out, and its release. */
function heldWrites(): { held: Promise<void>; release: () => void } {
  let release = (): void => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  return { held, release };
}

const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

/** Three market orders to buy 1 AAPL placed in one event-loop turn (so they share one sim.db transaction), settled. */
async function threeInOneTurn(harness: SimHarness, contract: Contract): Promise<{ ids: string[]; placed: PromiseSettledResult<PlaceOrderAck>[] }> {
  const accountId = harness.broker.accounts()[0] ?? 'DU1234567';
  const spec = OrderSpec.parse({ symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT' });
  const ids = await harness.broker.allocateOrderIds(3);
  const placed = await Promise.allSettled(ids.map((orderId) => harness.broker.placeOrder({ ids: { orderId }, contract, spec, accountId, orderRef: `test-${orderId}` })));
  return { ids, placed };
}

/** Makes the second call of SimStore's `method` throw `message` (after `first(store)`, if given); the other calls run as they are. */
function failSecondCall(method: 'addFill' | 'savePosition', message: string, first?: (store: SimStore) => void): void {
  const original = SimStore.prototype[method] as (this: SimStore, ...args: unknown[]) => void;
  let calls = 0;
  vi.spyOn(SimStore.prototype, method).mockImplementation(function (this: SimStore, ...args: unknown[]) {
    calls += 1;
    if (calls !== 2) return original.apply(this, args);
    first?.(this);
    throw new Error(message);
  });
}

describe('sim.db commits per order', () => {
  it('allocating ids and placing an order commit once, with or without other working orders', async () => {
    const { harness, contract, far } = await connectedWithAapl();
    const cases = [
      { orderType: 'LMT', limitPrice: far }, // rests
      { orderType: 'LMT', limitPrice: far }, // rests, with one working
      { orderType: 'MKT' }, // trades on arrival, with two working
      { orderType: 'LMT', limitPrice: far, takeProfitPrice: far * 3, stopLossPrice: far - 1 }, // a bracket: three ids, three records
    ] as const;
    for (const c of cases) {
      const before = harness.broker.storeCommits;
      await placeSim(harness.broker, contract, { symbol: 'AAPL', action: 'BUY', quantity: 1, ...c });
      expect(harness.broker.storeCommits - before, c.orderType).toBe(1);
    }
  });

  it('hands out the exact next id after a clean stop (only a crash skips the reserved block)', async () => {
    h = makeSimHarness();
    await h.broker.connect();
    const [a] = await h.broker.allocateOrderIds(1);
    await h.restart(0);
    const [b] = await h.broker.allocateOrderIds(1);
    expect(Number(b)).toBe(Number(a) + 1);
  });

  it("waits to commit a new order while sim.db's writes are held for a WAL checkpoint's last pass", async () => {
    // Otherwise the order's commit overtakes the worker's pass and the connection copies the rest on the event loop.
    const { harness, contract } = await connectedWithAapl();
    const [orderId] = await harness.broker.allocateOrderIds(1);
    if (!orderId) throw new Error('no order id');
    const { held, release } = heldWrites();
    vi.spyOn(SimStore.prototype, 'writesHeld').mockReturnValueOnce(held);
    const before = harness.broker.storeCommits;
    const placed = harness.broker.placeOrder({ ids: { orderId }, contract, spec: OrderSpec.parse({ symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT' }), accountId: harness.broker.accounts()[0] ?? 'DU1234567', orderRef: `test-${orderId}` });
    await turns(5);
    expect(harness.broker.storeCommits - before).toBe(0);
    release();
    expect((await placed).status).not.toBe('REJECTED');
    expect(harness.broker.storeCommits - before).toBe(1);
  });

  it('a cancel or a modify of an order whose placement waits on held writes waits behind it, and finds it placed', async () => {
    const { harness, contract, far } = await connectedWithAapl();
    const [toCancel, toModify] = await harness.broker.allocateOrderIds(2);
    if (!toCancel || !toModify) throw new Error('no order ids');
    const accountId = harness.broker.accounts()[0] ?? 'DU1234567';
    const spec = OrderSpec.parse({ symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'LMT', limitPrice: far });
    const { held, release } = heldWrites();
    const holding = vi.spyOn(SimStore.prototype, 'writesHeld').mockReturnValue(held);
    const placed = [toCancel, toModify].map((orderId) => harness.broker.placeOrder({ ids: { orderId }, contract, spec, accountId, orderRef: `test-${orderId}` }));
    const cancelled = harness.broker.cancelOrder(toCancel);
    const modified = harness.broker.modifyOrder({ orderId: toModify, contract, spec: { ...spec, quantity: 2 }, accountId, orderRef: `test-${toModify}` });
    await turns(5);
    holding.mockRestore();
    release();
    await Promise.all(placed);
    expect((await cancelled).status).toBe('CANCELLED');
    const ack = await modified;
    expect(ack.accepted).toBe(true);
    expect(ack.state.spec.quantity).toBe(2);
  });

  it('new orders placed in one turn share one commit; each is answered, and its fill announced, only after it', async () => {
    const { harness, contract } = await connectedWithAapl();
    const accountId = harness.broker.accounts()[0] ?? 'DU1234567';
    const spec = OrderSpec.parse({ symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT' });
    const ids = await harness.broker.allocateOrderIds(4);
    const before = harness.broker.storeCommits;
    const commitsAtFill: number[] = [];
    harness.broker.on('fill', () => commitsAtFill.push(harness.broker.storeCommits - before));
    const commitsAtAck: number[] = [];
    // Every prepared statement shares one prototype: the position row the four fills move is written once.
    const probe = new Database(':memory:');
    const run = vi.spyOn(Object.getPrototypeOf(probe.prepare('SELECT 1')) as { run: (...args: unknown[]) => unknown }, 'run');
    probe.close();
    const acks = await Promise.all(
      ids.map((orderId) =>
        harness.broker.placeOrder({ ids: { orderId }, contract, spec, accountId, orderRef: `test-${orderId}` }).then((ack) => {
          commitsAtAck.push(harness.broker.storeCommits - before);
          return ack;
        }),
      ),
    );
    expect(acks.map((a) => a.status)).toEqual(['FILLED', 'FILLED', 'FILLED', 'FILLED']);
    expect(commitsAtAck).toEqual([1, 1, 1, 1]);
    const sources = run.mock.contexts.map((st) => (st as { source: string }).source);
    expect(sources.filter((sql) => sql.startsWith('INSERT INTO positions'))).toHaveLength(1);
    // An order that fills at once runs no statement of its own: no savepoint, and the four fills in one INSERT at COMMIT.
    expect(sources.filter((sql) => sql.startsWith('SAVEPOINT'))).toEqual([]);
    expect(sources.filter((sql) => sql.startsWith('INSERT INTO fills'))).toHaveLength(1);
    run.mockRestore();
    expect(commitsAtFill).toEqual([1, 1, 1, 1]);
    await harness.restart(0);
    const positions = await harness.broker.getPositions(accountId);
    expect(positions.find((p) => p.conId === contract.conId)?.quantity).toBe(4);
    expect((await harness.broker.getExecutions()).map((f) => f.orderId)).toEqual(ids);
  });

  it('a shared commit that fails refuses every order in it, announces none, and leaves memory as the file', async () => {
    const { harness, contract } = await connectedWithAapl();
    const accountId = harness.broker.accounts()[0] ?? 'DU1234567';
    const summaryBefore = await harness.broker.getAccountSummary(accountId);
    const positionsBefore = await harness.broker.getPositions(accountId);
    const fills: Fill[] = [];
    harness.broker.on('fill', (f) => fills.push(f));
    // The last writes before COMMIT fail, as a full disk would fail the commit.
    vi.spyOn(SimStore.prototype as unknown as { writePendingMeta: () => void }, 'writePendingMeta').mockImplementationOnce(() => {
      throw new Error('database or disk is full');
    });
    const { ids, placed } = await threeInOneTurn(harness, contract);
    expect(placed.map((p) => p.status)).toEqual(['rejected', 'rejected', 'rejected']);
    await turns(3);
    expect(fills).toEqual([]);
    expect(await harness.broker.getAccountSummary(accountId)).toEqual(summaryBefore);
    expect(await harness.broker.getPositions(accountId)).toEqual(positionsBefore);
    expect(await harness.broker.getOpenOrders()).toEqual([]);
    for (const id of ids) expect(await harness.broker.getOrder(id as string)).toBeNull();
    // The next order goes through, and the file agrees with memory across a restart.
    const spec = OrderSpec.parse({ symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT' });
    const [next] = await harness.broker.allocateOrderIds(1);
    const ack: PlaceOrderAck = await harness.broker.placeOrder({ ids: { orderId: next as string }, contract, spec, accountId, orderRef: 'test-next' });
    expect(ack.status).toBe('FILLED');
    const positionsAfter = await harness.broker.getPositions(accountId);
    await harness.restart(0);
    expect(await harness.broker.getPositions(accountId)).toEqual(positionsAfter);
    expect(positionsAfter.find((p) => p.conId === contract.conId)?.quantity).toBe(1);
  });

  it('an order that throws in a shared transaction is rolled back alone, and memory reloaded to agree with the file', async () => {
    const { harness, contract } = await connectedWithAapl();
    const accountId = harness.broker.accounts()[0] ?? 'DU1234567';
    // The second order's fill cannot be stored (after the ledger in memory booked it).
    failSecondCall('addFill', 'constraint failed');
    const before = harness.broker.storeCommits;
    const { placed } = await threeInOneTurn(harness, contract);
    expect(placed.map((p) => p.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(harness.broker.storeCommits - before).toBe(1);
    const positions = await harness.broker.getPositions(accountId);
    const summary = await harness.broker.getAccountSummary(accountId);
    expect(positions.find((p) => p.conId === contract.conId)?.quantity).toBe(2);
    await harness.restart(0);
    expect(await harness.broker.getPositions(accountId)).toEqual(positions);
    expect((await harness.broker.getAccountSummary(accountId)).totalCash).toEqual(summary.totalCash);
  });

  it('an order that throws after it ran SQL in a shared transaction is rolled back alone, the earlier orders\' fills kept', async () => {
    const { harness, contract } = await connectedWithAapl();
    const accountId = harness.broker.accounts()[0] ?? 'DU1234567';
    // The second order reads the fills table (which writes the fold's fills so far, its own and the first order's),
    // then fails: its savepoint, taken at that first statement, undoes the write, and the first order's fill waits
    // for COMMIT again.
    failSecondCall('savePosition', 'disk I/O error', (store) => expect(store.fills().length).toBeGreaterThanOrEqual(2));
    const before = harness.broker.storeCommits;
    const { ids, placed } = await threeInOneTurn(harness, contract);
    expect(placed.map((p) => p.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(harness.broker.storeCommits - before).toBe(1);
    const positions = await harness.broker.getPositions(accountId);
    expect(positions.find((p) => p.conId === contract.conId)?.quantity).toBe(2);
    expect((await harness.broker.getExecutions()).map((f) => f.orderId)).toEqual([ids[0], ids[2]]);
    await harness.restart(0);
    expect(await harness.broker.getPositions(accountId)).toEqual(positions);
    expect((await harness.broker.getExecutions()).map((f) => f.orderId)).toEqual([ids[0], ids[2]]);
  });

  it('an order whose SQL cannot be rolled back alone takes its whole shared transaction with it: every order in it is refused', async () => {
    const { harness, contract } = await connectedWithAapl();
    const accountId = harness.broker.accounts()[0] ?? 'DU1234567';
    const positionsBefore = await harness.broker.getPositions(accountId);
    failSecondCall('savePosition', 'disk I/O error', (store) => store.fills());
    const probe = new Database(':memory:');
    const proto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as { run: (...args: unknown[]) => unknown };
    probe.close();
    const run = proto.run;
    vi.spyOn(proto, 'run').mockImplementation(function (this: { source: string }, ...args: unknown[]) {
      if (this.source.startsWith('ROLLBACK TO')) throw new Error('disk I/O error');
      return run.apply(this, args);
    });
    const fills: Fill[] = [];
    harness.broker.on('fill', (f) => fills.push(f));
    const { ids, placed } = await threeInOneTurn(harness, contract);
    vi.restoreAllMocks();
    // The third order opened a transaction of its own once the fold was gone.
    expect(placed.map((p) => p.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    await turns(3);
    expect(fills.map((f) => f.orderId)).toEqual([ids[2]]);
    expect((await harness.broker.getExecutions()).map((f) => f.orderId)).toEqual([ids[2]]);
    const positions = await harness.broker.getPositions(accountId);
    expect(positions.find((p) => p.conId === contract.conId)?.quantity).toBe((positionsBefore.find((p) => p.conId === contract.conId)?.quantity ?? 0) + 1);
    await harness.restart(0);
    expect(await harness.broker.getPositions(accountId)).toEqual(positions);
  });

  it('a cancel in the turn of new orders commits them first, so that what it answers is committed', async () => {
    const { harness, contract, far } = await connectedWithAapl();
    const accountId = harness.broker.accounts()[0] ?? 'DU1234567';
    const resting = await placeSim(harness.broker, contract, { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'LMT', limitPrice: far });
    const [orderId] = await harness.broker.allocateOrderIds(1);
    const before = harness.broker.storeCommits;
    const placed = harness.broker.placeOrder({ ids: { orderId: orderId as string }, contract, spec: OrderSpec.parse({ symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT' }), accountId, orderRef: 'test-fold' });
    const cancelled = await harness.broker.cancelOrder(resting.orderId);
    expect(cancelled.status).toBe('CANCELLED');
    expect(harness.broker.storeCommits - before).toBe(2);
    expect((await placed).status).toBe('FILLED');
  });

  it('a shared commit that fails when memory cannot be reloaded either refuses its orders and disconnects; a reconnect loads the file', async () => {
    const { harness, contract } = await connectedWithAapl();
    const accountId = harness.broker.accounts()[0] ?? 'DU1234567';
    const spec = OrderSpec.parse({ symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT' });
    const positionsBefore = await harness.broker.getPositions(accountId);
    vi.spyOn(SimStore.prototype as unknown as { writePendingMeta: () => void }, 'writePendingMeta').mockImplementationOnce(() => {
      throw new Error('disk I/O error');
    });
    vi.spyOn(SimStore.prototype, 'loadAccount').mockImplementationOnce(() => {
      throw new Error('disk I/O error');
    });
    const states: string[] = [];
    harness.broker.on('connection', (c) => states.push(c.state));
    const ids = await harness.broker.allocateOrderIds(2);
    const placed = await Promise.allSettled(ids.map((orderId) => harness.broker.placeOrder({ ids: { orderId }, contract, spec, accountId, orderRef: `test-${orderId}` })));
    expect(placed.map((p) => p.status)).toEqual(['rejected', 'rejected']);
    await turns(2);
    expect(harness.broker.status().state).toBe('disconnected');
    expect(states).toEqual(['disconnected']);
    await harness.broker.connect();
    expect(await harness.broker.getPositions(accountId)).toEqual(positionsBefore);
  });
});
