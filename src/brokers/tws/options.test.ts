/** Option chains through the tws broker (reqSecDefOptParams, OPT contract details, snapshots with greeks) against the simulator's own chain. */
import { afterEach, describe, expect, it } from 'vitest';
import { makeTwsHarness, type TwsHarness } from '../../testing/tws-harness.js';

let h: TwsHarness | null = null;

afterEach(async () => {
  await h?.cleanup();
  h = null;
});

describe('tws broker option chains', () => {
  it('returns the expirations, strikes, prices and greeks the simulator lists', async () => {
    h = await makeTwsHarness();
    await h.broker.connect();
    const [und] = await h.broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
    if (!und) throw new Error('AAPL did not resolve');
    const viaTws = await h.broker.getOptionChain(und, { strikesAroundSpot: 2 });
    const direct = await h.sim.getOptionChain(und, { strikesAroundSpot: 2 });

    expect(viaTws.underlyingConId).toBe(direct.underlyingConId);
    expect(viaTws.multiplier).toBe(direct.multiplier);
    expect(viaTws.expirations).toEqual(direct.expirations);
    expect(viaTws.strikes).toEqual(direct.strikes);
    expect(viaTws.options.length).toBeGreaterThan(0);
    const tick = und.minTick;
    expect(Math.abs((viaTws.underlyingPrice ?? NaN) - (direct.underlyingPrice ?? NaN))).toBeLessThanOrEqual(tick * 2);

    // Both price the nearest expiry; spot may sit on either side of a strike boundary, so compare the options both list.
    const byConId = new Map(direct.options.map((o) => [o.conId, o]));
    const common = viaTws.options.filter((o) => byConId.has(o.conId));
    expect(common.length).toBeGreaterThanOrEqual(Math.min(viaTws.options.length, direct.options.length) - 2);
    for (const o of common) {
      const d = byConId.get(o.conId);
      if (!d) continue;
      expect(o.expiry).toBe(d.expiry);
      expect(o.strike).toBe(d.strike);
      expect(o.right).toBe(d.right);
      expect(Math.abs((o.bid ?? NaN) - (d.bid ?? NaN))).toBeLessThanOrEqual(0.01 + 1e-9);
      expect(Math.abs((o.ask ?? NaN) - (d.ask ?? NaN))).toBeLessThanOrEqual(0.01 + 1e-9);
      expect(o.impliedVolatility).toBeCloseTo(d.impliedVolatility ?? NaN, 4);
      expect(o.delta).toBeCloseTo(d.delta ?? NaN, 4);
      expect(o.gamma).toBeCloseTo(d.gamma ?? NaN, 6);
      expect(o.theta).toBeCloseTo(d.theta ?? NaN, 4);
      expect(o.vega).toBeCloseTo(d.vega ?? NaN, 4);
    }
  }, 30_000);
});
