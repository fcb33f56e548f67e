/**
 * What a newcomer meets in the first hour, through the built command: `npm
 * start` reports a bad configuration before building; a busy
 * port changes nothing and says what to do; `demo` leaves the user's DATA_DIR
 * as it was; an order without its limit price is a usage error; the sim lock
 * names the command holding it; an option quote says which option; and no log
 * line or audit row carries any part of an API key.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../gateway.js';
import { AuditPage } from '../core/models.js';

const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let root: string;
const run = (args: string[], env: Record<string, string>): Promise<Run> =>
  new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [MAIN, ...args],
      { env: { PATH: process.env.PATH ?? '', HOME: root, TMPDIR: root, SIM_SESSION: 'always-open', LOG_LEVEL: 'silent', ...env }, cwd: root, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });

/** Every file under dir with its size and content digest: "untouched" means this does not change. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, e.name);
      if (e.isDirectory()) walk(path);
      else out[path.slice(dir.length)] = `${statSync(path).size}:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
    }
  };
  walk(dir);
  return out;
}

/** Spawns a long-running command and resolves once its output matches. */
async function startUntil(args: string[], env: Record<string, string>, ready: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray; output: () => string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { PATH: process.env.PATH ?? '', SIM_SESSION: 'always-open', ...env }, cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = ready.exec(out);
      if (m) {
        clearInterval(timer);
        resolve(m);
      }
    }, 50);
    void exited.then(() => {
      clearInterval(timer);
      reject(new Error(`${args.join(' ')} exited early: ${out}`));
    });
  });
  return { child, match, output: () => out, exited };
}

describe.skipIf(!existsSync(MAIN))('the first hour with the ibkr-gateway command (needs `npm run build`)', () => {
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'ibkr-first-hour-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('npm start reports a bad configuration at once, with the built dist/, before any build', async () => {
    const r = await new Promise<Run>((resolve) =>
      execFile(process.execPath, [fileURLToPath(new URL('../../scripts/start.mjs', import.meta.url))], { env: { PATH: process.env.PATH ?? '', TRADING_MODE: 'papeer', DATA_DIR: join(root, 'never') }, cwd: root }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      ),
    );
    expect(r).toEqual({ code: 2, stdout: '', stderr: 'Invalid configuration: TRADING_MODE="papeer" is not accepted; TRADING_MODE accepts paper | live\n' });
    expect(existsSync(join(root, 'never'))).toBe(false);
  });

  it('start on a port in use names the port, suggests API_PORT, exits 2 and creates nothing in DATA_DIR', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as AddressInfo).port;
    const dataDir = join(root, 'busy-port-data');
    try {
      const r = await run(['start'], { DATA_DIR: dataDir, API_PORT: String(port) });
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(`Port ${port} on 127.0.0.1 is already in use (another ibkr-gateway?): stop that process, or choose another port with API_PORT=${port + 1} (or --port ${port + 1})`);
      // No API key generated and never shown, no audit log, no simulated account.
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      busy.close();
    }
  });

  it("demo runs in a temporary DATA_DIR of its own: the user's DATA_DIR, account and audit log are untouched, and the temporary one is removed", async () => {
    const dataDir = join(root, 'users-data');
    expect((await run(['kill-switch', 'status'], { DATA_DIR: dataDir })).code).toBe(0);
    const before = snapshot(dataDir);
    expect(Object.keys(before)).toContain('/audit.db');
    const demoTmp = join(root, 'demo-tmp');
    mkdirSync(demoTmp);
    const r = await run(['demo', '--yes'], { DATA_DIR: dataDir, TMPDIR: demoTmp });
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain('7/7');
    expect(r.stdout).toContain('your DATA_DIR is not touched');
    expect(snapshot(dataDir)).toEqual(before);
    expect(readdirSync(demoTmp)).toEqual([]);
  });

  it('demo --keep keeps its DATA_DIR, whose audit log holds the simulated order', async () => {
    const r = await run(['demo', '--yes', '--keep'], { DATA_DIR: join(root, 'unused') });
    expect(r.code).toBe(0);
    const kept = /kept in (\S+):/.exec(r.stdout)?.[1] ?? '';
    const orderId = /order id\s+(SIM-[0-9a-f]+)/.exec(r.stdout)?.[1] ?? '';
    expect(existsSync(join(kept, 'audit.db'))).toBe(true);
    const q = await run(['audit', 'query', '--order-id', orderId, '--json'], { DATA_DIR: kept });
    expect(AuditPage.parse(JSON.parse(q.stdout)).entries.map((e) => [e.eventType, e.userContext.interface])).toEqual([['ORDER_SIMULATED', 'cli']]);
    expect(existsSync(join(root, 'unused'))).toBe(false);
  });

  it.each([
    [['place', 'BUY', '10', 'AAPL', '--order-type', 'LMT', '--yes'], 'limitPrice'],
    [['preview', 'BUY', '10', 'AAPL', '--order-type', 'STP'], 'stopPrice'],
  ])('%j is a usage error: exit 2 naming the missing field', async (args, field) => {
    const r = await run(args, { DATA_DIR: join(root, 'usage'), ORDERS_ENABLED: 'true' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('VALIDATION_ERROR');
    expect(r.stderr).toContain(field);
    expect(r.stdout).toBe('');
  });

  it('quote of an option labels its row with expiry, strike and right', async () => {
    const client = await createClient({ env: { DATA_DIR: join(root, 'chain'), SIM_SESSION: 'always-open' } });
    const chain = await client.getOptionChain({ symbol: 'AAPL', strikesAroundSpot: 1 });
    await client.close();
    const option = chain.options[0];
    if (!option) throw new Error('the simulated chain has no options');
    const r = await run(['quote', 'AAPL', '--sec-type', 'OPT', '--expiry', option.expiry, '--strike', String(option.strike), '--right', option.right], { DATA_DIR: join(root, 'option') });
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout.split('\n')[1]).toMatch(new RegExp(`^AAPL ${option.expiry} ${option.strike} ${option.right} `));
  });

  it('a CLI command beside a running sim-gateway is told sim-gateway holds the account, not start', async () => {
    const dataDir = join(root, 'emulated');
    const gateway = await startUntil(['sim-gateway', '--port', '0'], { DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, /TWS API on/);
    try {
      const r = await run(['quote', 'AAPL'], { DATA_DIR: dataDir });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`process ${gateway.child.pid ?? ''} holds it (\`ibkr-gateway sim-gateway\`)`);
      expect(r.stderr).not.toContain('start');
    } finally {
      gateway.child.kill('SIGTERM');
      await gateway.exited;
    }
  });

  it('no log line and no audit row carries any part of an API key; NAME=KEY names a key, the others are key1, key2, ... by position', async () => {
    // Letters outside hex so that no hash or correlation id can contain a fragment by chance.
    const keys = { admin: 'QWzxRTvyPLnmJKsu', trader: 'ZKmwXJqtHVsrYNoP', reader: 'GHjkLMnpQRstVWxy' };
    const wrong = 'NoSuchKeyXYZUVWq';
    const dataDir = join(root, 'keys');
    const env = { DATA_DIR: dataDir, LOG_LEVEL: 'debug', LOG_FORMAT: 'json', ORDERS_ENABLED: 'true', API_KEYS: `ops=${keys.admin}:admin+trade+read,${keys.trader}:read+trade,${keys.reader}` };
    const gateway = await startUntil(['start', '--port', '0'], env, /listening on (http:\/\/\S+)/);
    const url = gateway.match[1] ?? '';
    try {
      const call = async (key: string, path: string, body?: unknown) =>
        fetch(`${url}${path}`, { method: body === undefined ? 'GET' : 'POST', headers: { 'X-API-Key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      expect((await call(keys.reader, '/api/market/quote?symbol=AAPL')).status).toBe(200);
      const unauthorized = (await (await call(wrong, '/api/account/summary')).json()) as { error: { message: string } };
      expect(unauthorized.error.message).toContain('API_KEYS');
      expect(unauthorized.error.message).toContain('DATA_DIR/api-key');
      expect((await call(keys.trader, '/api/orders/place', { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT' })).status).toBe(200);
      expect((await call(keys.admin, '/api/admin/kill-switch', { engaged: true, reason: 'test' })).status).toBe(200);
      expect((await call(keys.admin, '/api/admin/kill-switch', { engaged: false })).status).toBe(200);
    } finally {
      gateway.child.kill('SIGTERM');
    }
    expect(await gateway.exited).toBe(0);
    const exported = await run(['audit', 'export', '--format', 'jsonl'], { DATA_DIR: dataDir });
    expect(exported.code).toBe(0);
    const names = exported.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { userContext: { apiKeyName: string | null } }).userContext.apiKeyName);
    expect(new Set(names.filter((n) => n !== null))).toEqual(new Set(['key2', 'ops']));
    const text = `${gateway.output()}\n${exported.stdout}`;
    for (const key of [...Object.values(keys), wrong]) {
      for (let i = 0; i + 4 <= key.length; i++) expect(text).not.toContain(key.slice(i, i + 4));
    }
  });
});
