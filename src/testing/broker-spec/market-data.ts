/** The Broker specification: quote streams and their release, and option chains. */
import { expect, it } from 'vitest';
import { OptionChain, Quote } from '../../core/models.js';
import { STEP_MS, until, type SpecWorld } from './world.js';

const STRIKES_AROUND_SPOT = 2;

export function marketDataCases(w: SpecWorld): void {
  it('streams quotes while subscribed, stops once released, and can subscribe again', async () => {
    const seen: Quote[] = [];
    const stop = w.broker.subscribeQuotes(w.aapl, (q) => seen.push(q));
    await until(w, 'two streamed quotes', () => seen.length >= 2);
    let previous = -Infinity;
    for (const raw of seen) {
      const q = Quote.parse(raw);
      expect(q.conId).toBe(w.aapl.conId);
      if (q.bid !== null && q.ask !== null) expect(q.bid).toBeLessThanOrEqual(q.ask);
      expect(Date.parse(q.timestamp)).toBeGreaterThanOrEqual(previous);
      previous = Date.parse(q.timestamp);
    }

    stop();
    // One step lets anything already on its way land; after that the stream is silent.
    await w.h.advance(STEP_MS);
    const released = seen.length;
    for (let i = 0; i < 5; i++) await w.h.advance(STEP_MS);
    expect(seen.length).toBe(released);

    // A broker with few market-data lines (IBKR's base allowance is 100) can stream again only because the first line was released.
    const again: Quote[] = [];
    const stopAgain = w.broker.subscribeQuotes(w.aapl, (q) => again.push(q));
    try {
      await until(w, 'a quote on the new subscription', () => again.length >= 1);
      expect(again[0]?.conId).toBe(w.aapl.conId);
    } finally {
      stopAgain();
    }
    expect(seen.length).toBe(released);
  });

  it('lists option expirations and strikes, and prices the nearest expiry around spot with greeks', async () => {
    const chain = OptionChain.parse(await w.broker.getOptionChain(w.aapl, { strikesAroundSpot: STRIKES_AROUND_SPOT }));
    expect(chain.underlyingConId).toBe(w.aapl.conId);
    expect(chain.multiplier).toBe(100);
    expect(chain.expirations.length).toBeGreaterThan(0);
    for (const e of chain.expirations) expect(e).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (let i = 1; i < chain.expirations.length; i++) expect((chain.expirations[i] ?? '') > (chain.expirations[i - 1] ?? '')).toBe(true);
    for (let i = 1; i < chain.strikes.length; i++) expect(chain.strikes[i]).toBeGreaterThan(chain.strikes[i - 1] ?? 0);

    const nearest = chain.expirations[0];
    expect(chain.options.length).toBeGreaterThan(0);
    // Calls and puts at up to STRIKES_AROUND_SPOT strikes each side of spot, plus the one at spot.
    expect(chain.options.length).toBeLessThanOrEqual(2 * (2 * STRIKES_AROUND_SPOT + 1));
    expect(new Set(chain.options.map((o) => o.right))).toEqual(new Set(['C', 'P']));
    for (const o of chain.options) {
      expect(o.expiry).toBe(nearest);
      expect(chain.strikes).toContain(o.strike);
      expect(o.conId).toBeGreaterThan(0);
      if (o.bid !== null && o.ask !== null) expect(o.bid).toBeLessThanOrEqual(o.ask);
      if (o.delta !== null) {
        if (o.right === 'C') expect(o.delta).toBeGreaterThanOrEqual(0);
        else expect(o.delta).toBeLessThanOrEqual(0);
        expect(Math.abs(o.delta)).toBeLessThanOrEqual(1);
      }
    }

    // Each priced option is a contract the broker resolves to the same conId.
    const one = chain.options[0];
    if (!one) throw new Error('no option priced');
    const resolved = await w.broker.resolveContracts({ symbol: w.aapl.symbol, securityType: 'OPT', expiry: one.expiry, strike: one.strike, right: one.right });
    expect(resolved.map((c) => c.conId)).toEqual([one.conId]);
  });
}
