/**
 * The built command, run as a user runs it: a child process with no terminal,
 * its own environment, and exit codes that scripts can rely on.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditPage, Health, OrderDetail, OrderPreview, OrderResult, Quote } from '../core/models.js';

const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let dataDir: string;
const run = (args: string[], env: Record<string, string> = {}): Promise<Run> =>
  new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [MAIN, ...args],
      { env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), DATA_DIR: dataDir, SIM_SESSION: 'always-open', LOG_LEVEL: 'silent', ...env }, cwd: dataDir, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });

describe.skipIf(!existsSync(MAIN))('the ibkr-gateway command (needs `npm run build`; `npm test` builds first)', () => {
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'ibkr-cli-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('healthcheck exits 0 on the simulator and prints the Health model with --json', async () => {
    const r = await run(['healthcheck', '--json']);
    expect(r.code).toBe(0);
    const health = Health.parse(JSON.parse(r.stdout));
    expect(health).toMatchObject({ status: 'ok', broker: { kind: 'sim', connected: true }, tradingMode: 'paper', effectiveOrderMode: 'SIMULATE' });
  });

  it.each([
    [['healthcheck'], { TRADING_MODE: 'papeer' }, 'TRADING_MODE="papeer" is not accepted; TRADING_MODE accepts paper | live'],
    [['healthcheck'], { ORDERS_ENABLED: 'maybe' }, 'ORDERS_ENABLED="maybe" is not accepted'],
    [['start'], { API_PORT: '99999' }, 'API_PORT="99999" is not accepted'],
    [['start'], { TRADING_MODE: 'live', ORDERS_ENABLED: 'true' }, 'LIVE_TRADING_OVERRIDE_FILE'],
  ])('%j with %j exits 2 with one line naming the variable', async (args, env, message) => {
    const r = await run(args, env);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
  });

  it('quote AAPL --json prints valid quotes', async () => {
    const r = await run(['quote', 'AAPL', 'msft', '--json']);
    expect(r.code).toBe(0);
    const quotes = Quote.array().parse(JSON.parse(r.stdout));
    expect(quotes.map((q) => [q.symbol, q.conId])).toEqual([
      ['AAPL', 265598],
      ['MSFT', 272093],
    ]);
  });

  it('an unknown symbol exits 1 with its error code', async () => {
    const r = await run(['quote', 'NOSUCHSYMBOL']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('CONTRACT_NOT_FOUND');
  });

  it('preview takes every OrderSpec field as a flag, e.g. a trailing stop-limit with --limit-offset', async () => {
    const r = await run(['preview', 'sell', '3', 'aapl', '--order-type', 'TRAIL_LIMIT', '--trailing-percent', '1', '--limit-offset', '0.5', '--tif', 'GTC', '--json']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(OrderPreview.parse(JSON.parse(r.stdout)).spec).toMatchObject({ symbol: 'AAPL', action: 'SELL', quantity: 3, orderType: 'TRAIL_LIMIT', trailingPercent: 1, limitOffset: 0.5, timeInForce: 'GTC' });
  });

  it.each([
    [['preview', 'BUY', 'ten', 'AAPL'], {}, "argument 'quantity'"],
    [['preview', 'BUY', '10', 'AAPL', '--limit-price', 'abc'], {}, "option '--limit-price <number>' argument 'abc' is invalid"],
    [['mcp'], { MCP_TIMEOUT_MS: 'soon' }, 'MCP_TIMEOUT_MS="soon" is not accepted'],
  ])('%j with %j exits 2 naming what is wrong, nothing on stdout', async (args, env, message) => {
    const r = await run(args, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
  });

  it('place without --yes and without a terminal refuses, and records nothing', async () => {
    const before = AuditPage.parse(JSON.parse((await run(['audit', 'query', '--event-type', 'ORDER_SUBMITTED', '--json'])).stdout)).entries.length;
    const r = await run(['place', 'BUY', '10', 'AAPL'], { ORDERS_ENABLED: 'true' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--yes');
    const after = AuditPage.parse(JSON.parse((await run(['audit', 'query', '--event-type', 'ORDER_SUBMITTED', '--json'])).stdout)).entries.length;
    expect(after).toBe(before);
  });

  it('place --yes, orders, cancel: a resting order from the command line', async () => {
    const env = { ORDERS_ENABLED: 'true' };
    const quote = Quote.array().parse(JSON.parse((await run(['quote', 'AAPL', '--json'])).stdout))[0];
    const limit = Math.round((quote?.bid ?? 100) * 0.95 * 100) / 100;
    const placed = await run(['place', 'BUY', '5', 'AAPL', '--order-type', 'LMT', '--limit', String(limit), '--tif', 'GTC', '--yes', '--json'], env);
    expect(placed.stderr).toBe('');
    const result = OrderResult.parse(JSON.parse(placed.stdout));
    expect(result.status).toBe('ACCEPTED');
    const open = OrderDetail.array().parse(JSON.parse((await run(['orders', '--status', 'open', '--json'], env)).stdout));
    expect(open.map((o) => o.orderId)).toContain(result.orderId);
    const cancelled = await run(['cancel', result.orderId, '--json'], env);
    expect(JSON.parse(cancelled.stdout)).toMatchObject({ orderId: result.orderId, status: 'CANCELLED' });
    const again = await run(['cancel', result.orderId], env);
    expect([again.code, again.stderr]).toEqual([1, expect.stringContaining('ORDER_NOT_CANCELLABLE')]);
  });

  it('cancel --all cancels every working order and lists each', async () => {
    const env = { ORDERS_ENABLED: 'true' };
    const quote = Quote.array().parse(JSON.parse((await run(['quote', 'AAPL', '--json'])).stdout))[0];
    const limit = Math.round((quote?.bid ?? 100) * 0.93 * 100) / 100;
    for (const qty of ['1', '2']) {
      const placed = await run(['place', 'BUY', qty, 'AAPL', '--order-type', 'LMT', '--limit', String(limit), '--tif', 'GTC', '--yes', '--json'], env);
      expect(OrderResult.parse(JSON.parse(placed.stdout)).status).toBe('ACCEPTED');
    }
    const all = await run(['cancel', '--all', '--json'], env);
    expect(all.code, all.stderr).toBe(0);
    const r = JSON.parse(all.stdout) as { cancelled: Array<{ status: string }>; failed: unknown[] };
    expect(r.cancelled.length).toBeGreaterThanOrEqual(2);
    expect(r.cancelled.every((c) => c.status === 'CANCELLED')).toBe(true);
    expect(r.failed).toEqual([]);
    expect(OrderDetail.array().parse(JSON.parse((await run(['orders', '--status', 'open', '--json'], env)).stdout))).toEqual([]);
    expect((await run(['cancel', '--all', 'x1'], env)).code).toBe(2);
  });

  it('close flattens a long and a short; with nothing held it says POSITION_NOT_FOUND', async () => {
    const env = { ORDERS_ENABLED: 'true' };
    const held = async (symbol: string): Promise<number> =>
      (JSON.parse((await run(['positions', '--json'], env)).stdout) as Array<{ symbol: string; quantity: number }>).find((p) => p.symbol === symbol)?.quantity ?? 0;
    const settle = async (symbol: string, want: number): Promise<number> => {
      for (let i = 0; i < 20 && (await held(symbol)) !== want; i++) await new Promise((done) => setTimeout(done, 100));
      return held(symbol);
    };
    await run(['place', 'BUY', '3', 'MSFT', '--yes'], env);
    await run(['place', 'SELL', '2', 'IBM', '--yes'], env);
    expect(await settle('MSFT', 3)).toBe(3);
    expect(await settle('IBM', -2)).toBe(-2);
    const closeLong = await run(['close', 'MSFT', '--yes', '--json'], env);
    expect(closeLong.code, closeLong.stderr).toBe(0);
    expect(OrderResult.parse(JSON.parse(closeLong.stdout)).spec).toMatchObject({ action: 'SELL', quantity: 3 });
    const closeShort = await run(['close', 'ibm', '--yes'], env);
    expect(closeShort.code, closeShort.stderr).toBe(0);
    expect(closeShort.stdout).toMatch(/order id/);
    expect(await settle('MSFT', 0)).toBe(0);
    expect(await settle('IBM', 0)).toBe(0);
    const nothing = await run(['close', 'MSFT', '--yes'], env);
    expect([nothing.code, nothing.stderr]).toEqual([1, expect.stringContaining('POSITION_NOT_FOUND')]);
    expect((await run(['close', 'MSFT'], env)).code).toBe(2);
    // Eleven CLI processes, each a cold start: on a loaded 2-core machine that alone took 22-30 s.
  }, 120_000);

  it('kill-switch on is shown by healthcheck and survives; off releases it', async () => {
    expect((await run(['kill-switch', 'on', '--reason', 'cli test'])).code).toBe(0);
    const health = Health.parse(JSON.parse((await run(['healthcheck', '--json'])).stdout));
    expect(health.killSwitch).toMatchObject({ engaged: true, reason: 'cli test', by: 'cli' });
    expect(health.effectiveOrderMode).toBe('BLOCK');
    expect((await run(['kill-switch', 'off'])).code).toBe(0);
  });

  it('audit verify exits 0 on an intact log', async () => {
    const r = await run(['audit', 'verify']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/intact/);
  });

  it('start serves the REST API, MCP at /mcp and the dashboard at /, and SIGTERM stops it cleanly', async () => {
    const child = spawn(process.execPath, [MAIN, 'start', '--port', '0'], {
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, SIM_SESSION: 'always-open', LOG_LEVEL: 'warn', API_KEYS: 'adminkey1234:admin+trade+read' },
      cwd: dataDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setInterval(() => {
          const m = /listening on (http:\/\/[^\s]+)/.exec(stderr);
          if (m?.[1]) {
            clearInterval(timer);
            resolve(m[1]);
          }
        }, 50);
        void exited.then(() => reject(new Error(`start exited early: ${stderr}`)));
      });
      expect(stderr).toContain('orders disabled');
      const headers = { 'X-API-Key': 'adminkey1234' };
      expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: 'ok' });
      expect(Health.parse(await (await fetch(`${url}/health`, { headers })).json()).status).toBe('ok');
      expect((await fetch(`${url}/api/market/quote?symbol=AAPL`, { headers })).status).toBe(200);
      expect(await (await fetch(`${url}/`)).text()).toContain('<html');
      const mcp = await fetch(`${url}/mcp`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
      });
      expect(await mcp.text()).toContain('place_order');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    // The account lock and the audit database were released: the CLI can use this DATA_DIR again.
    expect((await run(['audit', 'verify'])).code).toBe(0);
    expect((await run(['quote', 'AAPL'])).code).toBe(0);
  });

  it('BROKER=tws healthcheck against sim-gateway exits 0, and exits 1 within seconds when nothing listens', async () => {
    const gatewayDir = mkdtempSync(join(tmpdir(), 'ibkr-simgw-'));
    const gateway = spawn(process.execPath, [MAIN, 'sim-gateway', '--port', '0'], {
      env: { PATH: process.env.PATH ?? '', DATA_DIR: gatewayDir, SIM_SESSION: 'always-open', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    gateway.stdout.on('data', (c: Buffer) => (out += c.toString()));
    gateway.stderr.on('data', (c: Buffer) => (out += c.toString()));
    try {
      const port = await new Promise<string>((resolve, reject) => {
        const timer = setInterval(() => {
          const m = /TWS API on [^:\s]+:(\d+)/.exec(out);
          if (m?.[1]) {
            clearInterval(timer);
            resolve(m[1]);
          }
        }, 50);
        gateway.on('exit', () => reject(new Error(`sim-gateway exited: ${out}`)));
      });
      const healthy = await run(['healthcheck', '--json'], { BROKER: 'tws', IBKR_PORT: port });
      expect(healthy.code).toBe(0);
      expect(Health.parse(JSON.parse(healthy.stdout)).broker).toMatchObject({ kind: 'tws', connected: true, accounts: ['DU1234567'] });
    } finally {
      gateway.kill('SIGTERM');
      rmSync(gatewayDir, { recursive: true, force: true });
    }
    const started = Date.now();
    const down = await run(['healthcheck'], { BROKER: 'tws', IBKR_PORT: '1' });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('BROKER_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('usage errors exit 2; --help exits 0', async () => {
    expect((await run(['no-such-command'])).code).toBe(2);
    expect((await run(['kill-switch', 'maybe'])).code).toBe(2);
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('healthcheck');
  });
});
