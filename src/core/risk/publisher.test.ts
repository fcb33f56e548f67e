/**
 * Exposure publication with a real client on the real simulator and the
 * SQLite store: nothing is published without desk limits (a single gateway
 * writes exactly what it wrote before), and with them the account is
 * published before the first order and again after each fill.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openAuditStore } from '../audit/sqlite/store.js';
import type { ExposurePublication } from '../audit/types.js';
import { startTestGateway, type TestGateway } from '../../testing/client-harness.js';

let gw: TestGateway | null = null;
afterEach(async () => {
  await gw?.cleanup();
  gw = null;
});

async function published(dataDir: string): Promise<ExposurePublication[]> {
  const store = openAuditStore({ dataDir });
  try {
    return await store.exposures();
  } finally {
    await store.close();
  }
}

async function untilFilled(g: TestGateway, orderId: string): Promise<void> {
  for (let i = 0; i < 50 && (await g.client.getOrderStatus(orderId)).status !== 'FILLED'; i++) await g.advance(1000);
  expect((await g.client.getOrderStatus(orderId)).status).toBe('FILLED');
}

describe('exposure publication', () => {
  it('publishes nothing without desk limits', async () => {
    gw = await startTestGateway();
    const placed = await gw.client.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity: 10, orderType: 'MKT' });
    await untilFilled(gw, placed.orderId);
    expect(await published(gw.dataDir)).toEqual([]);
  });

  it('with desk limits: the account at start, then its position at mark after a fill, with its own limits', async () => {
    const riskFile = join(mkdtempSync(join(tmpdir(), 'risk-')), 'risk.json');
    writeFileSync(riskFile, JSON.stringify({ accounts: { DU1234567: { maxGrossExposure: 750000 } }, desk: { maxGrossExposure: 5000000 } }));
    gw = await startTestGateway({ RISK_FILE: riskFile, SIM_ACCOUNT_ID: 'DU1234567', MAX_DAILY_LOSS: '25000' });
    const [atStart] = await published(gw.dataDir);
    expect(atStart).toMatchObject({ accountId: 'DU1234567', brokerIdentity: 'sim:DU1234567', currency: 'USD', grossExposure: '0', maxGrossExposure: '750000', maxDailyLoss: '25000', dailyPnl: '0' });
    expect(atStart?.publishedAt).toBe(new Date(gw.clock.now()).toISOString());

    const placed = await gw.client.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity: 10, orderType: 'MKT' });
    await untilFilled(gw, placed.orderId);
    const summary = await gw.client.getAccountSummary();
    let after: ExposurePublication | undefined;
    for (let i = 0; i < 50; i++) {
      [after] = await published(gw.dataDir);
      if (after?.grossExposure === String(Math.abs(summary.grossPositionValue))) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(Number(after?.grossExposure)).toBeGreaterThan(0);
    expect(after?.grossExposure).toBe(String(Math.abs(summary.grossPositionValue)));
  });
});
