/**
 * The Broker contract suite: behaviour every Broker must have, whatever is
 * behind it. It runs against the simulator (brokers/sim/contract.test.ts) and
 * is meant to run unchanged against the TWS adapter over the TWS emulator, so
 * it asserts only what IBKR itself would also do: no simulator-only prices,
 * sizes or timings. A test that cannot apply to a backend skips with a reason.
 *
 * The harness owns time: `advance(ms)` moves a manual clock (the simulator) or
 * simply waits (a real socket). The suite never sleeps by itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountPnL, AccountSummary, Bar, BrokerStatus, Contract, Fill, OrderSpec, Position, Quote, type OrderSpecInput } from '../core/models.js';
import type { Broker, BrokerOrderState } from '../core/broker/port.js';

export interface BrokerHarness {
  broker: Broker;
  /** Lets `ms` of market time pass (moves a manual clock, or waits on a live connection). */
  advance(ms: number): Promise<void>;
  cleanup(): Promise<void>;
}

/** How many harness steps an order may take to reach a state before the test fails. */
const MAX_STEPS = 30;
const STEP_MS = 1000;

const AAPL = { symbol: 'AAPL', securityType: 'STK' as const };

/** Compares order ids numerically when both are integers (IBKR's are), else as strings. */
function compareIds(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (Number.isSafeInteger(x) && Number.isSafeInteger(y)) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Tick of a price level: rounds a price down to a whole number of ticks. */
const floorToTick = (price: number, tick: number): number => Number((Math.floor(price / tick) * tick).toFixed(8));

export function describeBrokerContract(name: string, makeHarness: () => Promise<BrokerHarness>): void {
  describe(`Broker contract: ${name}`, () => {
    let h: BrokerHarness;
    let broker: Broker;
    let account: string;
    let aapl: Contract;
    const statuses: BrokerOrderState[] = [];
    const fills: Fill[] = [];
    const connections: string[] = [];

    /** Steps the harness until `done()` holds, or fails after MAX_STEPS. */
    async function until(what: string, done: () => boolean | Promise<boolean>): Promise<void> {
      for (let i = 0; i < MAX_STEPS; i++) {
        if (await done()) return;
        await h.advance(STEP_MS);
      }
      if (await done()) return;
      throw new Error(`timed out waiting for ${what}`);
    }

    async function place(spec: OrderSpecInput): Promise<{ orderId: string; status: string }> {
      const parsed = OrderSpec.parse(spec);
      const [orderId] = await broker.allocateOrderIds(1);
      if (!orderId) throw new Error('allocateOrderIds returned no id');
      const ack = await broker.placeOrder({ ids: { orderId }, contract: aapl, spec: parsed, accountId: account, orderRef: `contract-${orderId}` });
      expect(ack.orderId).toBe(orderId);
      return ack;
    }

    beforeAll(async () => {
      h = await makeHarness();
      broker = h.broker;
      broker.on('orderStatus', (s) => statuses.push(s));
      broker.on('fill', (f) => fills.push(f));
      broker.on('connection', (e) => connections.push(e.state));
      await broker.connect();
      const first = broker.accounts()[0];
      if (!first) throw new Error('broker reported no managed accounts after connect()');
      account = first;
      const [resolved] = await broker.resolveContracts(AAPL);
      if (!resolved) throw new Error('AAPL did not resolve');
      aapl = resolved;
    });

    afterAll(async () => {
      if (!h) return;
      await h.broker.close();
      await h.cleanup();
    });

    it('connects and reports a connected status with its managed accounts', () => {
      const status = BrokerStatus.parse(broker.status());
      expect(status.connected).toBe(true);
      expect(status.state).toBe('connected');
      expect(status.kind).toBe(broker.kind);
      expect(status.accounts).toEqual(broker.accounts());
      expect(broker.accounts().length).toBeGreaterThan(0);
      for (const a of broker.accounts()) expect(a).toMatch(/^[A-Z0-9]+$/);
    });

    it('resolves AAPL to the IBKR contract 265598 (STK, USD)', async () => {
      const matches = await broker.resolveContracts(AAPL);
      expect(matches.length).toBeGreaterThan(0);
      for (const c of matches) Contract.parse(c);
      const hit = matches.find((c) => c.conId === 265598);
      expect(hit).toBeDefined();
      expect(hit?.securityType).toBe('STK');
      expect(hit?.currency).toBe('USD');
      expect(hit?.symbol).toBe('AAPL');
    });

    it('resolves an unknown symbol to no contracts (IBKR error 200), not an exception', async () => {
      await expect(broker.resolveContracts({ symbol: 'ZZZQXNOTREAL', securityType: 'STK' })).resolves.toEqual([]);
    });

    it('quotes AAPL with bid <= ask', async (ctx) => {
      const quote = Quote.parse(await broker.getQuote(aapl));
      expect(quote.conId).toBe(265598);
      if (quote.bid === null || quote.ask === null) ctx.skip('no two-sided market right now (market closed or no subscription): bid/ask ordering cannot be checked');
      expect(quote.bid).toBeLessThanOrEqual(quote.ask as number);
      if (quote.bidSize !== null) expect(quote.bidSize).toBeGreaterThanOrEqual(0);
      if (quote.askSize !== null) expect(quote.askSize).toBeGreaterThanOrEqual(0);
    });

    it('returns daily bars in time order, at most one per day of the duration', async () => {
      const bars = await broker.getHistoricalBars(aapl, { barSize: '1 day', duration: '1 M', whatToShow: 'TRADES', useRth: true });
      expect(bars.length).toBeGreaterThan(0);
      // At most one bar per calendar day of the month (24-hour markets and always-open sessions trade weekends too).
      expect(bars.length).toBeLessThanOrEqual(32);
      checkBars(bars);
    });

    it('returns intraday bars in time order, within the requested window', async () => {
      const end = new Date(Date.parse(broker.status().serverTime ?? new Date().toISOString())).toISOString();
      const bars = await broker.getHistoricalBars(aapl, { barSize: '1 hour', duration: '2 D', whatToShow: 'MIDPOINT', useRth: false, endTime: end });
      expect(bars.length).toBeGreaterThan(0);
      expect(bars.length).toBeLessThanOrEqual(2 * 24 + 1);
      checkBars(bars);
      const last = bars[bars.length - 1];
      expect(last && Date.parse(last.time)).toBeLessThanOrEqual(Date.parse(end));
    });

    it('reports account summary, positions and P&L in the shared shapes', async () => {
      const summary = AccountSummary.parse(await broker.getAccountSummary(account));
      expect(summary.accountId).toBe(account);
      expect(summary.netLiquidation).toBeGreaterThan(0);
      const positions = await broker.getPositions(account);
      for (const p of positions) {
        Position.parse(p);
        expect(p.accountId).toBe(account);
        expect(p.quantity).not.toBe(0);
      }
      const pnl = AccountPnL.parse(await broker.getPnl(account));
      expect(pnl.accountId).toBe(account);
    });

    it('allocates order ids that are unique and increasing', async () => {
      const first = await broker.allocateOrderIds(3);
      const second = await broker.allocateOrderIds(2);
      expect(first).toHaveLength(3);
      expect(second).toHaveLength(2);
      const all = [...first, ...second];
      expect(new Set(all).size).toBe(all.length);
      for (let i = 1; i < all.length; i++) expect(compareIds(all[i - 1] ?? '', all[i] ?? '')).toBeLessThan(0);
    });

    it('fills a market order, emits orderStatus and fill events, and lists the execution', async () => {
      const started = new Date(Date.parse(broker.status().serverTime ?? new Date().toISOString()) - 1000).toISOString();
      const ack = await place({ symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT', timeInForce: 'DAY' });
      expect(['PENDING_SUBMIT', 'SUBMITTED', 'ACCEPTED', 'PARTIALLY_FILLED', 'FILLED']).toContain(ack.status);
      await until('the market order to fill', async () => (await broker.getOrder(ack.orderId))?.status === 'FILLED');
      await until('the FILLED orderStatus event', () => statuses.some((s) => s.orderId === ack.orderId && s.status === 'FILLED'));
      await until('the fill event', () => fills.some((f) => f.orderId === ack.orderId));

      const state = await broker.getOrder(ack.orderId);
      expect(state?.filledQuantity).toBe(1);
      expect(state?.remainingQuantity).toBe(0);
      expect(state?.avgFillPrice).toBeGreaterThan(0);
      const mine = fills.filter((f) => f.orderId === ack.orderId);
      for (const f of mine) {
        Fill.parse(f);
        expect(f.side).toBe('BUY');
      }
      expect(mine.reduce((q, f) => q + f.quantity, 0)).toBe(1);

      const executions = await broker.getExecutions({ since: started });
      for (const e of executions) Fill.parse(e);
      for (const f of mine) expect(executions.map((e) => e.execId)).toContain(f.execId);

      const positions = await broker.getPositions(account);
      const held = positions.find((p) => p.conId === 265598);
      expect(held?.quantity ?? 0).toBeGreaterThanOrEqual(1);
      expect((await broker.getOpenOrders()).map((o) => o.orderId)).not.toContain(ack.orderId);

      // Leave the account as it was found.
      const exit = await place({ symbol: 'AAPL', action: 'SELL', quantity: 1, orderType: 'MKT', timeInForce: 'DAY' });
      await until('the closing market order to fill', async () => (await broker.getOrder(exit.orderId))?.status === 'FILLED');
    });

    it('rests a limit order far below the market, lists it as open, and cancels it', async () => {
      const quote = await broker.getQuote(aapl);
      const reference = quote.bid ?? quote.last ?? quote.close;
      if (reference === null) throw new Error('no reference price for AAPL');
      const limit = Math.max(aapl.minTick, floorToTick(reference * 0.5, aapl.minTick));
      const ack = await place({ symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'LMT', limitPrice: limit, timeInForce: 'GTC' });
      expect(['PENDING_SUBMIT', 'SUBMITTED', 'ACCEPTED']).toContain(ack.status);
      await until('the limit order to be working', async () => (await broker.getOpenOrders()).some((o) => o.orderId === ack.orderId));
      const open = (await broker.getOpenOrders()).find((o) => o.orderId === ack.orderId);
      expect(open?.filledQuantity).toBe(0);
      expect(open?.spec.limitPrice).toBe(limit);
      expect(open?.accountId).toBe(account);

      await broker.cancelOrder(ack.orderId);
      await until('the order to be cancelled', async () => (await broker.getOrder(ack.orderId))?.status === 'CANCELLED');
      await until('the CANCELLED orderStatus event', () => statuses.some((s) => s.orderId === ack.orderId && s.status === 'CANCELLED'));
      expect((await broker.getOpenOrders()).map((o) => o.orderId)).not.toContain(ack.orderId);
      expect(fills.some((f) => f.orderId === ack.orderId)).toBe(false);
    });

    it('reports an unknown order id as null', async () => {
      await expect(broker.getOrder('999999999')).resolves.toBeNull();
    });
  });
}

function checkBars(bars: Bar[]): void {
  let previous = -Infinity;
  for (const raw of bars) {
    const bar = Bar.parse(raw);
    const t = Date.parse(bar.time);
    expect(t).toBeGreaterThan(previous);
    previous = t;
    expect(bar.high).toBeGreaterThanOrEqual(Math.max(bar.open, bar.close));
    expect(bar.low).toBeLessThanOrEqual(Math.min(bar.open, bar.close));
    expect(bar.volume).toBeGreaterThanOrEqual(0);
  }
}
