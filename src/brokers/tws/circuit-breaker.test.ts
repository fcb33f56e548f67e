/**
 * The circuit breaker on a tws broker, over the emulator: IBKR's answer to a
 * placement often arrives as the placement's own acknowledgement, which
 * records the REJECTED before the status event does (the event then changes
 * nothing). Rejections must count whichever path records them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config.js';
import { createClient } from '../../gateway.js';
import { makeTwsHarness, type TwsHarness } from '../../testing/tws-harness.js';
import type { GatewayClient } from '../../core/client/interface.js';

let h: TwsHarness | null = null;
let client: GatewayClient | null = null;
afterEach(async () => {
  await client?.close();
  await h?.cleanup();
  client = null;
  h = null;
});

describe('circuit breaker over the TWS API', () => {
  it('engages the kill switch after CIRCUIT_BREAKER_REJECTIONS rejections answered by the placement itself', async () => {
    h = await makeTwsHarness();
    const dataDir = path.join(h.dataDir, 'gateway');
    fs.mkdirSync(dataDir, { recursive: true });
    // Risk limits wide enough that the broker, not the risk engine, refuses: 60,000 AAPL is far beyond a 1M account.
    const wide = { MAX_ORDER_NOTIONAL: '100000000', MAX_POSITION_NOTIONAL: '100000000', MAX_GROSS_EXPOSURE: '100000000' };
    client = await createClient({
      config: parseConfig({ DATA_DIR: dataDir, BROKER: 'tws', ORDERS_ENABLED: 'true', LOG_LEVEL: 'silent', DUPLICATE_ORDER_WINDOW_SECONDS: '0', CIRCUIT_BREAKER_REJECTIONS: '2', ...wide }),
      broker: h.broker,
      clock: h.clock,
    });
    const tooBig = { symbol: 'AAPL', action: 'BUY', quantity: 60_000, orderType: 'MKT' } as const;
    await expect(client.placeOrder(tooBig)).rejects.toMatchObject({ code: 'ORDER_REJECTED' });
    expect((await client.killSwitch()).engaged).toBe(false);
    await expect(client.placeOrder(tooBig)).rejects.toMatchObject({ code: 'ORDER_REJECTED' });
    await h.until('the breaker engages the kill switch', async () => (await client?.killSwitch())?.engaged === true);
    expect(await client.killSwitch()).toMatchObject({ engaged: true, reason: 'circuit breaker: 2 consecutive rejections', by: 'system' });
    await expect(client.placeOrder({ ...tooBig, quantity: 1 })).rejects.toMatchObject({ code: 'KILL_SWITCH_ENGAGED' });
  }, 30_000);
});
