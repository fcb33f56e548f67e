/**
 * Expiry processing at the close of the expiry day (IBKR/OCC rules): ITM by
 * >= USD 0.01 long options are exercised, short ones assigned, OTM ones
 * expire worthless; futures are closed at final settlement with the P&L in
 * cash. Each event is a fill with order id "0" on the fill stream and in the
 * stored executions. Manual clock: Monday 2026-01-05, AAPL options expiring
 * Friday 2026-01-16, ESH6 expiring Friday 2026-03-20.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Decimal } from 'decimal.js';
import type { Contract, Fill } from '../../core/models.js';
import { flush, makeSimHarness, placeSim, type SimHarness } from '../../testing/sim-harness.js';
import { settlementTime } from './expiry.js';

const ACCOUNT = 'DU1234567';
const AFTER_JAN_16_CLOSE = '2026-01-16T21:30:00.000Z';
let h: SimHarness | null = null;
let fills: Fill[] = [];

afterEach(async () => {
  await h?.cleanup();
  h = null;
  fills = [];
});

async function start(): Promise<SimHarness> {
  h = makeSimHarness();
  h.broker.on('fill', (f) => fills.push(f));
  await h.broker.connect();
  return h;
}

async function option(strike: number, right: 'C' | 'P'): Promise<Contract> {
  const [c] = (await h?.broker.resolveContracts({ symbol: 'AAPL', securityType: 'OPT', expiry: '2026-01-16', strike, right })) ?? [];
  if (!c) throw new Error(`AAPL ${strike}${right} missing`);
  return c;
}

async function trade(contract: Contract, action: 'BUY' | 'SELL', quantity: number): Promise<void> {
  const ack = await placeSim(h?.broker as SimHarness['broker'], contract, { symbol: contract.symbol, securityType: contract.securityType, expiry: contract.expiry, strike: contract.strike, right: contract.right, action, quantity, orderType: 'MKT' });
  expect(ack.status).toBe('FILLED');
  await flush();
}

/** AAPL's closing price on the expiry day, as the simulator settles against it. */
async function aaplAtExpiry(): Promise<number> {
  const broker = h?.broker as SimHarness['broker'];
  const [aapl] = await broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
  const bars = await broker.getHistoricalBars(aapl as Contract, { barSize: '1 day', duration: '5 D', endTime: AFTER_JAN_16_CLOSE, useRth: true, whatToShow: 'TRADES' });
  return bars.at(-1)?.close ?? NaN;
}

describe('options at expiry', () => {
  it('an ITM call held through expiry becomes 100 shares per contract at the strike, and the option disappears', async () => {
    await start();
    const call = await option(200, 'C');
    await trade(call, 'BUY', 2);
    const cashBefore = (await h!.broker.getAccountSummary(ACCOUNT)).totalCash;
    h!.clock.set(AFTER_JAN_16_CLOSE);
    await flush();
    const positions = await h!.broker.getPositions(ACCOUNT);
    expect(positions.find((p) => p.conId === call.conId)).toBeUndefined();
    const shares = positions.find((p) => p.symbol === 'AAPL' && p.securityType === 'STK');
    expect(shares?.quantity).toBe(200);
    expect(shares?.avgCost).toBe(200);
    // Exercise pays the strike for the shares and nothing else.
    expect((await h!.broker.getAccountSummary(ACCOUNT)).totalCash).toBe(new Decimal(cashBefore).minus(40_000).toNumber());
    const events = fills.filter((f) => f.orderId === '0');
    expect(events.map((f) => [f.exchange, f.side, f.quantity, f.price])).toEqual([
      ['EXERCISE', 'SELL', 2, 0],
      ['EXERCISE', 'BUY', 200, 200],
    ]);
    expect(events[0]?.time).toBe(new Date(Date.parse('2026-01-16T21:00:00.000Z')).toISOString());
  });

  it('an OTM call expires at zero: the premium is the realised loss and nothing is delivered', async () => {
    await start();
    const call = await option(400, 'C');
    await trade(call, 'BUY', 1);
    const [held] = await h!.broker.getPositions(ACCOUNT);
    const paid = new Decimal(held?.avgCost as number);
    h!.clock.set(AFTER_JAN_16_CLOSE);
    await flush();
    expect(await h!.broker.getPositions(ACCOUNT)).toEqual([]);
    const expired = fills.find((f) => f.orderId === '0');
    expect([expired?.exchange, expired?.price]).toEqual(['EXPIRED', 0]);
    expect(expired?.realizedPnl).toBe(paid.neg().toDecimalPlaces(2).toNumber());
  });

  it('a short ITM put is assigned: 100 shares per contract bought at the strike', async () => {
    await start();
    const put = await option(300, 'P');
    await trade(put, 'SELL', 1);
    const spot = await aaplAtExpiry();
    expect(spot).toBeLessThan(299.99);
    h!.clock.set(AFTER_JAN_16_CLOSE);
    await flush();
    const positions = await h!.broker.getPositions(ACCOUNT);
    expect(positions.map((p) => [p.securityType, p.quantity, p.avgCost])).toEqual([['STK', 100, 300]]);
    expect(fills.filter((f) => f.orderId === '0').map((f) => f.exchange)).toEqual(['ASSIGNMENT', 'ASSIGNMENT']);
  });

  it('the expiry events are stored executions and survive a restart without happening twice', async () => {
    await start();
    await trade(await option(200, 'C'), 'BUY', 1);
    h!.clock.set(AFTER_JAN_16_CLOSE);
    await flush();
    const executions = await h!.broker.getExecutions({});
    expect(executions.filter((e) => e.orderId === '0')).toHaveLength(2);
    await h!.restart(86_400_000);
    expect((await h!.broker.getPositions(ACCOUNT)).map((p) => p.quantity)).toEqual([100]);
    expect((await h!.broker.getExecutions({})).filter((e) => e.orderId === '0')).toHaveLength(2);
  });
});

describe('futures at expiry', () => {
  it('ES held through expiry is closed at the final settlement price and its P&L is in cash', async () => {
    await start();
    const [es] = await h!.broker.resolveContracts({ symbol: 'ES', securityType: 'FUT' });
    expect(es?.expiry).toBe('2026-03-20');
    await trade(es as Contract, 'BUY', 1);
    const entry = fills[0];
    const cashBefore = (await h!.broker.getAccountSummary(ACCOUNT)).totalCash;
    h!.clock.set('2026-03-23T15:00:00.000Z');
    await flush();
    expect(await h!.broker.getPositions(ACCOUNT)).toEqual([]);
    const settled = fills.find((f) => f.orderId === '0');
    expect(settled?.exchange).toBe('FINAL-SETTLEMENT');
    expect(settled?.time).toBe(new Date(settlementTime({ cls: 'future', contract: es, schedule: { kind: 'cme-equity', rthOpen: 570, rthClose: 960 } } as never) ?? 0).toISOString());
    const pnl = new Decimal(settled?.price as number).minus(entry?.price as number).times(50);
    const cashAfter = (await h!.broker.getAccountSummary(ACCOUNT)).totalCash;
    expect(cashAfter).toBe(new Decimal(cashBefore).plus(pnl).toDecimalPlaces(2).toNumber());
    expect(settled?.realizedPnl).toBe(pnl.minus(entry?.commission as number).toDecimalPlaces(2).toNumber());
  });
});
