/**
 * With a store, the risk engine counts placements and modifications from the
 * store's rows alone: recordPlaced/recordModified write no memory copy (it was
 * never read, cost each order work before transmit and held a day of times).
 * A history handed in explicitly is still written.
 */
import { describe, expect, it } from 'vitest';
import { useTempSqliteStore } from '../../testing/audit/temp-store.js';
import { ACCOUNT, baseLimits, byName, input, spec, T0 } from '../../testing/risk-fixtures.js';
import { createRiskEngine } from './engine.js';
import { memoryHistory, storeHistory } from './history.js';

const temp = useTempSqliteStore();
const limits = baseLimits({ maxOrdersPerMinute: 2, maxOrdersPerDay: 100, duplicateOrderWindowSeconds: 60 });

describe('a risk engine on a store', () => {
  it("counts from the store's rows only: placements recorded without rows change no check", async () => {
    const engine = createRiskEngine(limits, { store: storeHistory(temp.store) });
    for (let i = 0; i < 5; i++) engine.recordPlaced(spec(), ACCOUNT, T0 + i);
    engine.recordModified(T0 + 6);
    const probe = input({ spec: spec(), now: T0 + 10 });
    const history = await engine.historyFacts(probe);
    expect(history).toMatchObject({ placedLastMinute: 0, placedToday: 0, sinceIdentical: null });
    const checks = engine.evaluate({ ...probe, history });
    expect(byName(checks, 'maxOrdersPerMinute')).toMatchObject({ passed: true });
    expect(byName(checks, 'duplicateOrder')).toMatchObject({ passed: true });
  });

  it('still writes a history it was given explicitly', () => {
    const given = memoryHistory(limits.dailyLossResetTime, 60_000);
    const engine = createRiskEngine(limits, { store: storeHistory(temp.store), history: given });
    engine.recordPlaced(spec(), ACCOUNT, T0);
    engine.recordModified(T0 + 1);
    expect(given.placedLastMinute(T0 + 2)).toBe(2);
    expect(given.sinceIdentical(spec(), ACCOUNT, T0 + 2)).toBe(2);
  });

  it('without a store, counts in memory as before', () => {
    const engine = createRiskEngine(limits);
    engine.recordPlaced(spec(), ACCOUNT, T0);
    engine.recordPlaced(spec({ quantity: 2 }), ACCOUNT, T0 + 1);
    const checks = engine.evaluate(input({ spec: spec(), now: T0 + 2 }));
    expect(byName(checks, 'maxOrdersPerMinute')).toMatchObject({ passed: false });
    expect(byName(checks, 'duplicateOrder')).toMatchObject({ passed: false });
  });
});
