import { describe, expect, it } from 'vitest';
import { createRiskEngine } from './engine.js';
import { aapl, baseLimits, byName, input, position, spec } from '../../testing/risk-fixtures.js';
import type { WorkingOrderExposure } from './types.js';

const reduceOnly = (held: number, action: 'BUY' | 'SELL', quantity: number, working: WorkingOrderExposure[] = [], on = true) =>
  byName(
    createRiskEngine(baseLimits({ reduceOnly: on })).evaluate(
      input({ spec: spec({ action, quantity }), positions: held === 0 ? [] : [position(held)], workingOrders: working }),
    ),
    'reduceOnly',
  );

describe('reduceOnly', () => {
  it('passes everything when off', () => {
    expect(reduceOnly(0, 'BUY', 10, [], false)).toMatchObject({ passed: true, limit: 'off' });
  });

  it('long: a sell up to the position passes; a buy or a sell through zero fails', () => {
    expect(reduceOnly(100, 'SELL', 40).passed).toBe(true);
    expect(reduceOnly(100, 'SELL', 100).passed).toBe(true);
    expect(reduceOnly(100, 'SELL', 101).passed).toBe(false);
    expect(reduceOnly(100, 'BUY', 1).passed).toBe(false);
  });

  it('short: a buy up to the position passes; a sell or a buy through zero fails', () => {
    expect(reduceOnly(-100, 'BUY', 100).passed).toBe(true);
    expect(reduceOnly(-100, 'BUY', 101).passed).toBe(false);
    expect(reduceOnly(-100, 'SELL', 1).passed).toBe(false);
  });

  it('flat: any order fails, a sell with no position included', () => {
    const sell = reduceOnly(0, 'SELL', 1);
    expect(sell.passed).toBe(false);
    expect(sell.message).toMatch(/no position/);
    expect(reduceOnly(0, 'BUY', 1).passed).toBe(false);
  });

  it('counts working orders that already reduce the position', () => {
    const working: WorkingOrderExposure[] = [{ conId: aapl.conId, action: 'SELL', remainingQuantity: 70 }];
    expect(reduceOnly(100, 'SELL', 30, working).passed).toBe(true);
    expect(reduceOnly(100, 'SELL', 31, working).passed).toBe(false);
  });

  it('can be switched on for one symbol by the risk file', () => {
    const engine = createRiskEngine(baseLimits(), { overrides: { symbols: { AAPL: { reduceOnly: true } } } });
    expect(byName(engine.evaluate(input()), 'reduceOnly').passed).toBe(false);
  });
});
