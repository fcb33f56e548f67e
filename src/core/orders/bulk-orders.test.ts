/**
 * Cancel-all and close-position through the core on both brokers: the
 * simulator, and the tws adapter over the TWS emulator on a real socket.
 * Each cancel is in the audit log under the caller's correlation id, closing
 * flattens a long and a short, the order events tell the same story, and the
 * audit chain verifies afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayClient } from '../client/interface.js';
import { withContext } from '../logging.js';
import { createClient } from '../../gateway.js';
import { startTestGateway } from '../../testing/client-harness.js';
import { makeTwsHarness } from '../../testing/tws-harness.js';

interface Setup {
  client: GatewayClient;
  /** Lets the market move and events cross (manual clock; over the socket for tws). */
  settle(): Promise<void>;
  cleanup(): Promise<void>;
}

const ENV = { SIM_SESSION: 'always-open', ORDERS_ENABLED: 'true', LOG_LEVEL: 'silent', DUPLICATE_ORDER_WINDOW_SECONDS: '0' };

const BROKERS: Record<string, () => Promise<Setup>> = {
  sim: async () => {
    const g = await startTestGateway(ENV);
    return { client: g.client, settle: () => g.advance(2000), cleanup: () => g.cleanup() };
  },
  'tws over the emulator': async () => {
    const h = await makeTwsHarness();
    const dataDir = mkdtempSync(join(tmpdir(), 'bulk-tws-'));
    const client = await createClient({ env: { ...ENV, BROKER: 'tws', DATA_DIR: dataDir }, broker: h.broker, clock: h.clock });
    return {
      client,
      settle: () => h.advance(2000),
      cleanup: async () => {
        await client.close();
        await h.cleanup();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  },
};

let current: Setup | null = null;
afterEach(async () => {
  await current?.cleanup();
  current = null;
});

async function until(s: Setup, what: string, done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await done()) return;
    await s.settle();
  }
  throw new Error(`never happened: ${what}`);
}

const held = async (client: GatewayClient, symbol: string): Promise<number> => (await client.getPositions()).find((p) => p.symbol === symbol)?.quantity ?? 0;

describe.each(Object.keys(BROKERS))('cancel-all and close-position on %s', (name) => {
  const start = async (): Promise<Setup> => {
    const factory = BROKERS[name];
    if (!factory) throw new Error(name);
    current = await factory();
    return current;
  };

  it('cancel-all leaves no working order, each cancel audited under the request correlation id', async () => {
    const s = await start();
    const { client } = s;
    const quote = await client.getQuote({ symbol: 'AAPL' });
    const limitPrice = Math.round((quote.bid ?? 100) * 0.93 * 100) / 100;
    const placed = [];
    for (const [symbol, quantity] of [['AAPL', 1], ['AAPL', 2], ['MSFT', 1]] as const) {
      const price = symbol === 'AAPL' ? limitPrice : Math.round(((await client.getQuote({ symbol })).bid ?? 100) * 0.93 * 100) / 100;
      placed.push(await client.placeOrder({ symbol, action: 'BUY', quantity, orderType: 'LMT', limitPrice: price, timeInForce: 'GTC' }));
    }
    await until(s, 'all working', async () => (await client.listOrders({ status: 'open' })).length === 3);

    const result = await withContext({ correlationId: 'bulk-cancel-1', interface: 'library' }, () => client.cancelAllOrders());
    expect(result.failed).toEqual([]);
    expect(result.cancelled.map((c) => c.orderId).sort()).toEqual(placed.map((p) => p.orderId).sort());
    await until(s, 'none working', async () => (await client.listOrders({ status: 'open' })).length === 0);
    const audit = await client.queryAudit({ correlationId: 'bulk-cancel-1', eventType: 'ORDER_CANCEL_REQUESTED' });
    expect(audit.entries.map((e) => e.orderId).sort()).toEqual(placed.map((p) => p.orderId).sort());
    expect((await client.getOrderStatus(placed[0]?.orderId ?? '')).status).toBe('CANCELLED');
  });

  it('close-position flattens a long and a short; the order events and the audit agree', async () => {
    const s = await start();
    const { client } = s;
    const from = (await client.listOrderEvents({ limit: 1 })).at(-1)?.sequence ?? 0;
    await client.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity: 10, orderType: 'MKT' });
    await client.placeOrder({ symbol: 'MSFT', action: 'SELL', quantity: 4, orderType: 'MKT' });
    await until(s, 'long and short', async () => (await held(client, 'AAPL')) === 10 && (await held(client, 'MSFT')) === -4);

    const part = await client.closePosition('aapl', { quantity: 3 });
    expect(part.spec).toMatchObject({ symbol: 'AAPL', action: 'SELL', quantity: 3, orderType: 'MKT' });
    await until(s, 'seven left', async () => (await held(client, 'AAPL')) === 7);
    const long = await client.closePosition('AAPL');
    const short = await client.closePosition('MSFT', {}, { idempotencyKey: 'close-msft' });
    expect(long.spec).toMatchObject({ action: 'SELL', quantity: 7 });
    expect(short.spec).toMatchObject({ action: 'BUY', quantity: 4 });
    await until(s, 'flat', async () => (await held(client, 'AAPL')) === 0 && (await held(client, 'MSFT')) === 0);
    await until(s, 'closing orders filled', async () => (await client.getOrderStatus(short.orderId)).status === 'FILLED');
    expect(await client.closePosition('MSFT', {}, { idempotencyKey: 'close-msft' })).toMatchObject({ orderId: short.orderId, idempotentReplay: true });
    await expect(client.closePosition('MSFT')).rejects.toMatchObject({ code: 'POSITION_NOT_FOUND' });

    // On tws the FILLED status and the execution are separate messages; wait for both.
    await until(s, 'executions recorded', async () => {
      const orders = await Promise.all([part, long, short].map((o) => client.getOrderStatus(o.orderId)));
      return orders.every((o) => o.fills.length > 0);
    });
    const events = await client.listOrderEvents({ afterSequence: from, limit: 1000 });
    for (const order of [part, long, short]) {
      const mine = events.filter((e) => e.orderId === order.orderId);
      expect(mine[0]?.kind).toBe('NEW');
      expect(mine.some((e) => e.kind === 'FILL')).toBe(true);
      expect(mine.at(-1)?.status).toBe('FILLED');
    }
    expect((await client.verifyAudit()).ok).toBe(true);
  });
});
