import { describe, expect, it } from 'vitest';
import { createRiskEngine } from './engine.js';
import { ACCOUNT, baseLimits, byName, input, spec, T0 } from '../../testing/risk-fixtures.js';
import { riskDayStart } from './trading-day.js';

const S = 1000;

describe('maxOrdersPerMinute: a sliding 60-second window', () => {
  it('allows the limit, refuses one more, and frees a slot exactly 60 s after each order', () => {
    const engine = createRiskEngine(baseLimits({ maxOrdersPerMinute: 3 }));
    const at = (now: number) => byName(engine.evaluate(input({ now })), 'maxOrdersPerMinute');
    engine.recordPlaced(spec({ quantity: 1 }), ACCOUNT, T0);
    engine.recordPlaced(spec({ quantity: 2 }), ACCOUNT, T0 + 10 * S);
    expect(at(T0 + 20 * S)).toMatchObject({ passed: true, value: 3, limit: 3 });
    engine.recordPlaced(spec({ quantity: 3 }), ACCOUNT, T0 + 20 * S);
    expect(at(T0 + 30 * S)).toMatchObject({ passed: false, value: 4 });
    expect(at(T0 + 60 * S - 1).passed).toBe(false);
    expect(at(T0 + 60 * S)).toMatchObject({ passed: true, value: 3 });
    expect(at(T0 + 80 * S)).toMatchObject({ passed: true, value: 1 });
  });

  it('is not changed by evaluate: previews do not consume the budget', () => {
    const engine = createRiskEngine(baseLimits({ maxOrdersPerMinute: 1 }));
    for (let i = 0; i < 5; i += 1) engine.evaluate(input());
    expect(byName(engine.evaluate(input()), 'maxOrdersPerMinute').passed).toBe(true);
  });
});

describe('maxOrdersPerDay: counted since DAILY_LOSS_RESET_TIME New York', () => {
  it('allows the limit, refuses one more, and resets at 17:00 New York', () => {
    const engine = createRiskEngine(baseLimits({ maxOrdersPerDay: 2, maxOrdersPerMinute: 100 }));
    const at = (now: number) => byName(engine.evaluate(input({ now })), 'maxOrdersPerDay');
    engine.recordPlaced(spec({ quantity: 1 }), ACCOUNT, T0);
    expect(at(T0 + S)).toMatchObject({ passed: true, value: 2 });
    engine.recordPlaced(spec({ quantity: 2 }), ACCOUNT, T0 + S);
    expect(at(T0 + 2 * S)).toMatchObject({ passed: false, value: 3 });
    // T0 is 10:00 New York (EST, UTC-5): 17:00 New York is 22:00 UTC.
    const reset = Date.UTC(2026, 0, 5, 22, 0, 0);
    expect(at(reset - 1).passed).toBe(false);
    expect(at(reset)).toMatchObject({ passed: true, value: 1 });
  });
});

describe('riskDayStart', () => {
  it('is the latest reset time at or before now, in New York time across DST', () => {
    expect(riskDayStart(T0, '17:00')).toBe(Date.UTC(2026, 0, 4, 22, 0));
    expect(riskDayStart(Date.UTC(2026, 0, 5, 22, 0), '17:00')).toBe(Date.UTC(2026, 0, 5, 22, 0));
    // July: EDT, UTC-4.
    expect(riskDayStart(Date.UTC(2026, 6, 1, 12, 0), '17:00')).toBe(Date.UTC(2026, 5, 30, 21, 0));
    // Month and year boundaries roll back correctly.
    expect(riskDayStart(Date.UTC(2026, 0, 1, 4, 59), '00:00')).toBe(Date.UTC(2025, 11, 31, 5, 0));
    expect(riskDayStart(Date.UTC(2026, 0, 1, 5, 0), '00:00')).toBe(Date.UTC(2026, 0, 1, 5, 0));
    // The Monday after the March DST change (8 March 2026): 17:00 EDT.
    expect(riskDayStart(Date.UTC(2026, 2, 9, 23, 0), '17:00')).toBe(Date.UTC(2026, 2, 9, 21, 0));
    expect(riskDayStart(Date.UTC(2026, 2, 9, 12, 0), '17:00')).toBe(Date.UTC(2026, 2, 8, 21, 0));
  });
});

describe('duplicateOrder guard (default 5 s)', () => {
  const engine = () => createRiskEngine(baseLimits());
  const dup = (e: ReturnType<typeof engine>, now: number, over = {}, accountId = ACCOUNT) =>
    byName(e.evaluate(input({ spec: spec(over), accountId, now })), 'duplicateOrder');

  it('refuses the same order within the window and allows it once the window has passed', () => {
    const e = engine();
    e.recordPlaced(spec(), ACCOUNT, T0);
    expect(dup(e, T0 + 4999)).toMatchObject({ passed: false, value: 4.999, limit: 5 });
    expect(dup(e, T0 + 5000)).toMatchObject({ passed: true });
    expect(dup(e, T0 + 60_000).passed).toBe(true);
  });

  it('ignores clientOrderId (a retry loop mints new ones) but not the rest of the spec or the account', () => {
    const e = engine();
    e.recordPlaced(spec({ clientOrderId: 'a1' }), ACCOUNT, T0);
    expect(dup(e, T0 + S, { clientOrderId: 'a2' }).passed).toBe(false);
    expect(dup(e, T0 + S, { quantity: 11 }).passed).toBe(true);
    expect(dup(e, T0 + S, { action: 'SELL' }).passed).toBe(true);
    expect(dup(e, T0 + S, {}, 'DU7654321').passed).toBe(true);
  });

  it('is off with DUPLICATE_ORDER_WINDOW_SECONDS=0', () => {
    const e = createRiskEngine(baseLimits({ duplicateOrderWindowSeconds: 0 }));
    e.recordPlaced(spec(), ACCOUNT, T0);
    expect(byName(e.evaluate(input({ now: T0 })), 'duplicateOrder').passed).toBe(true);
  });
});

describe('duplicateOrder with a per-symbol window', () => {
  it('uses the risk file window even when the environment turns the guard off', () => {
    const e = createRiskEngine(baseLimits({ duplicateOrderWindowSeconds: 0 }), { overrides: { symbols: { AAPL: { duplicateOrderWindowSeconds: 30 } } } });
    e.recordPlaced(spec(), ACCOUNT, T0);
    expect(byName(e.evaluate(input({ now: T0 + 29_999 })), 'duplicateOrder')).toMatchObject({ passed: false, limit: 30 });
    expect(byName(e.evaluate(input({ now: T0 + 30_000 })), 'duplicateOrder').passed).toBe(true);
  });
});
