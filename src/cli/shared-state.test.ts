/**
 * Safety state shared between processes on one DATA_DIR, with real processes:
 * the built CLI, `start` (a gateway) and `sim-gateway`. The rate limits, the
 * duplicate guard, the day's count and realised loss, and the kill switch are
 * read from the store, so a limit reached through one process holds in every
 * other, across restarts; the CLI talks to a running gateway over REST; and a
 * tws broker pointed at a sim-gateway on the same DATA_DIR never changes the
 * simulator's orders.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openAuditStore } from '../core/audit/index.js';
import { Health, KillSwitchChange, OrderDetail, OrderPreview, OrderResult } from '../core/models.js';
import { readRuntimeFile, runtimeFilePath } from './runtime-file.js';

const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let dataDir: string;
const baseEnv = (): Record<string, string> => ({
  PATH: process.env.PATH ?? '',
  HOME: tmpdir(),
  DATA_DIR: dataDir,
  SIM_SESSION: 'always-open',
  LOG_LEVEL: 'silent',
});

const run = (args: string[], env: Record<string, string> = {}): Promise<Run> =>
  new Promise((resolve) => {
    const child = execFile(process.execPath, [MAIN, ...args], { env: { ...baseEnv(), ...env }, cwd: dataDir, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });

interface Gateway {
  url: string;
  key: string;
  stop(): Promise<number | null>;
}

const running: ChildProcess[] = [];

/** `start` on a free port; ready once its runtime file names a live process. */
async function startGateway(env: Record<string, string>): Promise<Gateway> {
  const child = spawn(process.execPath, [MAIN, 'start', '--port', '0'], { env: { ...baseEnv(), LOG_LEVEL: 'warn', ...env }, cwd: dataDir, stdio: ['ignore', 'ignore', 'pipe'] });
  running.push(child);
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const info = await new Promise<{ url: string; keyFile: string | null }>((resolve, reject) => {
    const timer = setInterval(() => {
      const found = readRuntimeFile(dataDir);
      if (found.kind === 'running' && found.info.pid === child.pid) {
        clearInterval(timer);
        resolve(found.info);
      }
    }, 50);
    void exited.then(() => {
      clearInterval(timer);
      reject(new Error(`start exited early: ${stderr}`));
    });
  });
  return {
    url: info.url,
    key: readFileSync(info.keyFile ?? '', 'utf8').trim(),
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** `sim-gateway` on a free port over the simulator in `dir`. */
async function startSimGateway(dir: string): Promise<{ child: ChildProcess; port: string }> {
  const child = spawn(process.execPath, [MAIN, 'sim-gateway', '--port', '0'], { env: { ...baseEnv(), DATA_DIR: dir, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] });
  running.push(child);
  let out = '';
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const port = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /TWS API on [^:\s]+:(\d+)/.exec(out);
      if (m?.[1]) {
        clearInterval(timer);
        resolve(m[1]);
      }
    }, 50);
    child.once('exit', () => {
      clearInterval(timer);
      reject(new Error(`sim-gateway exited: ${out}`));
    });
  });
  return { child, port };
}

async function rest<T>(gw: Gateway, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${gw.url}${path}`, {
    method,
    headers: { 'x-api-key': gw.key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

type ErrorBody = { error: { code: string; message: string; details?: { failedChecks?: Array<{ name: string }> } } };
const failedChecks = (b: unknown): string[] => ((b as ErrorBody).error.details?.failedChecks ?? []).map((c) => c.name);

/** A resting buy: a limit 5% under the market, inside the price band. */
const restingBuy = async (gw: Gateway, quantity: number, extra: Record<string, unknown> = {}): Promise<OrderResult> => {
  const quote = await rest<{ last: number }>(gw, 'GET', '/api/market/quote?symbol=AAPL');
  const limitPrice = Math.round(quote.body.last * 95) / 100;
  const placed = await rest<OrderResult>(gw, 'POST', '/api/orders/place', { symbol: 'AAPL', action: 'BUY', quantity, orderType: 'LMT', limitPrice, ...extra });
  expect(placed.status).toBe(200);
  return OrderResult.parse(placed.body);
};

const openList = async (gw: Gateway): Promise<OrderDetail[]> => OrderDetail.array().parse((await rest(gw, 'GET', '/api/orders?status=open')).body);
// Details of /health need a read key; without one it answers its status only.
const health = async (gw: Gateway): Promise<Health> => Health.parse((await rest(gw, 'GET', '/health')).body);

describe.skipIf(!existsSync(MAIN))('safety state shared by every process on one DATA_DIR (needs `npm run build`)', () => {
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'ibkr-shared-'));
  });
  afterEach(() => {
    for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('N orders split across CLI processes and a gateway hit MAX_ORDERS_PER_MINUTE exactly at N', async () => {
    // Four orders inside one minute (a few seconds of process starts), the fifth refused wherever it comes from.
    const env = { ORDERS_ENABLED: 'false', MAX_ORDERS_PER_MINUTE: '4' };
    expect((await run(['place', 'BUY', '1', 'AAPL', '--yes'], env)).code).toBe(0);
    expect((await run(['place', 'BUY', '2', 'AAPL', '--yes'], env)).code).toBe(0);
    const gw = await startGateway(env);
    try {
      expect((await rest(gw, 'POST', '/api/orders/place', { symbol: 'AAPL', action: 'BUY', quantity: 3, orderType: 'MKT' })).status).toBe(200);
      // With a gateway running the CLI goes through it (no "account in use"), under the same limit.
      const fourth = await run(['place', 'BUY', '4', 'AAPL', '--yes', '--json'], env);
      expect([fourth.code, OrderResult.parse(JSON.parse(fourth.stdout)).status]).toEqual([0, 'SIMULATED']);

      const fifth = await rest(gw, 'POST', '/api/orders/place', { symbol: 'AAPL', action: 'BUY', quantity: 5, orderType: 'MKT' });
      expect(fifth.status).toBe(422);
      expect(failedChecks(fifth.body)).toEqual(['maxOrdersPerMinute']);
      const sixth = await run(['place', 'BUY', '6', 'AAPL', '--yes'], env);
      expect(sixth.code).toBe(1);
      expect(sixth.stderr).toContain('order 5 in the last 60 s would exceed MAX_ORDERS_PER_MINUTE 4');
    } finally {
      expect(await gw.stop()).toBe(0);
    }
    expect(existsSync(runtimeFilePath(dataDir))).toBe(false);
    expect((await run(['audit', 'verify'])).code).toBe(0);
  }, 120_000);

  it('a duplicate placed from the CLI after the same order through REST is refused, by the gateway and by a CLI that opens the broker itself', async () => {
    // A 60 s window: the CLI's start-up time can never carry the repeat out of it.
    const env = { ORDERS_ENABLED: 'false', DUPLICATE_ORDER_WINDOW_SECONDS: '60' };
    const order = ['place', 'SELL', '1', 'AAPL', '--yes'];
    const gw = await startGateway(env);
    try {
      expect((await rest(gw, 'POST', '/api/orders/place', { symbol: 'AAPL', action: 'SELL', quantity: 1, orderType: 'MKT' })).status).toBe(200);
      const viaGateway = await run(order, env);
      expect(viaGateway.code).toBe(1);
      expect(viaGateway.stderr).toContain('duplicateOrder');
    } finally {
      await gw.stop();
    }
    // No gateway now: this CLI opens the simulator itself and still sees the order in the store.
    const alone = await run(order, env);
    expect(alone.code).toBe(1);
    expect(alone.stderr).toContain('duplicateOrder');
    expect((await run(['place', 'SELL', '2', 'AAPL', '--yes'], env)).code).toBe(0);
  }, 120_000);

  it("a restart keeps the day's order count and the day's realised loss", async () => {
    const env = { ORDERS_ENABLED: 'true', MAX_ORDERS_PER_DAY: '3', MAX_ORDERS_PER_MINUTE: '100', DUPLICATE_ORDER_WINDOW_SECONDS: '0' };
    const previewDayChecks = async (gw: Gateway): Promise<Record<string, unknown>> => {
      const p = OrderPreview.parse((await rest(gw, 'POST', '/api/orders/preview', { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT' })).body);
      return Object.fromEntries(p.riskChecks.filter((c) => c.name === 'maxOrdersPerDay' || c.name === 'maxDailyLoss').map((c) => [c.name, c.value]));
    };
    let gw = await startGateway(env);
    let before: Record<string, unknown>;
    try {
      // A round trip: bought at the ask, sold at the bid, plus commissions: a realised loss.
      for (const action of ['BUY', 'SELL']) {
        const r = await rest<OrderResult>(gw, 'POST', '/api/orders/place', { symbol: 'AAPL', action, quantity: 100, orderType: 'MKT' });
        expect([r.status, r.body.status]).toEqual([200, 'FILLED']);
      }
      before = await previewDayChecks(gw);
      expect(before.maxOrdersPerDay).toBe(3);
      expect(before.maxDailyLoss).toBeGreaterThan(0);
    } finally {
      await gw.stop();
    }
    gw = await startGateway(env);
    try {
      expect(await previewDayChecks(gw)).toEqual(before);
      expect((await rest(gw, 'POST', '/api/orders/place', { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT' })).status).toBe(200);
      const fourth = await rest(gw, 'POST', '/api/orders/place', { symbol: 'AAPL', action: 'BUY', quantity: 2, orderType: 'MKT' });
      expect(failedChecks(fourth.body)).toEqual(['maxOrdersPerDay']);
    } finally {
      await gw.stop();
    }
  }, 120_000);

  it('the circuit breaker counts one streak of rejections across CLI processes and a gateway, and trips in the gateway on the Nth', async () => {
    // 100 AAPL is far beyond a 1,000 USD account's buying power: the simulated broker rejects it.
    const env = { ORDERS_ENABLED: 'true', SIM_STARTING_CASH: '1000', CIRCUIT_BREAKER_REJECTIONS: '3', DUPLICATE_ORDER_WINDOW_SECONDS: '0' };
    for (let i = 0; i < 2; i++) {
      const rejected = await run(['place', 'BUY', '100', 'AAPL', '--yes'], env);
      expect([rejected.code, rejected.stderr]).toEqual([1, expect.stringContaining('rejected')]);
    }
    // Two processes, two rejections: neither tripped alone, and the switch is still released.
    expect(JSON.parse((await run(['kill-switch', 'status', '--json'], env)).stdout)).toMatchObject({ engaged: false });
    const gw = await startGateway(env);
    try {
      const third = await rest(gw, 'POST', '/api/orders/place', { symbol: 'AAPL', action: 'BUY', quantity: 100, orderType: 'MKT' });
      expect([third.status, (third.body as ErrorBody).error.code]).toEqual([422, 'ORDER_REJECTED']);
      // The breaker engages the switch just after the rejection is answered.
      let state = (await health(gw)).killSwitch;
      for (let i = 0; i < 100 && !state.engaged; i++) {
        await new Promise((r) => setTimeout(r, 50));
        state = (await health(gw)).killSwitch;
      }
      expect(state).toMatchObject({ engaged: true, reason: 'circuit breaker: 3 consecutive rejections' });
    } finally {
      await gw.stop();
    }
    expect((await run(['audit', 'verify'])).code).toBe(0);
  }, 120_000);

  it("kill-switch on from the CLI cancels the running gateway's working orders, and engaged in the store refuses its very next order and cancels what works", async () => {
    const env = { ORDERS_ENABLED: 'true', DUPLICATE_ORDER_WINDOW_SECONDS: '0' };
    const gw = await startGateway(env);
    try {
      const bracket = await restingBuy(gw, 1, { takeProfitPrice: 1000, stopLossPrice: 1 });
      const single = await restingBuy(gw, 2);
      const working = [bracket.orderId, ...bracket.children.map((c) => c.orderId), single.orderId].sort();
      expect((await openList(gw)).map((o) => o.orderId).sort()).toEqual(working);
      expect((await health(gw)).workingOrders).toBe(working.length);

      const on = await run(['kill-switch', 'on', '--reason', 'cli stop', '--json']);
      expect(on.code).toBe(0);
      const change = KillSwitchChange.parse(JSON.parse(on.stdout));
      expect(change).toMatchObject({ engaged: true, reason: 'cli stop', cancelFailed: [], cancelSkipped: null });
      expect([...change.cancelled].sort()).toEqual(working);
      expect(await openList(gw)).toEqual([]);
      expect((await health(gw)).workingOrders).toBe(0);
      const refused = await rest(gw, 'POST', '/api/orders/place', { symbol: 'AAPL', action: 'BUY', quantity: 3, orderType: 'MKT' });
      expect([refused.status, (refused.body as ErrorBody).error.code]).toEqual([423, 'KILL_SWITCH_ENGAGED']);

      expect((await rest(gw, 'POST', '/api/admin/kill-switch', { engaged: false })).status).toBe(200);
      const resting = await restingBuy(gw, 4);
      // A gateway that does not answer: the CLI writes the switch to the store itself...
      const direct = await run(['--api-url', 'http://127.0.0.1:9', 'kill-switch', 'on', '--reason', 'store', '--json']);
      expect(direct.code).toBe(0);
      expect(KillSwitchChange.parse(JSON.parse(direct.stdout))).toMatchObject({ engaged: true, reason: 'store', by: 'cli', cancelled: [] });
      // ...and the running gateway refuses its very next order.
      const next = await rest(gw, 'POST', '/api/orders/place', { symbol: 'AAPL', action: 'BUY', quantity: 5, orderType: 'MKT' });
      expect([next.status, (next.body as ErrorBody).error.code]).toEqual([423, 'KILL_SWITCH_ENGAGED']);
      expect((await health(gw)).killSwitch).toMatchObject({ engaged: true, reason: 'store' });
      // ...and, following the switch through the store, cancels its own working order (kill-switch-follow.ts).
      let open = await openList(gw);
      for (let i = 0; i < 100 && open.length > 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        open = await openList(gw);
      }
      expect(open).toEqual([]);
      expect((await rest(gw, 'GET', `/api/orders/${resting.orderId}/status`)).body).toMatchObject({ status: 'CANCELLED' });
    } finally {
      await gw.stop();
    }
    expect((await run(['audit', 'verify'])).code).toBe(0);
  }, 120_000);

  it('on a tws gateway too: kill-switch on from the CLI cancels its working orders at the broker and refuses its next order', async () => {
    const simDir = mkdtempSync(join(tmpdir(), 'ibkr-shared-simgw-'));
    try {
      const { port } = await startSimGateway(simDir);
      const gw = await startGateway({ BROKER: 'tws', IBKR_PORT: port, ORDERS_ENABLED: 'true', DUPLICATE_ORDER_WINDOW_SECONDS: '0' });
      try {
        const a = await restingBuy(gw, 1);
        const b = await restingBuy(gw, 2);
        expect((await health(gw)).workingOrders).toBe(2);
        const on = await run(['kill-switch', 'on', '--json']);
        expect(on.code).toBe(0);
        expect([...KillSwitchChange.parse(JSON.parse(on.stdout)).cancelled].sort()).toEqual([a.orderId, b.orderId].sort());
        expect(await openList(gw)).toEqual([]);
        const next = await rest(gw, 'POST', '/api/orders/place', { symbol: 'AAPL', action: 'BUY', quantity: 3, orderType: 'MKT' });
        expect((next.body as ErrorBody).error.code).toBe('KILL_SWITCH_ENGAGED');
      } finally {
        await gw.stop();
      }
    } finally {
      rmSync(simDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('kill-switch on works with the store busy and with the broker unreachable: the switch is engaged, and the answer says why nothing was cancelled', async () => {
    expect((await run(['healthcheck'])).code).toBe(0); // creates audit.db
    // Another process holds the write lock for a moment: the CLI waits for it rather than fail.
    const holder = new Database(join(dataDir, 'audit.db'));
    holder.exec('BEGIN IMMEDIATE');
    const released = new Promise<void>((resolve) =>
      setTimeout(() => {
        holder.exec('COMMIT');
        holder.close();
        resolve();
      }, 1500),
    );
    const busy = await run(['kill-switch', 'on', '--reason', 'busy store', '--json'], { BROKER: 'tws', IBKR_PORT: '1' });
    await released;
    expect(busy.code).toBe(0);
    const change = KillSwitchChange.parse(JSON.parse(busy.stdout));
    expect(change).toMatchObject({ engaged: true, reason: 'busy store', cancelled: [] });
    expect(change.cancelSkipped).toContain('could not open the tws broker');
    const status = await run(['kill-switch', 'status', '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ engaged: true, reason: 'busy store' });
  }, 120_000);

  it('the runtime file is private, refuses a second start and is ignored once its process is gone', async () => {
    const gw = await startGateway({ ORDERS_ENABLED: 'false' });
    const file = runtimeFilePath(dataDir);
    try {
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const second = await run(['start', '--port', '0']);
      expect(second.code).toBe(2);
      expect(second.stderr).toContain('already serves DATA_DIR');
      const checked = await run(['healthcheck']);
      expect(checked.code).toBe(0);
      expect(checked.stdout).toContain(`the running gateway at ${gw.url}`);
    } finally {
      await gw.stop();
    }
    expect(existsSync(file)).toBe(false);
    // A gateway killed without a clean stop leaves its file behind: the CLI sees a dead pid and opens the broker itself.
    await startGateway({ ORDERS_ENABLED: 'false' });
    const child = running[running.length - 1];
    child?.kill('SIGKILL');
    await new Promise((r) => child?.once('exit', r));
    expect(readRuntimeFile(dataDir).kind).toBe('stale');
    const alone = await run(['healthcheck']);
    expect([alone.code, alone.stdout]).toEqual([0, expect.stringContaining('opened by this command')]);
  }, 120_000);

  it("the README's emulator path: a bracket on sim, then sim-gateway and BROKER=tws commands on the same DATA_DIR, changes none of the simulator's orders, and health agrees with the open list", async () => {
    const env = { ORDERS_ENABLED: 'true' };
    const placed = await run(['place', 'BUY', '1', 'AAPL', '--order-type', 'LMT', '--limit', '150', '--take-profit', '400', '--stop-loss', '100', '--yes', '--json'], { ...env, PRICE_BAND_PERCENT: '50' });
    expect(placed.code).toBe(0);
    const bracket = OrderResult.parse(JSON.parse(placed.stdout));
    const simIds = [bracket.orderId, ...bracket.children.map((c) => c.orderId)];
    const versionsOf = async (): Promise<Array<[string, number, string]>> => {
      const store = openAuditStore({ dataDir });
      try {
        return await Promise.all(
          simIds.map(async (id): Promise<[string, number, string]> => {
            const o = await store.getOrder(id);
            return [id, o?.version ?? 0, o?.status ?? 'missing'];
          }),
        );
      } finally {
        await store.close();
      }
    };
    const before = await versionsOf();
    expect(before.every(([, , status]) => status === 'ACCEPTED' || status === 'SUBMITTED')).toBe(true);

    const { child: simGateway, port } = await startSimGateway(dataDir);
    try {
      const tws = { ...env, BROKER: 'tws', IBKR_PORT: port };
      const checked = await run(['healthcheck', '--json'], tws);
      expect(checked.code).toBe(0);
      const h = Health.parse(JSON.parse(checked.stdout));
      const open = await run(['orders', '--status', 'open', '--json'], tws);
      expect(open.code).toBe(0);
      const list = OrderDetail.array().parse(JSON.parse(open.stdout));
      expect(h.workingOrders).toBe(list.length);
      // The tws connection lists only orders of its own identity, never the simulator's rows.
      expect(list.every((o) => o.brokerIdentity === `tws:127.0.0.1:${port}:DU1234567:1`)).toBe(true);
      expect(list.map((o) => o.orderId)).not.toContain(bracket.orderId);
    } finally {
      simGateway.kill('SIGTERM');
      await new Promise((r) => simGateway.once('exit', r));
    }
    expect(await versionsOf()).toEqual(before);
    // And back on the simulator, its orders are still its own and still working.
    const simOpen = await run(['orders', '--status', 'open', '--json'], env);
    expect(OrderDetail.array().parse(JSON.parse(simOpen.stdout)).map((o) => o.orderId).sort()).toEqual([...simIds].sort());
    expect((await run(['audit', 'verify'])).code).toBe(0);
  }, 120_000);
});
