/**
 * Property: whatever sequence of orders arrives, applying only the orders the
 * engine passes never leaves a position beyond MAX_POSITION_NOTIONAL, and no
 * passed order is larger than MAX_ORDER_QUANTITY. Orders either fill at once
 * or rest as working orders that later fill or are cancelled, so the
 * working-order accounting is exercised too. Each instrument keeps one price
 * for the run (the limit is about size, not about the market moving).
 */
import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Contract, Position } from '../models.js';
import { createRiskEngine } from './engine.js';
import { ACCOUNT, baseLimits, input, position, spec, summary, T0 } from '../../testing/risk-fixtures.js';
import type { WorkingOrderExposure } from './types.js';

const instruments = (prices: number[]): Array<{ contract: Contract; price: number }> =>
  prices.map((price, i) => ({
    price,
    contract: { conId: 1000 + i, symbol: `SYM${i}`, securityType: i === 1 ? 'FUT' : 'STK', exchange: 'SMART', currency: 'USD', multiplier: [1, 50, 1][i] ?? 1, minTick: 0.01 },
  }));

const op = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('order' as const), inst: fc.nat(2), buy: fc.boolean(), qty: fc.integer({ min: 1, max: 2500 }), market: fc.boolean(), rest: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('fill' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }) },
);

describe('risk engine property', () => {
  it('never lets applied orders exceed MAX_POSITION_NOTIONAL or MAX_ORDER_QUANTITY', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 50, max: 2000 }),
        fc.integer({ min: 1000, max: 1_000_000 }),
        fc.array(fc.integer({ min: 100, max: 50_000 }).map((c) => c / 100), { minLength: 3, maxLength: 3 }),
        fc.array(op, { minLength: 20, maxLength: 60 }),
        (maxOrderQuantity, maxPositionNotional, prices, ops) => {
          const limits = baseLimits({ maxOrderQuantity, maxPositionNotional, maxOrderNotional: 1e12, maxGrossExposure: 1e12, maxOrdersPerMinute: 1_000_000 });
          const engine = createRiskEngine(limits);
          const inst = instruments(prices);
          const held = new Map<number, number>();
          const working: Array<WorkingOrderExposure & { inst: number }> = [];
          let now = T0;
          const fill = (w: WorkingOrderExposure): void => {
            held.set(w.conId, (held.get(w.conId) ?? 0) + (w.action === 'BUY' ? w.remainingQuantity : -w.remainingQuantity));
          };
          for (const o of ops) {
            now += 10_000; // past the duplicate window: duplicates are not what this property is about
            if (o.kind !== 'order') {
              const [w] = working.length === 0 ? [] : working.splice(o.pick % working.length, 1);
              if (w && o.kind === 'fill') fill(w);
            } else {
              const it = inst[o.inst];
              if (!it) continue;
              const positions: Position[] = [...held].filter(([, q]) => q !== 0).map(([conId, q]) => {
                const p = inst.find((x) => x.contract.conId === conId);
                const mv = q * (p?.price ?? 0) * (p?.contract.multiplier ?? 1);
                return position(q, { conId, symbol: p?.contract.symbol ?? '', marketPrice: p?.price ?? null, marketValue: mv });
              });
              const gross = positions.reduce((a, p) => a + Math.abs(p.marketValue ?? 0), 0);
              const s = spec({ symbol: it.contract.symbol, securityType: it.contract.securityType, action: o.buy ? 'BUY' : 'SELL', quantity: o.qty, ...(o.market ? { orderType: 'MKT', limitPrice: undefined } : { limitPrice: it.price }) });
              const checks = engine.evaluate(input({ spec: s, contract: it.contract, referencePrice: it.price, lastPrice: it.price, positions, summary: summary(gross), workingOrders: working, now }));
              if (!checks.every((c) => c.passed)) continue;
              expect(o.qty).toBeLessThanOrEqual(maxOrderQuantity);
              engine.recordPlaced(s, ACCOUNT, now);
              const w = { inst: o.inst, conId: it.contract.conId, action: s.action, remainingQuantity: o.qty };
              if (o.rest) working.push(w);
              else fill(w);
            }
            for (const { contract, price } of inst) {
              const notional = new Decimal(held.get(contract.conId) ?? 0).abs().times(price).times(contract.multiplier);
              expect(notional.lessThanOrEqualTo(maxPositionNotional)).toBe(true);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
