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

describe('impact that persists', () => {
  it('slicing 9,000 AAPL over 10 seconds costs more than buying each slice at the touch', async () => {
    const { h: sim, aapl } = await startAt('2026-01-05T15:00:00.000Z');
    let atTouch = 0;
    for (let i = 0; i < 10; i++) {
      const q = await sim.broker.getQuote(aapl);
      await placeSim(sim.broker, aapl, { symbol: 'AAPL', action: 'BUY', quantity: 900, orderType: 'MKT' });
      atTouch += (q.ask as number) * 900;
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
      const q = await sim.broker.getQuote(aapl);
      const ack = await placeSim(sim.broker, aapl, { symbol: 'AAPL', action: 'BUY', quantity: 100, orderType: 'MKT' });
      const o = await sim.broker.getOrder(ack.orderId);
      await sim.cleanup();
      h = null;
      return (o?.avgFillPrice ?? 0) - (q.ask as number);
    };
    expect(await cost(1_000)).toBeGreaterThan(0);
    expect(await cost(50_000)).toBe(0);
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
