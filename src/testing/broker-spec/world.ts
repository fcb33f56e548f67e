/**
 * What every case of the Broker specification shares: the harness and broker
 * under test, the events it emitted, and the small helpers (step until,
 * place an order, skip with the harness's reason). One world per backend,
 * filled in by the suite's beforeAll; cases read it when they run.
 */
import { expect, type TestContext } from 'vitest';
import { Bar, OrderSpec, type Contract, type Fill, type OrderSpecInput } from '../../core/models.js';
import type { Broker, BrokerOrderState, PlaceOrderAck } from '../../core/broker/port.js';

/** Cases a backend may be unable to run; each skip carries its reason. */
export type BrokerSpecCase = 'reconnect' | 'day-expiry' | 'bracket-fill';

export interface BrokerHarness {
  broker: Broker;
  /** Lets `ms` of market time pass (moves a manual clock, or waits on a live connection). */
  advance(ms: number): Promise<void>;
  /**
   * Cuts the broker off from its backend while `awayMs` of market time pass,
   * then brings it back, as a gateway restart does. Resolves with the broker to
   * use afterwards: the same object when it reconnects by itself, or a new one
   * (a restarted simulator), which `attach` sees before it connects so the
   * suite's listeners hear what it reports while catching up.
   */
  interrupt?(awayMs: number, attach: (broker: Broker) => void): Promise<Broker>;
  /** Cases this backend cannot run, and why. */
  skips?: Partial<Record<BrokerSpecCase, string>>;
  cleanup(): Promise<void>;
}

/** How many harness steps an order may take to reach a state before the test fails, and how long a step is. */
export const MAX_STEPS = 30;
export const STEP_MS = 1000;

export const AAPL = { symbol: 'AAPL', securityType: 'STK' as const };

export interface SpecWorld {
  h: BrokerHarness;
  broker: Broker;
  account: string;
  aapl: Contract;
  statuses: BrokerOrderState[];
  fills: Fill[];
  connections: string[];
}

/** Registers the world's event recorders on a broker. */
export function attach(w: SpecWorld, broker: Broker): void {
  broker.on('orderStatus', (s) => w.statuses.push(s));
  broker.on('fill', (f) => w.fills.push(f));
  broker.on('connection', (e) => w.connections.push(e.state));
}

/** Steps the harness until `done()` holds, or fails after `steps` steps of `stepMs`. */
export async function until(w: SpecWorld, what: string, done: () => boolean | Promise<boolean>, opts: { steps?: number; stepMs?: number } = {}): Promise<void> {
  const steps = opts.steps ?? MAX_STEPS;
  for (let i = 0; i < steps; i++) {
    if (await done()) return;
    await w.h.advance(opts.stepMs ?? STEP_MS);
  }
  if (await done()) return;
  throw new Error(`timed out waiting for ${what}`);
}

/** Allocates ids (three for a bracket) and places an AAPL order on the world's account. */
export async function place(w: SpecWorld, input: OrderSpecInput): Promise<PlaceOrderAck> {
  const spec = OrderSpec.parse(input);
  const bracket = spec.takeProfitPrice !== undefined || spec.stopLossPrice !== undefined;
  const [orderId, tp, sl] = await w.broker.allocateOrderIds(bracket ? 3 : 1);
  if (!orderId) throw new Error('allocateOrderIds returned no id');
  const ids = { orderId, ...(spec.takeProfitPrice !== undefined && tp ? { takeProfitOrderId: tp } : {}), ...(spec.stopLossPrice !== undefined && sl ? { stopLossOrderId: sl } : {}) };
  const ack = await w.broker.placeOrder({ ids, contract: w.aapl, spec, accountId: w.account, orderRef: `spec-${orderId}` });
  expect(ack.orderId).toBe(orderId);
  return ack;
}

/** Skips the running case with the harness's reason when the backend declared it cannot run it. */
export function skipIfDeclared(w: SpecWorld, ctx: TestContext, which: BrokerSpecCase): void {
  const reason = w.h.skips?.[which];
  if (reason) ctx.skip(reason);
}

export const statusOf = async (w: SpecWorld, orderId: string): Promise<string | undefined> => (await w.broker.getOrder(orderId))?.status;

/** The AAPL position's quantity on the world's account (0 when flat). */
export async function aaplHeld(w: SpecWorld): Promise<number> {
  return (await w.broker.getPositions(w.account)).find((p) => p.conId === w.aapl.conId)?.quantity ?? 0;
}

/** Sells (or buys back) whatever AAPL quantity differs from `target`, so a case leaves the account as it found it. */
export async function restorePosition(w: SpecWorld, target: number): Promise<void> {
  const diff = (await aaplHeld(w)) - target;
  if (diff === 0) return;
  const ack = await place(w, { ...AAPL, action: diff > 0 ? 'SELL' : 'BUY', quantity: Math.abs(diff), orderType: 'MKT', timeInForce: 'DAY' });
  await until(w, 'the restoring market order to fill', async () => (await statusOf(w, ack.orderId)) === 'FILLED');
  await until(w, 'the position to be restored', async () => (await aaplHeld(w)) === target);
}

/** Compares order ids numerically when both are integers (IBKR's are), else as strings. */
export function compareIds(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (Number.isSafeInteger(x) && Number.isSafeInteger(y)) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Rounds a price down to a whole number of ticks. */
export const floorToTick = (price: number, tick: number): number => Number((Math.floor(price / tick) * tick).toFixed(8));

/** `price` moved by `ticks` whole ticks (exactly, whatever the float error of the sum). */
export const plusTicks = (price: number, ticks: number, tick: number): number => Number(((Math.round(price / tick) + ticks) * tick).toFixed(8));

/** A price far below the market (half the reference), on the tick: a BUY limit there rests. */
export async function farBelow(w: SpecWorld): Promise<number> {
  const quote = await w.broker.getQuote(w.aapl);
  const reference = quote.bid ?? quote.last ?? quote.close;
  if (reference === null) throw new Error('no reference price for AAPL');
  return Math.max(w.aapl.minTick, floorToTick(reference * 0.5, w.aapl.minTick));
}

export function checkBars(bars: Bar[]): void {
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
