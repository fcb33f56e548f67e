/**
 * Executions the account makes without an order, as IB Gateway reports them
 * to the real @stoqey/ib client: an AAPL call held through its expiry
 * (Friday 2026-01-16) is exercised by the simulator, and the connected client
 * receives execDetails with order id 0 (permId 0, client id 0, no
 * liquidation flag) and a commission report for each leg; reqExecutions lists
 * them too.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventName } from '@stoqey/ib';
import { makeHarness, type Harness } from '../testing/emulator-harness.js';
import { placeSim } from '../testing/sim-harness.js';

let h: Harness;

beforeEach(async () => {
  h = await makeHarness();
});

afterEach(async () => {
  for (const c of h.clients) expect(c.decoderErrors()).toEqual([]);
  await h.close();
});

interface ExecArgs {
  orderId?: number;
  execId?: string;
  side?: string;
  shares?: number;
  price?: number;
  permId?: number;
  clientId?: number;
  liquidation?: number;
  exchange?: string;
  acctNumber?: string;
}

const exec = (args: unknown[]): ExecArgs => (args[2] ?? {}) as ExecArgs;
const contractOf = (args: unknown[]): { secType?: string; symbol?: string; strike?: number } => (args[1] ?? {}) as { secType?: string };

describe('executions without an order over the emulator', () => {
  it('an ITM call exercised at expiry reaches the client as execDetails with order id 0, live and from reqExecutions', async () => {
    const [call] = await h.broker.resolveContracts({ symbol: 'AAPL', securityType: 'OPT', expiry: '2026-01-16', strike: 200, right: 'C' });
    if (!call) throw new Error('no AAPL 200 call');
    const ack = await placeSim(h.broker, call, { symbol: 'AAPL', securityType: 'OPT', expiry: '2026-01-16', strike: 200, right: 'C', action: 'BUY', quantity: 1, orderType: 'MKT' });
    expect(ack.status).toBe('FILLED');
    const c = await h.connect(3);
    const account = h.broker.accounts()[0];

    h.clock.set('2026-01-16T21:30:00.000Z');
    const shares = await c.waitFor(EventName.execDetails, (a) => exec(a).orderId === 0 && contractOf(a).secType === 'STK');
    const option = c.all(EventName.execDetails, (a) => exec(a).orderId === 0 && contractOf(a).secType === 'OPT')[0] ?? [];
    expect(shares[0]).toBe(-1);
    expect(exec(shares)).toMatchObject({ side: 'BOT', shares: 100, price: 200, permId: 0, clientId: 0, liquidation: 0, exchange: 'EXERCISE', acctNumber: account });
    expect(exec(option)).toMatchObject({ side: 'SLD', shares: 1, price: 0, exchange: 'EXERCISE' });
    expect(contractOf(option)).toMatchObject({ symbol: 'AAPL', strike: 200 });
    await c.waitFor(EventName.commissionReport, (a) => (a[0] as { execId?: string }).execId === exec(shares).execId);

    c.ib.reqExecutions(9, {});
    await c.waitFor(EventName.execDetailsEnd, (a) => a[0] === 9);
    // (The option bought outside the API is listed with order id 0 as well, as a TWS manual order is; its permId is not 0.)
    const listed = c.all(EventName.execDetails, (a) => a[0] === 9 && exec(a).permId === 0).map((a) => [contractOf(a).secType, exec(a).side, exec(a).shares]);
    expect(listed).toEqual([
      ['OPT', 'SLD', 1],
      ['STK', 'BOT', 100],
    ]);
    // A filter on another client id leaves them out: no API client placed them.
    c.ib.reqExecutions(10, { clientId: '3' });
    await c.waitFor(EventName.execDetailsEnd, (a) => a[0] === 10);
    expect(c.all(EventName.execDetails, (a) => a[0] === 10 && exec(a).permId === 0)).toEqual([]);
  });
});
