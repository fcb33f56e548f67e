/**
 * Options through the emulator with the real @stoqey/ib client: option chain
 * parameters (reqSecDefOptParams), contract details of OPT contracts and
 * snapshots carrying the model option computation, all agreeing with the
 * simulator's own option chain.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventName, OptionType, SecType, type Contract as IbContract } from '@stoqey/ib';
import type { Contract } from '../core/models.js';
import { makeHarness, type Harness } from './test-harness.js';

let h: Harness;

beforeEach(async () => {
  h = await makeHarness();
});

afterEach(async () => {
  for (const c of h.clients) expect(c.decoderErrors()).toEqual([]);
  await h.close();
});

const aapl = async (): Promise<Contract> => {
  const [c] = await h.broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
  if (!c) throw new Error('AAPL missing from the simulator');
  return c;
};

describe('options', () => {
  it('serves reqSecDefOptParams with the simulator chain expirations and strikes, then the End', async () => {
    const c = await h.connect(1);
    const und = await aapl();
    const chain = await h.broker.getOptionChain(und, { strikesAroundSpot: 1 });
    c.ib.reqSecDefOptParams(71, 'AAPL', '', SecType.STK, und.conId);
    await c.waitFor(EventName.securityDefinitionOptionParameterEnd, (a) => a[0] === 71);
    const rows = c.all(EventName.securityDefinitionOptionParameter, (a) => a[0] === 71);
    expect(rows).toHaveLength(1);
    const [, exchange, underlyingConId, tradingClass, multiplier, expirations, strikes] = rows[0] ?? [];
    expect(exchange).toBe('SMART');
    expect(underlyingConId).toBe(und.conId);
    expect(tradingClass).toBe('AAPL');
    expect(multiplier).toBe(100);
    expect(expirations).toEqual(chain.expirations.map((e) => e.replaceAll('-', '')));
    expect(strikes).toEqual(chain.strikes);

    // An underlying without listed options gets only the End.
    c.ib.reqSecDefOptParams(72, 'NOSUCHTHING', '', SecType.STK, 0);
    await c.waitFor(EventName.securityDefinitionOptionParameterEnd, (a) => a[0] === 72);
    expect(c.all(EventName.securityDefinitionOptionParameter, (a) => a[0] === 72)).toEqual([]);
  });

  it('serves contract details for OPT contracts and snapshots with the model option computation', async () => {
    const c = await h.connect(1);
    const und = await aapl();
    const chain = await h.broker.getOptionChain(und, { strikesAroundSpot: 1 });
    const row = chain.options.find((o) => o.right === 'C');
    if (!row) throw new Error('no call in the simulator chain');
    const opt: IbContract = { symbol: 'AAPL', secType: SecType.OPT, exchange: 'SMART', currency: 'USD', lastTradeDateOrContractMonth: row.expiry.replaceAll('-', ''), strike: row.strike, right: OptionType.Call };

    c.ib.reqContractDetails(73, opt);
    await c.waitFor(EventName.contractDetailsEnd, (a) => a[0] === 73);
    const details = c.all(EventName.contractDetails, (a) => a[0] === 73);
    expect(details).toHaveLength(1);
    expect(details[0]?.[1]).toMatchObject({ contract: { conId: row.conId, secType: 'OPT', strike: row.strike, right: 'C', multiplier: 100 } });

    // A whole expiry strip: every listed strike, both rights.
    c.ib.reqContractDetails(74, { symbol: 'AAPL', secType: SecType.OPT, exchange: 'SMART', currency: 'USD', lastTradeDateOrContractMonth: row.expiry.replaceAll('-', '') });
    await c.waitFor(EventName.contractDetailsEnd, (a) => a[0] === 74);
    expect(c.all(EventName.contractDetails, (a) => a[0] === 74)).toHaveLength(chain.strikes.length * 2);

    c.ib.reqMktData(75, { ...opt, conId: row.conId }, '', true, false);
    await c.waitFor(EventName.tickSnapshotEnd, (a) => a[0] === 75);
    const bid = c.all(EventName.tickPrice, (a) => a[0] === 75 && a[1] === 1)[0];
    const ask = c.all(EventName.tickPrice, (a) => a[0] === 75 && a[1] === 2)[0];
    expect(bid?.[2]).toBe(row.bid);
    expect(ask?.[2]).toBe(row.ask);
    const model = c.all(EventName.tickOptionComputation, (a) => a[0] === 75 && a[1] === 13)[0];
    if (!model) throw new Error('no model option computation tick');
    const [, , , iv, delta, optPrice, , gamma, vega, theta, undPrice] = model as number[];
    expect(iv).toBeCloseTo(row.impliedVolatility ?? NaN, 6);
    expect(delta).toBeCloseTo(row.delta ?? NaN, 6);
    expect(gamma).toBeCloseTo(row.gamma ?? NaN, 8);
    expect(vega).toBeCloseTo(row.vega ?? NaN, 6);
    expect(theta).toBeCloseTo(row.theta ?? NaN, 6);
    expect(optPrice).toBeCloseTo(((row.bid ?? 0) + (row.ask ?? 0)) / 2, 6);
    expect(undPrice).toBe(chain.underlyingPrice);
  });
});
