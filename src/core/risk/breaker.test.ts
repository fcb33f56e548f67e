import { describe, expect, it } from 'vitest';
import { createRiskEngine } from './engine.js';
import { baseLimits, pnl } from '../../testing/risk-fixtures.js';

describe('circuit breaker (CIRCUIT_BREAKER_REJECTIONS, default 5)', () => {
  it('trips on the Nth consecutive rejection, not before', () => {
    const engine = createRiskEngine(baseLimits());
    const results = Array.from({ length: 5 }, () => engine.recordOutcome('rejected'));
    expect(results).toEqual([false, false, false, false, true]);
  });

  it('resets on an accepted order', () => {
    const engine = createRiskEngine(baseLimits({ circuitBreakerRejections: 3 }));
    engine.recordOutcome('rejected');
    engine.recordOutcome('rejected');
    expect(engine.recordOutcome('accepted')).toBe(false);
    expect(engine.recordOutcome('rejected')).toBe(false);
    expect(engine.recordOutcome('rejected')).toBe(false);
    expect(engine.recordOutcome('rejected')).toBe(true);
  });

  it('needs N fresh rejections to trip again after tripping', () => {
    const engine = createRiskEngine(baseLimits({ circuitBreakerRejections: 2 }));
    expect([engine.recordOutcome('rejected'), engine.recordOutcome('rejected')]).toEqual([false, true]);
    expect([engine.recordOutcome('rejected'), engine.recordOutcome('rejected')]).toEqual([false, true]);
  });

  it('never trips when set to 0', () => {
    const engine = createRiskEngine(baseLimits({ circuitBreakerRejections: 0 }));
    expect(Array.from({ length: 50 }, () => engine.recordOutcome('rejected')).some(Boolean)).toBe(false);
  });
});

describe('dailyLossBreached', () => {
  it('is true once realised + unrealised loss reaches MAX_DAILY_LOSS', () => {
    const engine = createRiskEngine(baseLimits({ maxDailyLoss: 1000 }));
    expect(engine.dailyLossBreached(pnl(-500, -499.99))).toBe(false);
    expect(engine.dailyLossBreached(pnl(-500, -500))).toBe(true);
    expect(engine.dailyLossBreached(pnl(200, -1200.01))).toBe(true);
    expect(engine.dailyLossBreached(pnl(5000, 0))).toBe(false);
  });
});
