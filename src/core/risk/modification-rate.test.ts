/**
 * A modification is an order message (at IBKR, placeOrder again with the
 * working order's id), so MAX_ORDERS_PER_MINUTE and MAX_ORDERS_PER_DAY count
 * it with the placements. The count lives in the store (the audit rows written
 * before a modification is sent), so every process on the DATA_DIR sees it;
 * without a store the engine counts in memory.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { openAuditStore, type SqliteAuditStore } from '../audit/index.js';
import { entry, tempDir, version } from '../../testing/audit/samples.js';
import { ACCOUNT, baseLimits, byName, input, spec, T0 } from '../../testing/risk-fixtures.js';
import { startTestGateway, type TestGateway } from '../../testing/client-harness.js';
import { createRiskEngine } from './engine.js';
import { storeHistory } from './history.js';

const S = 1000;
const iso = (ms: number): string => new Date(ms).toISOString();

describe('the store history adds the modifications in the audit log to the placements (raw counts: the store contract suite)', () => {
  let dir: { dir: string; cleanup: () => void } | undefined;
  const stores: SqliteAuditStore[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    dir?.cleanup();
  });

  it('historyFacts counts a placement and the modifications of another connection; the synchronous checks see them', async () => {
    dir = tempDir();
    const clock = new ManualClock(T0);
    const a = openAuditStore({ dataDir: dir.dir, clock });
    const b = openAuditStore({ dataDir: dir.dir, clock });
    stores.push(a, b);
    await a.recordOrder(entry({ orderId: '1', timestamp: iso(T0) }), version('1', 'SUBMITTED', { createdAt: iso(T0), placement: { riskKey: 'k1' }, expectNew: true }));
    await a.append(entry({ eventType: 'ORDER_MODIFY_REQUESTED', orderId: '1', timestamp: iso(T0 + 10 * S) }));
    await b.append(entry({ eventType: 'ORDER_MODIFY_SIMULATED', orderId: '1', timestamp: iso(T0 + 20 * S) }));
    await b.append(entry({ eventType: 'ORDER_MODIFY_REJECTED', orderId: '1', timestamp: iso(T0 + 30 * S) }));

    const engine = createRiskEngine(baseLimits({ maxOrdersPerMinute: 3, maxOrdersPerDay: 100 }), { store: storeHistory(b) });
    const at = async (now: number) => {
      const probe = input({ spec: spec({ quantity: 99 }), now });
      return { ...probe, history: await engine.historyFacts(probe) };
    };
    const early = await at(T0 + 30 * S);
    expect(early.history).toMatchObject({ placedLastMinute: 3, placedToday: 3 });
    expect(byName(engine.evaluate(early), 'maxOrdersPerMinute')).toMatchObject({ passed: false, value: 4, limit: 3 });
    // (T0+10 s, T0+70 s]: only the simulated modification is left in the minute; the day keeps all three.
    const later = await at(T0 + 70 * S);
    expect(later.history).toMatchObject({ placedLastMinute: 1, placedToday: 3 });
    expect(byName(engine.evaluate(later), 'maxOrdersPerMinute')).toMatchObject({ passed: true, value: 2 });
    expect((await a.verify()).ok).toBe(true);
  });
});

describe('without a store, the engine counts modifications in memory', () => {
  it('a recorded modification takes a slot of the minute and of the day, but is no duplicate of anything', () => {
    const engine = createRiskEngine(baseLimits({ maxOrdersPerMinute: 2, maxOrdersPerDay: 100, duplicateOrderWindowSeconds: 5 }));
    engine.recordPlaced(spec(), ACCOUNT, T0);
    engine.recordModified(T0 + S);
    const checks = engine.evaluate(input({ spec: spec({ quantity: 99 }), now: T0 + 2 * S }));
    expect(byName(checks, 'maxOrdersPerMinute')).toMatchObject({ passed: false, value: 3, limit: 2 });
    expect(byName(checks, 'maxOrdersPerDay')).toMatchObject({ passed: true, value: 3 });
    expect(byName(checks, 'duplicateOrder').passed).toBe(true);
    expect(byName(engine.evaluate(input({ spec: spec({ quantity: 99 }), now: T0 + 61 * S })), 'maxOrdersPerMinute')).toMatchObject({ passed: true, value: 1 });
  });
});

describe('modifying through the client on the simulated broker', () => {
  let gw: TestGateway | undefined;
  afterEach(async () => gw?.cleanup());

  async function restingBuy(g: TestGateway): Promise<{ orderId: string; limitPrice: number }> {
    const quote = await g.client.getQuote({ symbol: 'AAPL' });
    const limitPrice = Math.floor((quote.bid as number) * 0.94);
    const placed = await g.client.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity: 10, orderType: 'LMT', limitPrice, timeInForce: 'GTC' });
    await g.advance(1000);
    return { orderId: placed.orderId, limitPrice };
  }

  it('MAX_ORDERS_PER_MINUTE counts modifications with placements; one past the limit is refused before it is sent, and another process sees the same count', async () => {
    gw = await startTestGateway({ MAX_ORDERS_PER_MINUTE: '3' });
    const { orderId, limitPrice } = await restingBuy(gw);
    await gw.client.modifyOrder(orderId, { limitPrice: limitPrice - 1 });
    await gw.client.modifyOrder(orderId, { limitPrice: limitPrice - 2 });

    const preview = await gw.client.previewModification(orderId, { limitPrice: limitPrice - 3 });
    expect(byName(preview.riskChecks, 'maxOrdersPerMinute')).toMatchObject({ passed: false, value: 4, limit: 3 });
    await expect(gw.client.modifyOrder(orderId, { limitPrice: limitPrice - 3 })).rejects.toMatchObject({ code: 'RISK_LIMIT_EXCEEDED', details: { failedChecks: [expect.objectContaining({ name: 'maxOrdersPerMinute' })] } });
    expect((await gw.client.queryAudit({ orderId, eventType: 'ORDER_MODIFY_REQUESTED' })).entries).toHaveLength(2);
    expect((await gw.client.getOrderStatus(orderId)).spec.limitPrice).toBe(limitPrice - 2);
    // A new order meets the same budget.
    await expect(gw.client.placeOrder({ symbol: 'MSFT', action: 'BUY', quantity: 1, orderType: 'LMT', limitPrice: 1 })).rejects.toMatchObject({ code: 'RISK_LIMIT_EXCEEDED' });

    // Another process on the same DATA_DIR (its own connection to audit.db) counts the same three messages.
    const other = openAuditStore({ dataDir: gw.dataDir, clock: gw.clock });
    try {
      const now = gw.clock.now();
      expect((await storeHistory(other).facts(spec({ symbol: 'MSFT' }), ACCOUNT, now, now - 3_600_000)).placedLastMinute).toBe(3);
    } finally {
      await other.close();
    }

    // A minute after the placement, its slot is free again; the modifications still hold theirs.
    await gw.advance(60_000);
    const later = await gw.client.previewModification(orderId, { limitPrice: limitPrice - 3 });
    expect(byName(later.riskChecks, 'maxOrdersPerMinute').passed).toBe(true);
    expect((await gw.client.modifyOrder(orderId, { limitPrice: limitPrice - 3 })).modified).toBe(true);
    expect((await gw.client.verifyAudit()).ok).toBe(true);
  });

  it('MAX_ORDERS_PER_DAY counts them too', async () => {
    gw = await startTestGateway({ MAX_ORDERS_PER_DAY: '2' });
    const { orderId, limitPrice } = await restingBuy(gw);
    await gw.client.modifyOrder(orderId, { quantity: 8 });
    await gw.advance(120_000);
    await expect(gw.client.modifyOrder(orderId, { limitPrice: limitPrice - 1 })).rejects.toMatchObject({
      code: 'RISK_LIMIT_EXCEEDED',
      details: { failedChecks: [expect.objectContaining({ name: 'maxOrdersPerDay', value: 3, limit: 2 })] },
    });
  });
});
