/**
 * A real client on the real simulated broker, in a temporary data directory,
 * driven by a manual clock (tests move time; they never sleep).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../core/clock.js';
import { createClient } from '../gateway.js';
import { parseConfig, type Env } from '../core/config.js';
import type { GatewayClient } from '../core/client/interface.js';
import { createLogger } from '../core/logging.js';

/** Monday 5 January 2026, 10:00 in New York: the US market is open. */
export const MARKET_OPEN = '2026-01-05T15:00:00.000Z';

export interface TestGateway {
  client: GatewayClient;
  clock: ManualClock;
  dataDir: string;
  env: Env;
  /** Moves time and lets the simulator's tick loop and event handlers run. */
  advance(ms: number): Promise<void>;
  /** A second client on the same data directory, as after a restart. */
  restart(extra?: Env): Promise<GatewayClient>;
  cleanup(): Promise<void>;
}

export const quietLogger = () => createLogger({ level: 'silent' });

export async function startTestGateway(env: Env = {}, options: { clock?: ManualClock; dataDir?: string } = {}): Promise<TestGateway> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'ibkr-gw-test-'));
  const clock = options.clock ?? new ManualClock(MARKET_OPEN);
  const fullEnv: Env = { DATA_DIR: dataDir, SIM_SESSION: 'always-open', ORDERS_ENABLED: 'true', LOG_LEVEL: 'silent', DUPLICATE_ORDER_WINDOW_SECONDS: '0', ...env };
  const open = (extra: Env = {}) => createClient({ config: parseConfig({ ...fullEnv, ...extra }), clock, logger: quietLogger() });
  const clients: GatewayClient[] = [await open()];
  const first = clients[0] as GatewayClient;
  return {
    client: first,
    clock,
    dataDir,
    env: fullEnv,
    async advance(ms) {
      const step = 1000;
      for (let t = 0; t < ms; t += step) {
        clock.advance(Math.min(step, ms - t));
        await new Promise((r) => setImmediate(r));
      }
      await new Promise((r) => setImmediate(r));
    },
    async restart(extra) {
      const next = await open(extra);
      clients.push(next);
      return next;
    },
    async cleanup() {
      for (const c of clients) await c.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The stable code a call fails with ("no error" when it succeeds): what most refusals are checked by. */
export async function errorCode(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'no error';
  } catch (err) {
    return err instanceof Error && 'code' in err ? String(err.code) : String(err);
  }
}
