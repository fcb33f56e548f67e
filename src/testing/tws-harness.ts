/**
 * Test support: a simulated broker on a manual clock in a temp DATA_DIR, the
 * TWS emulator over it on a free port, and the tws broker connected to it over
 * a real socket.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '../core/clock.js';
import { createSimBroker } from '../brokers/sim/index.js';
import { startTwsEmulator, type TwsEmulator, type TwsEmulatorOptions } from '../tws-emulator/index.js';
import type { Broker } from '../core/broker/port.js';
import { createTwsBroker } from '../brokers/tws/index.js';
import type { TwsBroker, TwsBrokerOptions } from '../brokers/tws/broker.js';
import type { GatewayClient } from '../core/client/interface.js';
import { parseConfig } from '../core/config.js';
import { createClient } from '../gateway.js';

export const MONDAY_10_ET = '2026-01-05T15:00:00.000Z';

export interface TwsHarness {
  broker: TwsBroker;
  sim: Broker;
  emulator: TwsEmulator;
  clock: ManualClock;
  dataDir: string;
  advance(ms: number): Promise<void>;
  /**
   * A gateway restart lasting `awayMs` of market time: the emulator drops the
   * adapter and refuses it, the simulated market moves on, then the emulator
   * listens again and the adapter reconnects by itself.
   */
  restartGateway(awayMs: number): Promise<void>;
  /** Polls `done` (letting socket traffic flow) until it holds; throws after `ms` of wall time. */
  until(what: string, done: () => boolean | Promise<boolean>, ms?: number): Promise<void>;
  cleanup(): Promise<void>;
}

export const flush = (ms = 5): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function makeTwsHarness(overrides: Partial<TwsBrokerOptions> = {}, emulatorOptions: Partial<Omit<TwsEmulatorOptions, 'broker' | 'port' | 'clock'>> = {}): Promise<TwsHarness> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tws-broker-'));
  fs.mkdirSync(path.join(dataDir, 'sim'), { recursive: true });
  const clock = new ManualClock(MONDAY_10_ET);
  const sim = createSimBroker({ dataDir: path.join(dataDir, 'sim'), seed: 42, session: 'always-open', startingCash: 1_000_000, clock });
  await sim.connect();
  const emulator = await startTwsEmulator({ ...emulatorOptions, broker: sim, port: 0, clock });
  const broker = createTwsBroker({
    host: '127.0.0.1',
    port: emulator.port,
    clientId: 7,
    dataDir: path.join(dataDir, 'tws'),
    clock,
    requestTimeoutMs: 3000,
    reconnect: { initialDelayMs: 50, maxDelayMs: 400 },
    ...overrides,
  });
  const until = async (what: string, done: () => boolean | Promise<boolean>, ms = 8000): Promise<void> => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (await done()) return;
      await flush(10);
    }
    if (await done()) return;
    throw new Error(`timed out waiting for ${what}`);
  };
  return {
    broker,
    sim,
    emulator,
    clock,
    dataDir,
    async advance(ms) {
      clock.advance(ms);
      // Let the simulator's events cross the emulator and the socket back to the adapter.
      for (let i = 0; i < 3; i++) await flush(5);
    },
    until,
    async restartGateway(awayMs) {
      const back = emulator.refuseConnectionsFor(200);
      await until('the adapter to notice the gateway went away', () => broker.status().state !== 'connected');
      clock.advance(awayMs);
      await flush(10);
      await back;
      await until('the adapter to reconnect', () => broker.status().state === 'connected');
    },
    async cleanup() {
      await broker.close();
      await emulator.close();
      await sim.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The whole gateway (core client, audit store in its own DATA_DIR) on the tws broker of a harness:
 * orders enabled, logs silent, the duplicate guard off so tests may repeat an order. `cleanup` closes both.
 */
export async function makeTwsGateway(): Promise<{ h: TwsHarness; client: GatewayClient; cleanup(): Promise<void> }> {
  const h = await makeTwsHarness();
  const dataDir = path.join(h.dataDir, 'gateway');
  fs.mkdirSync(dataDir, { recursive: true });
  const client = await createClient({
    config: parseConfig({ DATA_DIR: dataDir, BROKER: 'tws', ORDERS_ENABLED: 'true', LOG_LEVEL: 'silent', DUPLICATE_ORDER_WINDOW_SECONDS: '0' }),
    broker: h.broker,
    clock: h.clock,
  });
  return {
    h,
    client,
    async cleanup() {
      await client.close();
      await h.cleanup();
    },
  };
}
