/**
 * The book's microstructure: impact that persists while the book refills with
 * a half-life, and price improvement when the market opens through a resting limit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Contract } from '../../core/models.js';
import { Catalogue, type Instrument } from './catalogue.js';
import { Market } from './market.js';
import { etToUtc, nextOpen } from './sessions.js';
import { flush, makeSimHarness, placeSim, type SimHarness } from '../../testing/sim-harness.js';

let h: SimHarness | null = null;
afterEach(async () => {
  await h?.cleanup();
  h = null;
});

async function startAt(start: string, options: Parameters<typeof makeSimHarness>[0] = {}): Promise<{ h: SimHarness; aapl: Contract }> {
  h = makeSimHarness({ start, startingCash: 10_000_000, ...options });
  await h.broker.connect();
  const [aapl] = await h.broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
  if (!aapl) throw new Error('AAPL missing');
  return { h, aapl };
}

/** The market's own touch, before anything the account traded: what one share would cost at the touch. */
const undisturbed = new Market(42, 'always-open');
const aaplInst = new Catalogue().listedBySymbol('AAPL')[0] as Instrument;

describe('impact that persists', () => {
  it('slicing 9,000 AAPL over 10 seconds costs more than buying each slice at the touch', async () => {
    const { h: sim, aapl } = await startAt('2026-01-05T15:00:00.000Z');
    let atTouch = 0;
    for (let i = 0; i < 10; i++) {
      atTouch += (undisturbed.quote(aaplInst, sim.clock.now()).ask as number) * 900;
      await placeSim(sim.broker, aapl, { symbol: 'AAPL', action: 'BUY', quantity: 900, orderType: 'MKT' });
      await sim.advance(1000);
    }
    await sim.advance(60_000);
    const fills = await sim.broker.getExecutions();
    expect(fills.reduce((n, f) => n + f.quantity, 0)).toBe(9000);
    const paid = fills.reduce((v, f) => v + f.price * f.quantity, 0);
    // Each slice walks into the depth the earlier slices took and that has not refilled yet.
    expect(paid).toBeGreaterThan(atTouch);
    expect(paid / 9000 - atTouch / 9000).toBeGreaterThanOrEqual(0.01);
  });

  it('refills over its half-life: the same buy right after a sweep pays more than one placed ten half-lives later', async () => {
    const cost = async (waitMs: number): Promise<number> => {
      const { h: sim, aapl } = await startAt('2026-01-05T15:00:00.000Z', { depthHalfLifeMs: 5_000 });
      await placeSim(sim.broker, aapl, { symbol: 'AAPL', action: 'BUY', quantity: 6000, orderType: 'MKT' });
      await sim.advance(waitMs);
      const touch = undisturbed.quote(aaplInst, sim.clock.now()).ask as number;
      const ack = await placeSim(sim.broker, aapl, { symbol: 'AAPL', action: 'BUY', quantity: 100, orderType: 'MKT' });
      const o = await sim.broker.getOrder(ack.orderId);
      await sim.cleanup();
      h = null;
      return (o?.avgFillPrice ?? 0) - touch;
    };
    expect(await cost(1_000)).toBeGreaterThan(0);
    expect(await cost(50_000)).toBe(0);
  });
});

describe('own impact in quotes and across a restart', () => {
  it('shows what a sweep took in the quote (the touch moves up a level per displayed size) and fills the next buy at that quote', async () => {
    const { h: sim, aapl } = await startAt('2026-01-05T15:00:00.000Z', { depthHalfLifeMs: 60_000 });
    const before = await sim.broker.getQuote(aapl);
    await placeSim(sim.broker, aapl, { symbol: 'AAPL', action: 'BUY', quantity: 6000, orderType: 'MKT' });
    await sim.advance(1000);
    const after = await sim.broker.getQuote(aapl);
    const market = undisturbed.quote(aaplInst, sim.clock.now());
    expect(after.ask as number).toBeGreaterThan(market.ask as number);
    expect(after.bid).toBe(market.bid); // the side it did not trade is untouched
    expect(before.ask).toBe(undisturbed.quote(aaplInst, Date.parse('2026-01-05T15:00:00.000Z')).ask);
    const ack = await placeSim(sim.broker, aapl, { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT' });
    expect((await sim.broker.getOrder(ack.orderId))?.avgFillPrice).toBe(after.ask);
    // Ten half-lives on, the book has refilled and the quote is the market's again.
    await sim.advance(600_000);
    const later = await sim.broker.getQuote(aapl);
    expect(later.ask).toBe(undisturbed.quote(aaplInst, sim.clock.now()).ask);
  });

  it('keeps the depletion across a gateway restart: the book does not come back refilled', async () => {
    const { h: sim, aapl } = await startAt('2026-01-05T15:00:00.000Z', { depthHalfLifeMs: 60_000 });
    await placeSim(sim.broker, aapl, { symbol: 'AAPL', action: 'BUY', quantity: 6000, orderType: 'MKT' });
    await sim.advance(1000);
    const seen = await sim.broker.getQuote(aapl);
    await sim.restart(0);
    const [again] = await sim.broker.resolveContracts({ symbol: 'AAPL', securityType: 'STK' });
    if (!again) throw new Error('AAPL missing');
    const restored = await sim.broker.getQuote(again);
    expect(restored.ask).toBe(seen.ask);
    expect(restored.askSize).toBe(seen.askSize);
    expect(restored.ask as number).toBeGreaterThan(undisturbed.quote(aaplInst, sim.clock.now()).ask as number);
  });
});

describe('price improvement at the open', () => {
  it('fills a resting buy limit the market gaps down through at the opening price, not at its limit', async () => {
    // Find, for seed 42, a session whose next open is at least 20 cents below the ask a second before the close.
    const cat = new Catalogue();
    const inst = cat.listedBySymbol('AAPL')[0] as Instrument;
    const m = new Market(42, 'real');
    let placeAt = 0;
    let limit = 0;
    let openAsk = 0;
    let open = 0;
    for (let day = Date.UTC(2026, 0, 5) / 86_400_000; day < Date.UTC(2026, 3, 1) / 86_400_000 && !placeAt; day++) {
      const t = etToUtc(day, 16 * 60) - 1000;
      const touch = m.touch(inst, t);
      if (touch.phase !== 'regular') continue;
      const o = nextOpen(inst.schedule, 'real', t);
      const oTouch = m.touch(inst, o);
      if (oTouch.ask <= touch.ask - 0.2) {
        placeAt = t;
        limit = Number((touch.bid - 0.05).toFixed(2));
        openAsk = oTouch.ask;
        open = o;
      }
    }
    expect(placeAt).toBeGreaterThan(0);
    const { h: sim, aapl } = await startAt(new Date(placeAt).toISOString(), { session: 'real' });
    const ack = await placeSim(sim.broker, aapl, { symbol: 'AAPL', action: 'BUY', quantity: 100, orderType: 'LMT', limitPrice: limit, timeInForce: 'GTC' });
    expect(ack.status).toBe('ACCEPTED');
    sim.clock.set(open + 60_000);
    await flush();
    const fills = await sim.broker.getExecutions();
    expect(fills).toHaveLength(1);
    expect(fills[0]?.time).toBe(new Date(open).toISOString());
    expect(fills[0]?.price).toBe(openAsk);
    expect(fills[0]?.price).toBeLessThan(limit);
  });
});
