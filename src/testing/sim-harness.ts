/**
 * Test support for the simulator: a broker on a manual clock in a temporary
 * data directory. Tests move the clock; nothing sleeps.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '../core/clock.js';
import { OrderSpec, type Contract, type OrderSpecInput } from '../core/models.js';
import type { PlaceOrderAck } from '../core/broker/port.js';
import { SimBroker, type SimBrokerOptions } from '../brokers/sim/broker.js';

export interface SimHarness {
  /** The broker in use (replaced by `restart`). */
  broker: SimBroker;
  clock: ManualClock;
  dataDir: string;
  /** Moves the clock and lets queued events reach their listeners. */
  advance(ms: number): Promise<void>;
  /**
   * A gateway restart: closes the broker, lets `awayMs` of market time pass
   * (the simulated exchange keeps going), and connects a new broker over the
   * same data directory. `beforeConnect` sees the new broker first, so its
   * listeners hear what it reports while catching up.
   */
  restart(awayMs: number, beforeConnect?: (broker: SimBroker) => void): Promise<SimBroker>;
  cleanup(): Promise<void>;
}

/** Monday 2026-01-05 10:00 New York: a regular session is open. */
export const MONDAY_10_ET = '2026-01-05T15:00:00.000Z';

/**
 * Lets queued events reach their listeners and what they record reach the
 * store: a listener's write is group-committed at the end of the turn it was
 * asked for in (core/audit/sqlite/group-commit.ts), so wait a few turns.
 */
export async function flush(turns = 4): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

export function makeSimHarness(options: Partial<SimBrokerOptions> & { start?: string | number; dataDir?: string } = {}): SimHarness {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ibkr-sim-'));
  const clock = options.clock instanceof ManualClock ? options.clock : new ManualClock(options.start ?? MONDAY_10_ET);
  // Financing is off unless a test asks for it: a test about fills should not see a day's interest in its cash figures.
  const make = (): SimBroker => new SimBroker({ seed: 42, session: 'always-open', startingCash: 1_000_000, financing: false, ...options, dataDir, clock });
  const harness: SimHarness = {
    broker: make(),
    clock,
    dataDir,
    async advance(ms: number) {
      clock.advance(ms);
      await flush();
    },
    async restart(awayMs, beforeConnect) {
      await harness.broker.close();
      clock.advance(awayMs);
      const next = make();
      beforeConnect?.(next);
      harness.broker = next;
      await next.connect();
      await flush();
      return next;
    },
    async cleanup() {
      await harness.broker.close();
      if (!options.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** Allocates ids (three for a bracket) and places an order on the sim's default account. */
export async function placeSim(broker: SimBroker, contract: Contract, input: OrderSpecInput): Promise<PlaceOrderAck> {
  const spec = OrderSpec.parse(input);
  const bracket = spec.takeProfitPrice !== undefined || spec.stopLossPrice !== undefined;
  const ids = await broker.allocateOrderIds(bracket ? 3 : 1);
  const [orderId, tp, sl] = ids;
  if (!orderId) throw new Error('no order id');
  const account = broker.accounts()[0] ?? 'DU1234567';
  return broker.placeOrder({
    ids: { orderId, ...(bracket && spec.takeProfitPrice !== undefined ? { takeProfitOrderId: tp } : {}), ...(bracket && spec.stopLossPrice !== undefined ? { stopLossOrderId: sl } : {}) },
    contract,
    spec,
    accountId: account,
    orderRef: `test-${orderId}`,
  });
}
