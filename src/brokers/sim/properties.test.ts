/**
 * Property tests of the simulator as a whole (the "Done when"):
 * filled quantity never exceeds the order quantity, and the same seed with the
 * same orders and clock gives the same fills.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Decimal } from 'decimal.js';
import type { Contract, Fill, OrderSpecInput } from '../../core/models.js';
import { makeSimHarness, placeSim } from '../../testing/sim-harness.js';

interface Step {
  symbol: 'AAPL' | 'SPY' | 'ES';
  action: 'BUY' | 'SELL';
  quantity: number;
  kind: 'MKT' | 'LMT' | 'STP' | 'TRAIL';
  /** Limit/stop distance from the touch in ticks (negative: on the passive side). */
  offsetTicks: number;
  tif: 'DAY' | 'GTC' | 'IOC' | 'FOK';
  waitMs: number;
  cancel: boolean;
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  symbol: fc.constantFrom<'AAPL' | 'SPY' | 'ES'>('AAPL', 'SPY', 'ES'),
  action: fc.constantFrom<'BUY' | 'SELL'>('BUY', 'SELL'),
  quantity: fc.integer({ min: 1, max: 3000 }),
  kind: fc.constantFrom<'MKT' | 'LMT' | 'STP' | 'TRAIL'>('MKT', 'LMT', 'STP', 'TRAIL'),
  offsetTicks: fc.integer({ min: -40, max: 40 }),
  tif: fc.constantFrom<'DAY' | 'GTC' | 'IOC' | 'FOK'>('DAY', 'GTC', 'IOC', 'FOK'),
  waitMs: fc.integer({ min: 0, max: 4 * 3_600_000 }),
  cancel: fc.boolean(),
});

function specFor(step: Step, contract: Contract, bid: number, ask: number): OrderSpecInput {
  const tick = contract.minTick;
  const quantity = step.symbol === 'ES' ? Math.max(1, Math.round(step.quantity / 300)) : step.quantity;
  const base = { symbol: step.symbol, securityType: contract.securityType, action: step.action, quantity, timeInForce: step.tif } as const;
  const touch = step.action === 'BUY' ? ask : bid;
  const price = Math.max(tick, Number((Math.round(touch / tick + step.offsetTicks) * tick).toFixed(2)));
  switch (step.kind) {
    case 'MKT':
      return { ...base, orderType: 'MKT' };
    case 'LMT':
      return { ...base, orderType: 'LMT', limitPrice: price };
    case 'STP': {
      // A stop sits on the far side of the market (above for a buy, below for a sell).
      const stop = step.action === 'BUY' ? touch + Math.abs(step.offsetTicks) * tick + tick : touch - Math.abs(step.offsetTicks) * tick - tick;
      return { ...base, orderType: 'STP', stopPrice: Math.max(tick, Number((Math.round(stop / tick) * tick).toFixed(2))) };
    }
    case 'TRAIL':
      return { ...base, orderType: 'TRAIL', trailingAmount: (Math.abs(step.offsetTicks) + 1) * tick };
  }
}

/** Runs a sequence of orders on a fresh account; returns every fill and every order's final state. */
async function run(seed: number, steps: Step[]) {
  const h = makeSimHarness({ seed, session: 'real', startingCash: 50_000_000 });
  await h.broker.connect();
  try {
    const contracts = new Map<string, Contract>();
    for (const symbol of ['AAPL', 'SPY'] as const) contracts.set(symbol, (await h.broker.resolveContracts({ symbol, securityType: 'STK' }))[0] as Contract);
    contracts.set('ES', (await h.broker.resolveContracts({ symbol: 'ES', securityType: 'FUT' }))[0] as Contract);
    const ids: string[] = [];
    for (const step of steps) {
      const contract = contracts.get(step.symbol) as Contract;
      const q = await h.broker.getQuote(contract);
      const ack = await placeSim(h.broker, contract, specFor(step, contract, q.bid as number, q.ask as number));
      ids.push(ack.orderId);
      await h.advance(step.waitMs);
      if (step.cancel) await h.broker.cancelOrder(ack.orderId);
    }
    await h.advance(86_400_000);
    const orders = await Promise.all(ids.map((id) => h.broker.getOrder(id)));
    const fills: Fill[] = await h.broker.getExecutions();
    return { orders, fills };
  } finally {
    await h.cleanup();
  }
}

describe('simulator properties', () => {
  it('filled quantity never exceeds the order quantity, and fills add up to what each order reports', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 1000 }), fc.array(stepArb, { minLength: 1, maxLength: 8 }), async (seed, steps) => {
        const { orders, fills } = await run(seed, steps);
        for (const o of orders) {
          if (!o) throw new Error('order vanished');
          expect(o.filledQuantity).toBeLessThanOrEqual(o.spec.quantity);
          expect(o.filledQuantity + o.remainingQuantity).toBe(o.spec.quantity);
          const mine = fills.filter((f) => f.orderId === o.orderId);
          expect(mine.reduce((q, f) => q + f.quantity, 0)).toBe(o.filledQuantity);
          const commission = mine.reduce((c, f) => c.plus(f.commission), new Decimal(0));
          if (mine.length > 0) expect(commission.toNumber()).toBe(o.commission);
          if (o.status === 'FILLED') expect(o.remainingQuantity).toBe(0);
        }
      }),
      { numRuns: 12 },
    );
  });

  it('same seed, same orders, same clock: same fills', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 1000 }), fc.array(stepArb, { minLength: 1, maxLength: 6 }), async (seed, steps) => {
        const first = await run(seed, steps);
        const second = await run(seed, steps);
        expect(second.fills).toEqual(first.fills);
        expect(second.orders).toEqual(first.orders);
      }),
      { numRuns: 6 },
    );
  });
});
