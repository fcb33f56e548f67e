/**
 * Fault tests against the TWS emulator: gateway restarts during a stream of
 * orders, a lost acknowledgement, IBKR connectivity notices, a burst of history
 * requests, delayed-data fallback, and nothing listening.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import { OrderSpec, type Contract, type Fill } from '../../core/models.js';
import type { BrokerOrderState, ConnectionEvent } from '../../core/broker/port.js';
import { createTwsBroker } from './index.js';
import { makeTwsHarness, type TwsHarness } from '../../testing/tws-harness.js';

let h: TwsHarness | null = null;

afterEach(async () => {
  await h?.cleanup();
  h = null;
});

async function setup(overrides = {}): Promise<{ h: TwsHarness; aapl: Contract; account: string }> {
  h = await makeTwsHarness(overrides);
  await h.broker.connect();
  const [aapl] = await h.broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
  if (!aapl) throw new Error('AAPL did not resolve');
  const account = h.broker.accounts()[0] ?? '';
  return { h, aapl, account };
}

async function place(x: TwsHarness, aapl: Contract, account: string, spec: Parameters<typeof OrderSpec.parse>[0]) {
  const [orderId] = await x.broker.allocateOrderIds(1);
  if (!orderId) throw new Error('no id');
  return x.broker.placeOrder({ ids: { orderId }, contract: aapl, spec: OrderSpec.parse(spec), accountId: account, orderRef: `t-${orderId}` });
}

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });

describe('tws broker faults', () => {
  it('survives 10 gateway restarts during a stream of orders: no fill lost, no order placed twice', async () => {
    const { h: x, aapl, account } = await setup();
    const fills: Fill[] = [];
    x.broker.on('fill', (f) => fills.push(f));
    const placed: string[] = [];
    for (let round = 0; round < 10; round++) {
      const ack = await place(x, aapl, account, { symbol: 'AAPL', action: round % 2 === 0 ? 'BUY' : 'SELL', quantity: 1, orderType: 'MKT', timeInForce: 'DAY' });
      placed.push(ack.orderId);
      // Restart while the fill may still be on its way; the reconnect's reconciliation must recover it.
      await x.emulator.refuseConnectionsFor(100);
      await x.until(`reconnect ${round}`, () => x.broker.status().state === 'connected');
    }
    await x.until('every order filled', () => placed.every((id) => x.broker.status().connected && fills.some((f) => f.orderId === id)));
    const simFills = await x.sim.getExecutions();
    expect(simFills).toHaveLength(placed.length);
    // Each execution reported exactly once.
    expect(new Set(fills.map((f) => f.execId)).size).toBe(fills.length);
    expect(fills.map((f) => f.execId).sort()).toEqual(simFills.map((f) => f.execId).sort());
    for (const id of placed) expect((await x.broker.getOrder(id))?.status).toBe('FILLED');
    expect(x.broker.status().detail.reconnects).toBeGreaterThanOrEqual(10);
  }, 60_000);

  it('settles an order that ended while disconnected at reconciliation, with no fill invented', async () => {
    const { h: x, aapl, account } = await setup();
    const fills: Fill[] = [];
    x.broker.on('fill', (f) => fills.push(f));
    const quote = await x.broker.getQuote(aapl);
    // A resting order that is cancelled at the broker while we are disconnected (as a DAY order expiring would be).
    const ack = await place(x, aapl, account, { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'LMT', limitPrice: Number((Math.floor(((quote.bid ?? 100) * 0.999) / aapl.minTick) * aapl.minTick).toFixed(2)), timeInForce: 'GTC' });
    x.emulator.dropAllConnections();
    const sims = await x.sim.getOpenOrders();
    for (const o of sims) await x.sim.cancelOrder(o.orderId);
    await x.until('reconnected', () => x.broker.status().state === 'connected');
    await x.until('the order settled by reconciliation', async () => (await x.broker.getOrder(ack.orderId))?.status === 'CANCELLED');
    expect(fills.filter((f) => f.orderId === ack.orderId)).toHaveLength(0);
  }, 30_000);

  it('notices a gateway that goes silent without closing the socket (watchdog) and reconnects', async () => {
    const { h: x, aapl } = await setup({ watchdog: { idleMs: 300, probeTimeoutMs: 300 } });
    const events: ConnectionEvent[] = [];
    x.broker.on('connection', (e) => events.push(e));
    const before = x.broker.status().detail.reconnects as number;
    x.emulator.goSilent();
    await x.until('the silence noticed', () => events.some((e) => e.state === 'connecting' && /half-open/.test(e.message ?? '')), 5000);
    await x.until('reconnected', () => x.broker.status().state === 'connected' && (x.broker.status().detail.reconnects as number) > before, 5000);
    // The new session serves commands.
    const q = await x.broker.getQuote(aapl);
    expect(q.bid ?? q.last).not.toBeNull();
  }, 20_000);

  it('a lost acknowledgement leaves the order PENDING_SUBMIT, never resent, then found by reconciliation', async () => {
    const { h: x, aapl, account } = await setup({ requestTimeoutMs: 800 });
    const quote = await x.broker.getQuote(aapl);
    const limit = Number((Math.floor(((quote.bid ?? 100) * 0.5) / aapl.minTick) * aapl.minTick).toFixed(2));
    x.emulator.dropNextOrderAck();
    const ack = await place(x, aapl, account, { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'LMT', limitPrice: limit, timeInForce: 'GTC' });
    expect(ack.status).toBe('PENDING_SUBMIT');
    await x.until('the order found working', async () => (await x.broker.getOrder(ack.orderId))?.status === 'ACCEPTED');
    // Exactly one order at the broker: nothing was sent twice.
    expect(await x.sim.getOpenOrders()).toHaveLength(1);
  }, 20_000);

  it('1100 marks the connection degraded and holds new orders; 1102 restores it; 1101 resubscribes quotes', async () => {
    const { h: x, aapl, account } = await setup();
    const events: ConnectionEvent[] = [];
    x.broker.on('connection', (e) => events.push(e));
    const quotes: number[] = [];
    const stop = x.broker.subscribeQuotes(aapl, () => quotes.push(Date.now()));
    await x.advance(1000);
    await x.until('first quote', () => quotes.length > 0);

    x.emulator.sendConnectivity(1100);
    await x.until('degraded', () => x.broker.status().state === 'degraded');
    expect(events.some((e) => e.state === 'degraded' && e.code === 1100)).toBe(true);
    await expect(place(x, aapl, account, { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT', timeInForce: 'DAY' })).rejects.toMatchObject({ code: 'BROKER_DEGRADED' });
    expect(await x.sim.getExecutions()).toHaveLength(0);

    x.emulator.sendConnectivity(1102);
    await x.until('connected again', () => x.broker.status().state === 'connected');

    x.emulator.sendConnectivity(1101);
    await x.until('1101 seen', () => events.some((e) => e.code === 1101));
    const before = quotes.length;
    await x.until('quotes flow again after 1101', async () => {
      await x.advance(1000);
      return quotes.length > before;
    });
    stop();
  }, 20_000);

  it('a burst of 500 history requests finishes with no pacing error; repeats come from the cache', async () => {
    const { h: x } = await setup();
    const symbols = ['AAPL', 'MSFT', 'SPY'];
    const contracts: Contract[] = [];
    for (const symbol of symbols) {
      const [c] = await x.broker.resolveContracts({ symbol, securityType: 'STK' });
      if (c) contracts.push(c);
    }
    const end = new Date(Date.parse('2026-01-05T15:00:00.000Z')).toISOString();
    const queries = [
      { barSize: '1 day', duration: '1 M', whatToShow: 'TRADES', useRth: true },
      { barSize: '1 hour', duration: '2 D', whatToShow: 'MIDPOINT', useRth: false },
    ] as const;
    const jobs: Promise<unknown>[] = [];
    for (let i = 0; i < 500; i++) {
      const c = contracts[i % contracts.length];
      const q = queries[i % queries.length];
      if (!c || !q) continue;
      jobs.push(x.broker.getHistoricalBars(c, { ...q, endTime: end }));
    }
    const results = await Promise.allSettled(jobs);
    const failures = results.filter((r) => r.status === 'rejected');
    expect(failures).toEqual([]);
    const stats = x.broker.historicalStats();
    expect(stats.requests).toBe(500);
    expect(stats.fetches).toBeLessThanOrEqual(contracts.length * queries.length * 2);
    expect(stats.servedFromCache).toBeGreaterThanOrEqual(500 - contracts.length * queries.length);
  }, 60_000);

  it('falls back to delayed data when the account has no subscription (354)', async () => {
    const { h: x, aapl } = await setup();
    x.emulator.forceDelayedMarketData(true);
    const q = await x.broker.getQuote(aapl);
    expect(q.source).toBe('IBKR_DELAYED');
    expect(q.bid ?? q.last).not.toBeNull();
    expect(x.broker.status().marketDataType).toBe('DELAYED');
  }, 20_000);

  it('fails connect() with BROKER_UNAVAILABLE within a few seconds when nothing listens', async () => {
    const port = await freePort();
    const os = await import('node:os');
    const fs = await import('node:fs');
    const path = await import('node:path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tws-none-'));
    const broker = createTwsBroker({ host: '127.0.0.1', port, clientId: 1, dataDir: dir });
    const started = Date.now();
    const err = await broker.connect().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('BROKER_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(broker.status().state).toBe('disconnected');
    await broker.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('never reports an order state it did not see (statuses are monotonic through reconnects)', async () => {
    const { h: x, aapl, account } = await setup();
    const states: BrokerOrderState[] = [];
    x.broker.on('orderStatus', (s) => states.push(s));
    const ack = await place(x, aapl, account, { symbol: 'AAPL', action: 'BUY', quantity: 2, orderType: 'MKT', timeInForce: 'DAY' });
    // Listeners hear an order's events on the next turn of the event loop: wait for the FILLED report itself.
    await x.until('the fill reported', () => states.some((s) => s.orderId === ack.orderId && s.status === 'FILLED'));
    const reconnects = x.broker.status().detail.reconnects as number;
    x.emulator.dropAllConnections();
    await x.until('reconnected', () => x.broker.status().state === 'connected' && (x.broker.status().detail.reconnects as number) > reconnects);
    const mine = states.filter((s) => s.orderId === ack.orderId).map((s) => s.status);
    const first = mine.indexOf('FILLED');
    expect(first).toBeGreaterThanOrEqual(0);
    // Once FILLED, only FILLED (later events may complete the commission): the reconnect did not regress it.
    expect(mine.slice(first).every((st) => st === 'FILLED')).toBe(true);
    expect((await x.broker.getOrder(ack.orderId))?.filledQuantity).toBe(2);
  }, 20_000);
});
