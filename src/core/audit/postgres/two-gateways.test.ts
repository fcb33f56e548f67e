/**
 * Two gateway processes (the built CLI's `start`) on one PostgreSQL database,
 * each with its own DATA_DIR and simulated account, as a desk would run one
 * per account: one idempotency key raced from both places one order, the
 * kill switch engaged on one refuses the next order on the other within a
 * second, every chain stays valid, a SIGKILLed gateway loses no acknowledged
 * order, and stopping PostgreSQL refuses orders until it is back. Placing at
 * once, they take ids from one sequence and neither is refused; a live
 * gateway's idempotency claim is never taken over, a dead one's is (issue 24).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readRuntimeFile } from '../../../cli/runtime-file.js';
import { hashOf } from '../../hashing.js';
import { OrderDetail, OrderResult, PlaceOrderRequest } from '../../models.js';
import { PLACE_SCOPE } from '../../orders/place.js';
import { openPostgresStore } from './store.js';
import { startTestPostgres, type TestPostgres } from '../../../testing/postgres.js';

const MAIN = fileURLToPath(new URL('../../../../dist/cli/main.js', import.meta.url));
const HMAC = 'desk-shared-audit-key-0123456789abcdef';
const API_KEY = 'desk-trader-key-123';

let server: TestPostgres;
const running: ChildProcess[] = [];
const dirs: string[] = [];

interface Gateway {
  url: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

const env = (dataDir: string, databaseUrl: string, account: string): Record<string, string> => ({
  PATH: process.env.PATH ?? '',
  HOME: tmpdir(),
  DATA_DIR: dataDir,
  DATABASE_URL: databaseUrl,
  AUDIT_HMAC_KEY: HMAC,
  API_KEYS: `desk=${API_KEY}:admin`,
  SIM_ACCOUNT_ID: account,
  SIM_SESSION: 'always-open',
  ORDERS_ENABLED: 'true',
  // The test fires orders far faster than a desk would; the limits are not what is tested here.
  MAX_ORDERS_PER_MINUTE: '100000',
  MAX_ORDERS_PER_DAY: '1000000',
  DUPLICATE_ORDER_WINDOW_SECONDS: '0',
  API_RATE_LIMIT_PER_MINUTE: '1000000',
  CIRCUIT_BREAKER_REJECTIONS: '0',
  LOG_LEVEL: 'warn',
});

async function startGateway(databaseUrl: string, account: string): Promise<Gateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ibkr-two-gw-'));
  dirs.push(dataDir);
  const child = spawn(process.execPath, [MAIN, 'start', '--port', '0'], { env: env(dataDir, databaseUrl, account), cwd: dataDir, stdio: ['ignore', 'ignore', 'pipe'] });
  running.push(child);
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const found = readRuntimeFile(dataDir);
      if (found.kind === 'running' && found.info.pid === child.pid) {
        clearInterval(timer);
        resolve(found.info.url);
      }
    }, 50);
    void exited.then(() => {
      clearInterval(timer);
      reject(new Error(`start exited early: ${stderr}`));
    });
  });
  return { url, child, exited };
}

async function rest<T = unknown>(gw: Gateway, method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(`${gw.url}${path}`, {
    method,
    headers: { 'x-api-key': API_KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

const errorCode = (body: unknown): string | undefined => (body as { error?: { code?: string } }).error?.code;

/** A buy far under the market (inside the price band) that rests: an order that stays open. */
async function restingBuy(gw: Gateway, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  return rest(gw, 'POST', '/api/orders/place', await restingBuyBody(gw), headers);
}

async function restingBuyBody(gw: Gateway): Promise<Record<string, unknown>> {
  const quote = await rest<{ last: number }>(gw, 'GET', '/api/market/quote?symbol=AAPL');
  return { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'LMT', limitPrice: Math.round(quote.body.last * 95) / 100 };
}

/** The idempotency request hash the gateway computes for this body and account (place.ts). */
function placeHash(body: Record<string, unknown>, accountId: string): string {
  const { previewId: _previewId, ...spec } = PlaceOrderRequest.parse(body);
  return hashOf({ spec, accountId });
}

/** The script of a gateway stand-in: registers an instance, claims `key` for the desk's API key, says so, then waits to be killed. */
const CLAIMER = (storeModule: string): string => `
import { openPostgresStore } from ${JSON.stringify(storeModule)};
import { localHostKey } from ${JSON.stringify(storeModule.replace('audit/postgres/store.js', 'instance.js'))};
const [url, scope, key, hash] = process.argv.slice(1);
const store = await openPostgresStore({ url, dataDir: process.cwd(), hmacKey: ${JSON.stringify(HMAC)} });
await store.registerInstance({ hostKey: localHostKey(), pid: process.pid, leaseMs: 600000 });
setInterval(() => void store.heartbeatInstance(), 1000);
const claim = await store.beginIdempotent(scope, key, 'key:desk', hash);
process.stdout.write(claim.kind + '\\n');
`;

function cli(args: string[], databaseUrl: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ibkr-two-gw-cli-'));
  dirs.push(dataDir);
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { env: env(dataDir, databaseUrl, 'DU0000000'), cwd: dataDir, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** The orders a gateway lists (its own broker's). */
const allOrders = async (gw: Gateway): Promise<OrderDetail[]> => OrderDetail.array().parse((await rest(gw, 'GET', '/api/orders?limit=1000')).body);

/** Every order in the shared store, whichever gateway placed it. */
async function storeOrders(url: string): Promise<OrderDetail[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ibkr-two-gw-read-'));
  dirs.push(dataDir);
  const store = await openPostgresStore({ url, dataDir, hmacKey: HMAC });
  try {
    return await store.listOrders({ status: 'all', limit: 1000 });
  } finally {
    await store.close();
  }
}

describe.skipIf(!existsSync(MAIN))('two gateways on one PostgreSQL database (needs `npm run build`)', () => {
  beforeAll(async () => {
    server = await startTestPostgres();
  });
  afterEach(() => {
    for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });
  afterAll(async () => {
    await server?.destroy();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('100 concurrent places of one Idempotency-Key split across both gateways make exactly one order; the chains verify', async () => {
    const url = await server.createDatabase('two_gw_idem');
    const [a, b] = [await startGateway(url, 'DU1111111'), await startGateway(url, 'DU2222222')];
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => restingBuy(i % 2 === 0 ? a : b, { 'idempotency-key': 'desk-order-1' })));
    const placed = results.filter((r) => r.status === 200).map((r) => OrderResult.parse(r.body));
    // Every success is the one order (first answer or replays of it); every refusal says why.
    expect(new Set(placed.map((p) => p.orderId)).size).toBe(1);
    for (const r of results.filter((x) => x.status !== 200)) expect(['IDEMPOTENCY_IN_PROGRESS', 'IDEMPOTENCY_CONFLICT']).toContain(errorCode(r.body));
    const orders = await storeOrders(url);
    expect(orders.map((o) => o.orderId)).toEqual([placed[0]?.orderId]);
    const verify = await cli(['audit', 'verify'], url);
    expect(verify.stderr).toBe('');
    expect(verify).toMatchObject({ code: 0, stdout: expect.stringMatching(/audit log intact: \d+ rows verified/) });
  });

  it('the kill switch engaged on one gateway refuses the next order on the other within a second', async () => {
    const url = await server.createDatabase('two_gw_kill');
    const [a, b] = [await startGateway(url, 'DU1111111'), await startGateway(url, 'DU2222222')];
    expect((await restingBuy(b)).status).toBe(200);
    expect((await rest(b, 'GET', '/health')).body).toMatchObject({ store: { kind: 'postgres', latencyMs: expect.any(Number) } });
    expect((await rest(a, 'POST', '/api/admin/kill-switch', { engaged: true, reason: 'desk stop' })).status).toBe(200);
    const engagedAt = Date.now();
    let refused: { status: number; body: unknown } | null = null;
    while (Date.now() - engagedAt < 3000) {
      const r = await restingBuy(b);
      if (r.status !== 200) {
        refused = r;
        break;
      }
    }
    expect(Date.now() - engagedAt).toBeLessThan(1000);
    expect(errorCode(refused?.body)).toBe('KILL_SWITCH_ENGAGED');
  });

  it('concurrent orders from both keep every chain valid, and a SIGKILLed gateway loses no acknowledged order', async () => {
    const url = await server.createDatabase('two_gw_kill9');
    const [a, b] = [await startGateway(url, 'DU1111111'), await startGateway(url, 'DU2222222')];
    const acknowledged: string[] = [];
    let stop = false;
    const stream = async (gw: Gateway): Promise<void> => {
      while (!stop) {
        try {
          const r = await restingBuy(gw);
          if (r.status === 200) acknowledged.push(OrderResult.parse(r.body).orderId);
        } catch {
          return; // the gateway was killed mid-request: that order was never acknowledged
        }
      }
    };
    const streams = [stream(a), stream(a), stream(b), stream(b)];
    // Killed mid-stream, once both have acknowledged orders (at least 1.5 s: a loaded machine places slowly).
    const since = Date.now();
    while (Date.now() - since < 1500 || (acknowledged.length < 8 && Date.now() - since < 30_000)) await new Promise((r) => setTimeout(r, 100));
    a.child.kill('SIGKILL');
    await a.exited;
    await new Promise((r) => setTimeout(r, 500));
    stop = true;
    await Promise.all(streams);
    expect(acknowledged.length).toBeGreaterThan(4);
    const recorded = new Set((await storeOrders(url)).map((o) => o.orderId));
    expect(acknowledged.filter((id) => !recorded.has(id))).toEqual([]);
    expect(await cli(['audit', 'verify'], url)).toMatchObject({ code: 0 });
  });

  it('both place at once: every order is accepted, and the ids come from one desk-wide sequence, none used twice', async () => {
    const url = await server.createDatabase('two_gw_ids');
    const [a, b] = [await startGateway(url, 'DU1111111'), await startGateway(url, 'DU2222222')];
    const [bodyA, bodyB] = [await restingBuyBody(a), await restingBuyBody(b)];
    const place = async (gw: Gateway, body: Record<string, unknown>, n: number): Promise<Array<{ status: number; body: unknown }>> => {
      const answers: Array<{ status: number; body: unknown }> = [];
      for (let i = 0; i < n; i++) answers.push(await rest(gw, 'POST', '/api/orders/place', body));
      return answers;
    };
    // Three streams per gateway, 10 orders each: 60 placements racing for ids.
    const answers = (await Promise.all([a, a, a, b, b, b].map((gw) => place(gw, gw === a ? bodyA : bodyB, 10)))).flat();
    expect(answers.filter((r) => r.status !== 200).map((r) => errorCode(r.body))).toEqual([]);
    const orders = await storeOrders(url);
    expect(orders).toHaveLength(60);
    // Both simulators start at id 1; the store's sequence hands out 1..60 between them, without a gap or a repeat.
    expect(orders.map((o) => Number(o.orderId)).sort((x, y) => x - y)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    for (const account of ['DU1111111', 'DU2222222']) {
      const own = orders.filter((o) => o.accountId === account);
      expect(own).toHaveLength(30);
      expect(own.every((o) => o.brokerIdentity === `sim:${account}`)).toBe(true);
    }
    expect(await cli(['audit', 'verify'], url)).toMatchObject({ code: 0 });
  }, 120_000);

  it('a claim held by a live gateway elsewhere is never taken; once its lease runs out, the order is placed once', async () => {
    const url = await server.createDatabase('two_gw_lease');
    const b = await startGateway(url, 'DU2222222');
    const body = await restingBuyBody(b);
    // Another gateway, on another machine (no pid to check), mid-request with this key: its lease of 1.5 s is renewed while it lives.
    const other = await openPostgresStore({ url, dataDir: dirs[dirs.length - 1] ?? tmpdir(), hmacKey: HMAC });
    try {
      await other.registerInstance({ hostKey: 'another-machine', pid: 1, leaseMs: 1500 });
      expect((await other.beginIdempotent(PLACE_SCOPE, 'desk-lease', 'key:desk', placeHash(body, 'DU2222222'))).kind).toBe('new');
      const beating = setInterval(() => void other.heartbeatInstance(), 300);
      const until = Date.now() + 2500;
      try {
        while (Date.now() < until) {
          const r = await rest(b, 'POST', '/api/orders/place', body, { 'idempotency-key': 'desk-lease' });
          expect(r.status).toBe(409);
          expect(errorCode(r.body)).toBe('IDEMPOTENCY_IN_PROGRESS');
          await new Promise((res) => setTimeout(res, 200));
        }
      } finally {
        clearInterval(beating);
      }
      expect(await storeOrders(url)).toEqual([]);
      // It stops renewing (a network cut, a frozen VM): after the lease, the claim is taken over and placed, once.
      await new Promise((res) => setTimeout(res, 1700));
      const placed = await rest(b, 'POST', '/api/orders/place', body, { 'idempotency-key': 'desk-lease' });
      expect(placed.status).toBe(200);
      const again = await rest(b, 'POST', '/api/orders/place', body, { 'idempotency-key': 'desk-lease' });
      expect(again.body).toMatchObject({ orderId: OrderResult.parse(placed.body).orderId, idempotentReplay: true });
      expect(await storeOrders(url)).toHaveLength(1);
    } finally {
      await other.close();
    }
  }, 90_000);

  it('a claim of a SIGKILLed gateway process on this machine is recovered at once, and the order placed once', async () => {
    const url = await server.createDatabase('two_gw_orphan');
    const b = await startGateway(url, 'DU2222222');
    const body = await restingBuyBody(b);
    const storeModule = new URL('../../../../dist/core/audit/postgres/store.js', import.meta.url).href;
    const claimer = spawn(process.execPath, ['--input-type=module', '-e', CLAIMER(storeModule), url, PLACE_SCOPE, 'desk-orphan', placeHash(body, 'DU2222222')], {
      cwd: dirs[dirs.length - 1],
      env: { PATH: process.env.PATH ?? '', HOME: tmpdir() },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    running.push(claimer);
    const said = await new Promise<string>((resolve) => claimer.stdout?.once('data', (c: Buffer) => resolve(c.toString().trim())));
    expect(said).toBe('new');
    // Alive, it holds the key (its lease is ten minutes).
    expect(errorCode((await rest(b, 'POST', '/api/orders/place', body, { 'idempotency-key': 'desk-orphan' })).body)).toBe('IDEMPOTENCY_IN_PROGRESS');
    claimer.kill('SIGKILL');
    await new Promise((res) => claimer.once('exit', res));
    const placed = await rest(b, 'POST', '/api/orders/place', body, { 'idempotency-key': 'desk-orphan' });
    expect(placed.status).toBe(200);
    expect(OrderResult.parse(placed.body).idempotentReplay).toBeFalsy();
    expect((await storeOrders(url)).map((o) => o.orderId)).toEqual([OrderResult.parse(placed.body).orderId]);
    expect(await cli(['audit', 'verify'], url)).toMatchObject({ code: 0 });
  }, 90_000);

  it('stopping PostgreSQL refuses orders with AUDIT_UNAVAILABLE, and they succeed again once it is back', async () => {
    if (!server.owned) return; // PG_TEST_URL: someone else's server is not ours to stop
    const url = await server.createDatabase('two_gw_outage');
    const gw = await startGateway(url, 'DU1111111');
    expect((await restingBuy(gw)).status).toBe(200);
    const before = (await allOrders(gw)).length;
    await server.stop();
    const refused = await rest(gw, 'POST', '/api/orders/place', { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'LMT', limitPrice: 100 });
    expect(refused.status).toBe(503);
    expect(errorCode(refused.body)).toBe('AUDIT_UNAVAILABLE');
    await server.start();
    let again: { status: number; body: unknown } = { status: 0, body: null };
    for (let i = 0; i < 20 && again.status !== 200; i++) {
      again = await restingBuy(gw);
      if (again.status !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    expect(again.status).toBe(200);
    // The refused order was never recorded, so never sent: one more order than before, the new one.
    expect((await allOrders(gw)).length).toBe(before + 1);
  });
});
