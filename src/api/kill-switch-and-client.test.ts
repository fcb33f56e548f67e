/**
 * Who may stop trading, who may start it again, and which interface the
 * audit log says a request came through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, KEYS, startTestServer, type TestServer } from '../testing/api-harness.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.close());

describe('POST /api/admin/kill-switch', () => {
  it('a trade key may engage it; only an admin key may release it; a read key may do neither', async () => {
    expect((await call(t.url, '/api/admin/kill-switch', { key: KEYS.read, body: { engaged: true, reason: 'x' } })).status).toBe(403);
    const engaged = await call(t.url, '/api/admin/kill-switch', { key: KEYS.trade, body: { engaged: true, reason: 'agent stops itself' } });
    expect(engaged).toMatchObject({ status: 200, body: { engaged: true, reason: 'agent stops itself' } });
    const refused = await call(t.url, '/api/admin/kill-switch', { key: KEYS.trade, body: { engaged: false } });
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN', details: { required: 'admin' } } } });
    expect((await t.client.killSwitch()).engaged).toBe(true);
    const released = await call(t.url, '/api/admin/kill-switch', { key: KEYS.admin, body: { engaged: false, reason: 'checked' } });
    expect(released).toMatchObject({ status: 200, body: { engaged: false } });
  });
});

describe('X-Client', () => {
  it('labels the audit rows of MCP and dashboard requests; anything else is rest', async () => {
    const order = { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT' };
    const placed: Record<string, string> = {};
    for (const client of ['mcp', 'dashboard', 'something-else']) {
      const r = await call<{ orderId: string }>(t.url, '/api/orders/place', { key: KEYS.trade, body: order, headers: { 'x-client': client } });
      expect(r.status).toBe(200);
      placed[client] = r.body.orderId;
    }
    const via = async (orderId: string | undefined) => (await t.client.queryAudit({ orderId, eventType: 'ORDER_SUBMITTED' })).entries[0]?.userContext;
    expect(await via(placed.mcp)).toMatchObject({ interface: 'mcp', apiKeyName: expect.any(String) });
    expect(await via(placed.dashboard)).toMatchObject({ interface: 'dashboard' });
    expect(await via(placed['something-else'])).toMatchObject({ interface: 'rest' });
  });
});
