import { describe, expect, it } from 'vitest';
import { createRiskEngine } from './engine.js';
import { baseLimits, pnl } from '../../testing/risk-fixtures.js';

describe('circuit breaker (CIRCUIT_BREAKER_REJECTIONS, default 5)', () => {
  /** Outcomes counted one after another, as an order path awaits each. */
  const outcomes = async (engine: ReturnType<typeof createRiskEngine>, ...list: ('accepted' | 'rejected')[]): Promise<boolean[]> => {
    const results: boolean[] = [];
    for (const outcome of list) results.push(await engine.recordOutcome(outcome));
    return results;
  };
  const rejections = (n: number): 'rejected'[] => Array.from({ length: n }, () => 'rejected' as const);

  it('trips on the Nth consecutive rejection, not before', async () => {
    const engine = createRiskEngine(baseLimits());
    expect(await outcomes(engine, ...rejections(5))).toEqual([false, false, false, false, true]);
  });

  it('resets on an accepted order', async () => {
    const engine = createRiskEngine(baseLimits({ circuitBreakerRejections: 3 }));
    expect(await outcomes(engine, 'rejected', 'rejected', 'accepted', 'rejected', 'rejected', 'rejected')).toEqual([false, false, false, false, false, true]);
  });

  it('needs N fresh rejections to trip again after tripping', async () => {
    const engine = createRiskEngine(baseLimits({ circuitBreakerRejections: 2 }));
    expect(await outcomes(engine, ...rejections(4))).toEqual([false, true, false, true]);
  });

  it('counts outcomes that arrive together one after another', async () => {
    const engine = createRiskEngine(baseLimits({ circuitBreakerRejections: 3 }));
    expect(await Promise.all(rejections(3).map((o) => engine.recordOutcome(o)))).toEqual([false, false, true]);
  });

  it('never trips when set to 0', async () => {
    const engine = createRiskEngine(baseLimits({ circuitBreakerRejections: 0 }));
    expect((await outcomes(engine, ...rejections(50))).some(Boolean)).toBe(false);
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
