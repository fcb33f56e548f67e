/**
 * The assessment preview and place share: each order's instrument is resolved by its own fields, whatever
 * orders for other instruments (or for the same one) came before it.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { errorCode, startTestGateway, type TestGateway } from '../../testing/client-harness.js';
import { riskKeyOf } from '../risk/history.js';

let gw: TestGateway;
afterEach(async () => gw?.cleanup());

describe('the assessment resolves each order by its own instrument', () => {
  it('orders alternating between instruments each name and price their own contract', async () => {
    gw = await startTestGateway();
    const specs = [
      { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT' },
      { symbol: 'MSFT', action: 'BUY', quantity: 1, orderType: 'MKT' },
      { symbol: 'AAPL', securityType: 'STK', currency: 'USD', action: 'BUY', quantity: 2, orderType: 'MKT' },
      { symbol: 'EUR.USD', securityType: 'CASH', action: 'BUY', quantity: 20_000, orderType: 'MKT' },
      { symbol: 'AAPL', action: 'SELL', quantity: 1, orderType: 'MKT' },
    ] as const;
    for (const spec of specs) {
      const quote = await gw.client.getQuote({ symbol: spec.symbol, ...('securityType' in spec ? { securityType: spec.securityType } : {}) });
      const preview = await gw.client.previewOrder(spec);
      expect(preview.contract.symbol).toBe(spec.symbol);
      expect(preview.contract.conId).toBe(quote.conId);
    }
  });

  it('an instrument that does not resolve is refused every time it is asked, after one that does', async () => {
    gw = await startTestGateway();
    await gw.client.previewOrder({ symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT' });
    for (let i = 0; i < 2; i += 1) await expect(gw.client.previewOrder({ symbol: 'NOSUCHSYM', action: 'BUY', quantity: 1, orderType: 'MKT' })).rejects.toMatchObject({ code: 'CONTRACT_NOT_FOUND' });
  });
});

describe("an order's duplicate-guard key is built once and serves both the check and the placement row", () => {
  it('the key stored on the placement is the one the next identical order is checked under; a modification stores none', async () => {
    gw = await startTestGateway({ DUPLICATE_ORDER_WINDOW_SECONDS: '60' });
    const order = { symbol: 'AAPL', action: 'BUY', quantity: 3, orderType: 'LMT', limitPrice: 200 } as const;
    const placed = await gw.client.placeOrder({ ...order, clientOrderId: 'first' });
    expect(await errorCode(gw.client.placeOrder({ ...order, clientOrderId: 'again' }))).toBe('RISK_LIMIT_EXCEEDED');
    await gw.client.placeOrder({ ...order, quantity: 4, clientOrderId: 'other' });
    await gw.client.modifyOrder(placed.orderId, { limitPrice: 201 });

    const db = new Database(join(gw.dataDir, 'audit.db'), { readonly: true });
    try {
      const rows = db.prepare('SELECT order_id, spec, account_id, risk_key FROM order_history WHERE risk_key IS NOT NULL ORDER BY id').all() as Array<{ order_id: string; spec: string; account_id: string; risk_key: string }>;
      expect(rows.map((r) => r.order_id)).toHaveLength(2);
      for (const r of rows) expect(r.risk_key).toBe(riskKeyOf(JSON.parse(r.spec) as Parameters<typeof riskKeyOf>[0], r.account_id));
    } finally {
      db.close();
    }
  });
});
