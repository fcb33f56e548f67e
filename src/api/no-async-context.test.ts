/**
 * The gateway never enters an AsyncLocalStorage context in normal operation:
 * on Node 20 the first `AsyncLocalStorage.run` turns on async hooks for every
 * async resource and promise of the process, for good (about 13% of a quote
 * request's CPU). The request context travels as a value instead
 * (core/logging.ts), and every row still carries its request's correlation id.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../gateway.js';
import type { GatewayClient } from '../core/client/interface.js';
import { createLogger } from '../core/logging.js';
import { startApiServer, type RunningApiServer } from './index.js';
import { BASE_ENV, call, KEYS, sleep } from '../testing/api-harness.js';

/** Every entry into an AsyncLocalStorage context in this process, counted (the real methods still run). */
const entered: string[] = [];
const realRun = AsyncLocalStorage.prototype.run;
const realEnterWith = AsyncLocalStorage.prototype.enterWith;

let dataDir: string;
let client: GatewayClient;
let api: RunningApiServer;

beforeAll(async () => {
  AsyncLocalStorage.prototype.run = function run(this: AsyncLocalStorage<unknown>, store: unknown, fn: (...args: unknown[]) => unknown, ...args: unknown[]) {
    entered.push(new Error('AsyncLocalStorage.run').stack ?? 'run');
    return realRun.call(this, store, fn, ...args);
  } as typeof AsyncLocalStorage.prototype.run;
  AsyncLocalStorage.prototype.enterWith = function enterWith(this: AsyncLocalStorage<unknown>, store: unknown) {
    entered.push(new Error('AsyncLocalStorage.enterWith').stack ?? 'enterWith');
    realEnterWith.call(this, store);
  };
  dataDir = mkdtempSync(join(tmpdir(), 'ibkr-no-als-'));
  const logger = createLogger({ level: 'debug', destination: { write: () => undefined } });
  client = await createClient({ env: { ...BASE_ENV, DATA_DIR: dataDir, ORDERS_ENABLED: 'true' }, logger });
  api = await startApiServer({ client, host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await api?.close();
  await client?.close();
  AsyncLocalStorage.prototype.run = realRun;
  AsyncLocalStorage.prototype.enterWith = realEnterWith;
  rmSync(dataDir, { recursive: true, force: true });
});

describe('normal operation enters no AsyncLocalStorage context', () => {
  it('start-up, quotes, keyed orders with their fills, the kill switch and approvals: none entered, every row stamped with its request', async () => {
    const quote = await call(api.url, '/api/market/quote?symbol=AAPL', { key: KEYS.read, headers: { 'x-correlation-id': 'als-quote' } });
    expect(quote.status).toBe(200);
    const order = { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT' };
    const placed = await call(api.url, '/api/orders/place', { key: KEYS.trade, body: order, headers: { 'x-correlation-id': 'als-place', 'idempotency-key': 'als-key-1' } });
    expect(placed.status).toBe(200);
    const replay = await call(api.url, '/api/orders/place', { key: KEYS.trade, body: order, headers: { 'x-correlation-id': 'als-replay', 'idempotency-key': 'als-key-1' } });
    expect((replay.body as { idempotentReplay: boolean }).idempotentReplay).toBe(true);
    const engaged = await call(api.url, '/api/admin/kill-switch', { key: KEYS.admin, body: { engaged: true, reason: 'test' }, headers: { 'x-correlation-id': 'als-kill' } });
    expect(engaged.status).toBe(200);
    expect((await call(api.url, '/api/admin/kill-switch', { key: KEYS.admin, body: { engaged: false, reason: 'done' } })).status).toBe(200);
    expect((await call(api.url, '/api/approvals', { key: KEYS.read })).status).toBe(200);
    // The broker's fill events are recorded by the order-event handlers, in their own system context.
    await sleep(200);

    expect(entered, entered.join('\n\n')).toEqual([]);
    const rows = (await client.queryAudit({ limit: 500 })).entries;
    const by = (eventType: string): string[] => rows.filter((r) => r.eventType === eventType).map((r) => r.correlationId);
    expect(by('ORDER_SUBMITTED')).toEqual(['als-place']);
    expect(by('KILL_SWITCH')[0]).toBe('als-kill');
    const kill = rows.find((r) => r.eventType === 'KILL_SWITCH' && r.correlationId === 'als-kill');
    expect(kill?.userContext).toEqual({ interface: 'rest', apiKeyName: 'key3' });
    // Broker events and start-up are the system's, each under an id of its own, never a request's.
    const system = rows.filter((r) => r.userContext.interface === 'system');
    expect(system.length).toBeGreaterThan(0);
    expect(system.map((r) => r.correlationId)).not.toContain('als-place');
  });
});
