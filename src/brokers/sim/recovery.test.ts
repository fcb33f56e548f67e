/**
 * Start-up repair: a sim.db left half-done by a crash (as versions that wrote a
 * fill and its consequences separately could leave it) is put right from the
 * stored fills when the broker connects. Each case makes the real state with
 * the broker, then rewrites order records as the crash left them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import type { Contract } from '../../core/models.js';
import type { BrokerOrderState } from '../../core/broker/port.js';
import { flush, makeSimHarness, MONDAY_10_ET, placeSim, type SimHarness } from '../../testing/sim-harness.js';
import { SimStore, type SimOrderRecord } from './store.js';

const ACCOUNT = 'DU1234567';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

interface Account {
  dataDir: string;
  clock: ManualClock;
  /** Connects a broker to the account; records the order statuses it announces. */
  open(): Promise<SimHarness & { aapl: Contract; statuses: BrokerOrderState[] }>;
}

function account(seed = 21): Account {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibkr-sim-repair-'));
  const clock = new ManualClock(MONDAY_10_ET);
  cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
  return {
    dataDir,
    clock,
    async open() {
      const h = makeSimHarness({ dataDir, clock, seed });
      cleanups.unshift(() => h.cleanup());
      const statuses: BrokerOrderState[] = [];
      h.broker.on('orderStatus', (s) => statuses.push(s));
      await h.broker.connect();
      const [aapl] = await h.broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
      if (!aapl) throw new Error('AAPL missing');
      return { ...h, aapl, statuses };
    },
  };
}

/** Rewrites one stored order as a crash left it; `change` returns whether it is still working. */
function rewrite(dataDir: string, orderId: string, change: (rec: SimOrderRecord) => boolean): void {
  const store = new SimStore(dataDir);
  try {
    const rec = store.order(orderId);
    if (!rec) throw new Error(`no order ${orderId}`);
    store.saveOrder(rec, change(rec));
  } finally {
    store.close();
  }
}

/** A bracket child as it is before its parent fills. */
const backToWaiting = (rec: SimOrderRecord): boolean => {
  rec.waitingForParent = true;
  rec.cap = 0;
  rec.parentDone = false;
  rec.state.status = 'SUBMITTED';
  rec.state.message = 'Waiting for the parent order to fill';
  return true;
};

/** A working order, as it was before the fill that ended it. */
const backToWorking = (rec: SimOrderRecord): boolean => {
  rec.state.status = 'ACCEPTED';
  rec.state.message = null;
  return true;
};

const stored = (dataDir: string, orderId: string): SimOrderRecord => {
  const store = new SimStore(dataDir);
  try {
    const rec = store.order(orderId);
    if (!rec) throw new Error(`no order ${orderId}`);
    return rec;
  } finally {
    store.close();
  }
};

describe('connecting repairs order state a crash left half-done', () => {
  it('a FILLED bracket parent whose exits still wait for it: the exits are armed, announced, and then work', async () => {
    const acct = account();
    const first = await acct.open();
    const ask = (await first.broker.getQuote(first.aapl)).ask as number;
    const ack = await placeSim(first.broker, first.aapl, { symbol: 'AAPL', action: 'BUY', quantity: 100, orderType: 'MKT', timeInForce: 'GTC', takeProfitPrice: Number((ask + 0.05).toFixed(2)), stopLossPrice: Number((ask - 30).toFixed(2)) });
    expect(ack.status).toBe('FILLED');
    const [tp, sl] = ack.children.map((c) => c.orderId) as [string, string];
    await first.cleanup();
    rewrite(acct.dataDir, tp, backToWaiting);
    rewrite(acct.dataDir, sl, backToWaiting);

    const h = await acct.open();
    await flush();
    for (const id of [tp, sl]) {
      expect((await h.broker.getOrder(id))?.status).toBe('ACCEPTED');
      expect(h.statuses.find((s) => s.orderId === id)).toMatchObject({ status: 'ACCEPTED', message: null });
      expect(stored(acct.dataDir, id)).toMatchObject({ waitingForParent: false, cap: 100, parentDone: true });
    }
    // Armed for real: the take-profit fills, cancels the stop-loss and closes the position.
    for (let i = 0; i < 1000 && (await h.broker.getOrder(tp))?.status !== 'FILLED'; i++) await h.advance(600_000);
    expect((await h.broker.getOrder(tp))?.status).toBe('FILLED');
    expect((await h.broker.getOrder(sl))?.status).toBe('CANCELLED');
    expect(await h.broker.getPositions(ACCOUNT)).toEqual([]);
  });

  it('an exit whose sibling FILLED but which is still working is cancelled by its OCA group', async () => {
    const acct = account();
    const first = await acct.open();
    const ask = (await first.broker.getQuote(first.aapl)).ask as number;
    const ack = await placeSim(first.broker, first.aapl, { symbol: 'AAPL', action: 'BUY', quantity: 100, orderType: 'MKT', timeInForce: 'GTC', takeProfitPrice: Number((ask + 0.05).toFixed(2)), stopLossPrice: Number((ask - 30).toFixed(2)) });
    const [tp, sl] = ack.children.map((c) => c.orderId) as [string, string];
    for (let i = 0; i < 1000 && (await first.broker.getOrder(tp))?.status !== 'FILLED'; i++) await first.advance(600_000);
    expect((await first.broker.getOrder(tp))?.status).toBe('FILLED');
    await first.cleanup();
    rewrite(acct.dataDir, sl, backToWorking);

    const h = await acct.open();
    expect(await h.broker.getOpenOrders()).toEqual([]);
    expect(await h.broker.getOrder(sl)).toMatchObject({ status: 'CANCELLED', message: `OCA group bracket-${ack.orderId}: order ${tp} filled` });
  });

  it('an OCA group with a fill and another member still working: the other member is cancelled', async () => {
    const acct = account();
    const first = await acct.open();
    const a = await placeSim(first.broker, first.aapl, { symbol: 'AAPL', action: 'BUY', quantity: 10, orderType: 'LMT', limitPrice: 100, ocaGroup: 'g1' });
    const b = await placeSim(first.broker, first.aapl, { symbol: 'AAPL', action: 'BUY', quantity: 10, orderType: 'MKT', ocaGroup: 'g1' });
    expect(b.status).toBe('FILLED');
    await first.cleanup();
    rewrite(acct.dataDir, a.orderId, backToWorking);

    const h = await acct.open();
    await flush();
    expect(await h.broker.getOpenOrders()).toEqual([]);
    expect(await h.broker.getOrder(a.orderId)).toMatchObject({ status: 'CANCELLED', message: `OCA group g1: order ${b.orderId} filled` });
    expect(h.statuses.find((s) => s.orderId === a.orderId)?.status).toBe('CANCELLED');
  });

  it('exits left working after their unfilled parent was cancelled are cancelled', async () => {
    const acct = account();
    const first = await acct.open();
    const ack = await placeSim(first.broker, first.aapl, { symbol: 'AAPL', action: 'BUY', quantity: 100, orderType: 'LMT', limitPrice: 100, takeProfitPrice: 120, stopLossPrice: 90 });
    await first.broker.cancelOrder(ack.orderId);
    await first.cleanup();
    for (const c of ack.children) rewrite(acct.dataDir, c.orderId, backToWaiting);

    const h = await acct.open();
    expect(await h.broker.getOpenOrders()).toEqual([]);
    for (const c of ack.children) expect((await h.broker.getOrder(c.orderId))?.status).toBe('CANCELLED');
  });

  it('leaves a consistent account alone: exits of a resting parent keep waiting, nothing is announced', async () => {
    const acct = account();
    const first = await acct.open();
    const ack = await placeSim(first.broker, first.aapl, { symbol: 'AAPL', action: 'BUY', quantity: 100, orderType: 'LMT', limitPrice: 100, takeProfitPrice: 120, stopLossPrice: 90 });
    const before = ack.children.map((c) => stored(acct.dataDir, c.orderId));
    await first.cleanup();

    const h = await acct.open();
    await flush();
    expect(h.statuses).toEqual([]);
    expect(ack.children.map((c) => stored(acct.dataDir, c.orderId))).toEqual(before);
    expect((await h.broker.getOpenOrders()).map((o) => o.status)).toEqual(['ACCEPTED', 'SUBMITTED', 'SUBMITTED']);
  });
});
