/**
 * The assessment preview and place share: each order's instrument is resolved by its own fields, whatever
 * orders for other instruments (or for the same one) came before it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../testing/client-harness.js';

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
