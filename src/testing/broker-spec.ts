/**
 * The Broker specification: behaviour every Broker must have, whatever is
 * behind it. The same cases run against the simulator
 * (brokers/sim/broker-spec.test.ts), the TWS adapter over a real socket to the
 * TWS emulator (brokers/tws/broker-spec.test.ts), and, opt-in, a real IB paper
 * gateway (brokers/tws/ibkr-live.test.ts). So it asserts only what IBKR itself
 * would also do: no simulator-only prices, sizes or timings.
 *
 * The harness owns time: `advance(ms)` moves a manual clock (the simulator) or
 * simply waits (a real market). The suite never sleeps by itself. A backend
 * that cannot run a case declares it in `skips` with the reason, and the case
 * reports itself skipped with that reason.
 *
 * The cases, in the order they run (later ones move the clock by days):
 * - broker-spec/basics.ts: session, contracts, quotes, history, account, order ids;
 * - broker-spec/orders.ts: market and limit orders, what-if, brackets, OCA;
 * - broker-spec/modify.ts: modifying a working order in place (price, quantity, a filled order, a race with a fill);
 * - broker-spec/market-data.ts: quote streams and their release, option chains;
 * - broker-spec/recovery.ts: fills missed during a gateway restart, DAY expiry.
 * Cancel-all joins when the Broker port has it.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import type { Broker } from '../core/broker/port.js';
import type { Contract } from '../core/models.js';
import { sessionAndDataCases } from './broker-spec/basics.js';
import { marketDataCases } from './broker-spec/market-data.js';
import { modifyCases } from './broker-spec/modify.js';
import { orderCases } from './broker-spec/orders.js';
import { recoveryCases } from './broker-spec/recovery.js';
import { AAPL, attach, type BrokerHarness, type SpecWorld } from './broker-spec/world.js';

export type { BrokerHarness, BrokerSpecCase } from './broker-spec/world.js';

export function describeBrokerSpec(name: string, makeHarness: () => Promise<BrokerHarness>): void {
  describe(`Broker specification: ${name}`, () => {
    // Filled in by beforeAll; every case reads it when it runs.
    const w: SpecWorld = { h: null as unknown as BrokerHarness, broker: null as unknown as Broker, account: '', aapl: null as unknown as Contract, statuses: [], fills: [], connections: [] };

    beforeAll(async () => {
      w.h = await makeHarness();
      w.broker = w.h.broker;
      attach(w, w.broker);
      await w.broker.connect();
      const first = w.broker.accounts()[0];
      if (!first) throw new Error('broker reported no managed accounts after connect()');
      w.account = first;
      const [resolved] = await w.broker.resolveContracts(AAPL);
      if (!resolved) throw new Error('AAPL did not resolve');
      w.aapl = resolved;
    });

    afterAll(async () => {
      if (!w.h) return;
      await w.broker.close();
      await w.h.cleanup();
    });

    sessionAndDataCases(w);
    orderCases(w);
    modifyCases(w);
    marketDataCases(w);
    recoveryCases(w);
  });
}
