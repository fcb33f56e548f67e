/**
 * Test support: a simulated broker on a manual clock in a temp DATA_DIR,
 * the emulator over it on a free port, and real @stoqey/ib clients that
 * record every event they emit so tests can wait for them and check that
 * the client's decoder never complained.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EventName, IBApi } from '@stoqey/ib';
import { ManualClock } from '../core/clock.js';
import { Catalogue, createSimBroker } from '../brokers/sim/index.js';
import type { SimBroker } from '../brokers/sim/index.js';
import type { Broker } from '../core/broker/port.js';
import { startTwsEmulator, type TwsEmulator, type TwsEmulatorOptions } from '../tws-emulator/index.js';

export interface Recorded {
  name: string;
  args: unknown[];
}

export interface TestClient {
  ib: IBApi;
  events: Recorded[];
  /** Resolves with the first event (already seen or still to come) matching; rejects after `ms`. */
  waitFor(name: string, match?: (args: unknown[]) => boolean, ms?: number): Promise<unknown[]>;
  all(name: string, match?: (args: unknown[]) => boolean): unknown[][];
  /** Errors the client's own decoder raised (505: leftover fields, underrun, unknown message). */
  decoderErrors(): string[];
  disconnect(): void;
}

export const MONDAY_10_ET = '2026-01-05T15:00:00.000Z';

export function recordClient(ib: IBApi): TestClient {
  const events: Recorded[] = [];
  const waiters = new Set<{ name: string; match: (a: unknown[]) => boolean; resolve: (a: unknown[]) => void }>();
  ib.on(EventName.all, (name: string, args: unknown[]) => {
    events.push({ name, args });
    for (const w of [...waiters]) {
      if (w.name === name && w.match(args)) {
        waiters.delete(w);
        w.resolve(args);
      }
    }
  });
  return {
    ib,
    events,
    waitFor(name, match = () => true, ms = 3000) {
      const seen = events.find((e) => e.name === name && match(e.args));
      if (seen) return Promise.resolve(seen.args);
      return new Promise((resolve, reject) => {
        const w = { name, match, resolve };
        waiters.add(w);
        setTimeout(() => {
          if (waiters.delete(w)) reject(new Error(`timed out waiting for ${name}; saw ${events.map((e) => e.name).join(', ')}`));
        }, ms).unref();
      });
    },
    all: (name, match = () => true) => events.filter((e) => e.name === name && match(e.args)).map((e) => e.args),
    decoderErrors: () =>
      events
        .filter((e) => e.name === EventName.error && e.args[1] === 505)
        .map((e) => (e.args[0] instanceof Error ? e.args[0].message : String(e.args[0]))),
    disconnect: () => ib.disconnect(),
  };
}

export interface Harness {
  broker: Broker & SimBroker;
  clock: ManualClock;
  emulator: TwsEmulator;
  clients: TestClient[];
  /** A connected IBApi client (resolves after nextValidId). */
  connect(clientId: number, options?: { maxReqPerSec?: number; port?: number }): Promise<TestClient>;
  /** Moves the market and lets the broker's events and the socket traffic through. */
  advance(ms: number): Promise<void>;
  /**
   * Moves the market `stepMs` at a time until `done()` holds (at most `maxSteps`). A stream is set up
   * asynchronously (the client's scheduler, contract resolution), so on a loaded machine a single step
   * can pass before it exists; stepping until the first event arrives cannot miss it.
   */
  advanceUntil(done: () => boolean, stepMs: number, maxSteps?: number): Promise<void>;
  close(): Promise<void>;
}

export const tick = (ms = 20): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `session`: the simulator's (default always-open, so tests run at any market hour; 'real' follows the exchange calendar). */
export async function makeHarness(options: Partial<Omit<TwsEmulatorOptions, 'broker' | 'port'>> & { session?: 'real' | 'always-open' } = {}): Promise<Harness> {
  const { session = 'always-open', ...emulatorOptions } = options;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tws-emu-'));
  const clock = new ManualClock(MONDAY_10_ET);
  const broker = createSimBroker({ dataDir, seed: 42, session, startingCash: 1_000_000, clock });
  await broker.connect();
  const universe = new Catalogue().listed().map((i) => i.contract);
  const emulator = await startTwsEmulator({ broker, port: 0, clock, universe, ...emulatorOptions });
  const clients: TestClient[] = [];
  return {
    broker,
    clock,
    emulator,
    clients,
    async connect(clientId, o = {}) {
      const ib = new IBApi({ host: '127.0.0.1', port: o.port ?? emulator.port, ...(o.maxReqPerSec ? { maxReqPerSec: o.maxReqPerSec } : {}) });
      const client = recordClient(ib);
      clients.push(client);
      ib.connect(clientId);
      await client.waitFor(EventName.nextValidId);
      return client;
    },
    async advance(ms) {
      clock.advance(ms);
      await tick(10);
    },
    async advanceUntil(done, stepMs, maxSteps = 40) {
      for (let i = 0; i < maxSteps && !done(); i++) {
        await tick(30);
        clock.advance(stepMs);
        await tick(10);
      }
    },
    async close() {
      for (const c of clients) c.disconnect();
      await emulator.close();
      await broker.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
