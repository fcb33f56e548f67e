/**
 * goodAfterTime and GTD as IBKR applies them: an order with a goodAfterTime
 * still to come is accepted and held (SUBMITTED, IBKR's PreSubmitted, with
 * warning 399 naming the time in US/Eastern) and works from that time; a GTD
 * order expires at its goodTillDate. Both survive a restart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Contract } from '../../core/models.js';
import { OrderSpec } from '../../core/models.js';
import { makeSimHarness, placeSim, type SimHarness } from '../../testing/sim-harness.js';

let h: SimHarness | null = null;
afterEach(async () => {
  await h?.cleanup();
  h = null;
});

async function aapl(harness: SimHarness): Promise<Contract> {
  await harness.broker.connect();
  const [c] = await harness.broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
  if (!c) throw new Error('AAPL missing');
  return c;
}

describe('goodAfterTime', () => {
  it('holds a marketable order until its time, then fills it at the market of that time', async () => {
    h = makeSimHarness({ session: 'real', start: '2026-01-05T15:00:00.000Z' }); // Monday 10:00 ET
    const c = await aapl(h);
    const ack = await placeSim(h.broker, c, { symbol: 'AAPL', action: 'BUY', quantity: 10, orderType: 'MKT', goodAfterTime: '2026-01-05T16:30:00Z' });
    expect(ack.status).toBe('SUBMITTED');
    expect(ack.message).toBe('Warning 399: your order will not be placed at the exchange until 2026-01-05 11:30:00 US/Eastern');
    await h.advance(90 * 60_000 - 1000); // 11:29:59 ET
    expect(await h.broker.getExecutions()).toEqual([]);
    expect((await h.broker.getOrder(ack.orderId))?.status).toBe('SUBMITTED');
    await h.advance(2000);
    const fills = await h.broker.getExecutions();
    expect(fills.map((f) => f.time)).toEqual(['2026-01-05T16:30:00.000Z']);
    expect((await h.broker.getOrder(ack.orderId))?.status).toBe('FILLED');
  });

  it('counts a DAY order\'s day from its goodAfterTime: placed for tomorrow, it works tomorrow and expires at tomorrow\'s close', async () => {
    h = makeSimHarness({ session: 'real', start: '2026-01-05T20:30:00.000Z' }); // Monday 15:30 ET
    const c = await aapl(h);
    const ack = await placeSim(h.broker, c, { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'LMT', limitPrice: 1, timeInForce: 'DAY', goodAfterTime: '2026-01-06T15:00:00Z' });
    await h.advance(3_600_000); // Monday's close passes
    expect((await h.broker.getOrder(ack.orderId))?.status).toBe('SUBMITTED');
    await h.advance(19 * 3_600_000); // Tuesday 11:30 ET: working
    expect((await h.broker.getOrder(ack.orderId))?.status).toBe('ACCEPTED');
    await h.advance(5 * 3_600_000); // Tuesday 16:30 ET
    const done = await h.broker.getOrder(ack.orderId);
    expect(done?.status).toBe('EXPIRED');
    expect(done?.updatedAt).toBe('2026-01-06T21:00:00.000Z');
  });

  it('is still held after a restart and works from its time', async () => {
    h = makeSimHarness({ session: 'always-open' });
    const c = await aapl(h);
    const ack = await placeSim(h.broker, c, { symbol: 'AAPL', action: 'BUY', quantity: 5, orderType: 'MKT', timeInForce: 'GTC', goodAfterTime: '2026-01-05T15:10:00Z' });
    await h.restart(60_000);
    expect((await h.broker.getOrder(ack.orderId))?.status).toBe('SUBMITTED');
    await h.advance(10 * 60_000);
    expect((await h.broker.getExecutions()).map((f) => f.time)).toEqual(['2026-01-05T15:10:00.000Z']);
  });

  it('works at once when its time has already come', async () => {
    h = makeSimHarness({ session: 'always-open' });
    const c = await aapl(h);
    const ack = await placeSim(h.broker, c, { symbol: 'AAPL', action: 'BUY', quantity: 5, orderType: 'MKT', goodAfterTime: '2026-01-05T14:00:00Z' });
    expect(ack.status).toBe('FILLED');
  });
});

describe('GTD', () => {
  it('works until its goodTillDate and expires then', async () => {
    h = makeSimHarness({ session: 'real', start: '2026-01-05T15:00:00.000Z' });
    const c = await aapl(h);
    const ack = await placeSim(h.broker, c, { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'LMT', limitPrice: 1, timeInForce: 'GTD', goodTillDate: '2026-01-07T18:00:00Z' });
    expect(ack.status).toBe('ACCEPTED');
    await h.advance(2 * 86_400_000 + 3 * 3_600_000 - 1000); // Wednesday 12:59:59 ET: past two closes, still working
    expect((await h.broker.getOrder(ack.orderId))?.status).toBe('ACCEPTED');
    await h.advance(2000);
    const done = await h.broker.getOrder(ack.orderId);
    expect(done?.status).toBe('EXPIRED');
    expect(done?.updatedAt).toBe('2026-01-07T18:00:00.000Z');
    expect(done?.message).toBe('GTD order expired at its goodTillDate 2026-01-07T18:00:00Z');
  });

  it('keeps its goodTillDate when modified (outsideRth and quantity changed)', async () => {
    h = makeSimHarness({ session: 'always-open' });
    const c = await aapl(h);
    const input = { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'LMT', limitPrice: 1, timeInForce: 'GTD', goodTillDate: '2026-01-05T18:00:00Z' } as const;
    const ack = await placeSim(h.broker, c, input);
    const mod = await h.broker.modifyOrder({ orderId: ack.orderId, contract: c, spec: OrderSpec.parse({ ...input, quantity: 2, outsideRth: true }), accountId: 'DU1234567', orderRef: ack.orderId });
    expect(mod.accepted).toBe(true);
    await h.advance(3 * 3_600_000);
    const done = await h.broker.getOrder(ack.orderId);
    expect(done?.status).toBe('EXPIRED');
    expect(done?.updatedAt).toBe('2026-01-05T18:00:00.000Z');
  });

  it('refuses a goodTillDate already past', async () => {
    h = makeSimHarness({ session: 'always-open' });
    const c = await aapl(h);
    const ack = await placeSim(h.broker, c, { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'LMT', limitPrice: 1, timeInForce: 'GTD', goodTillDate: '2026-01-05T14:00:00Z' });
    expect(ack.status).toBe('REJECTED');
    expect(ack.message).toContain('goodTillDate 2026-01-05T14:00:00Z has already passed');
  });
});

describe('the order model', () => {
  const base = { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'LMT', limitPrice: 1 } as const;
  const problems = (input: object): string[] => {
    const r = OrderSpec.safeParse({ ...base, ...input });
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  it('asks GTD for a goodTillDate and goodTillDate for GTD', () => {
    expect(problems({ timeInForce: 'GTD' })).toEqual(['goodTillDate: timeInForce GTD requires goodTillDate']);
    expect(problems({ timeInForce: 'GTC', goodTillDate: '2026-01-07T18:00:00Z' })).toEqual(['goodTillDate: goodTillDate applies to timeInForce GTD only']);
  });
  it('takes UTC ISO 8601 times only, a goodAfterTime before the goodTillDate, and no goodAfterTime on IOC/FOK', () => {
    expect(problems({ goodAfterTime: '20260105 09:30:00 US/Eastern' })).toHaveLength(1);
    expect(problems({ timeInForce: 'GTD', goodAfterTime: '2026-01-08T00:00:00Z', goodTillDate: '2026-01-07T18:00:00Z' })).toEqual(['goodAfterTime: goodAfterTime must be before goodTillDate']);
    expect(problems({ timeInForce: 'IOC', goodAfterTime: '2026-01-08T00:00:00Z' })).toEqual(['goodAfterTime: a IOC order cannot wait for goodAfterTime']);
  });
});
