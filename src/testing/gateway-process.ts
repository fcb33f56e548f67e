/**
 * Gateway processes for multi-gateway tests: the built CLI's `start` with its
 * own DATA_DIR and simulated account, on a shared DATABASE_URL, plus REST and
 * Server-Sent-Events helpers against it. Needs `npm run build` (dist/).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRuntimeFile } from '../cli/runtime-file.js';

export const GATEWAY_MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
export const DESK_HMAC = 'desk-shared-audit-key-0123456789abcdef';
export const DESK_API_KEY = 'desk-trader-key-123';

export interface GatewayProcess {
  url: string;
  dataDir: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

/** `extra`: more variables, or other values (RISK_FILE, limits) for the test at hand. */
export function deskEnv(dataDir: string, databaseUrl: string, account: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: tmpdir(),
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    AUDIT_HMAC_KEY: DESK_HMAC,
    API_KEYS: `desk=${DESK_API_KEY}:admin`,
    SIM_ACCOUNT_ID: account,
    SIM_SESSION: 'always-open',
    ORDERS_ENABLED: 'true',
    // Tests fire orders far faster than a desk would; the limits are not what is tested.
    MAX_ORDERS_PER_MINUTE: '100000',
    MAX_ORDERS_PER_DAY: '1000000',
    DUPLICATE_ORDER_WINDOW_SECONDS: '0',
    API_RATE_LIMIT_PER_MINUTE: '1000000',
    CIRCUIT_BREAKER_REJECTIONS: '0',
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** Starts gateways and cleans up after them (kill what still runs, remove the data directories). */
export class GatewayFleet {
  private readonly running: ChildProcess[] = [];
  private readonly dirs: string[] = [];

  async start(databaseUrl: string, account: string, extra: Record<string, string> = {}): Promise<GatewayProcess> {
    const dataDir = mkdtempSync(join(tmpdir(), 'ibkr-desk-gw-'));
    this.dirs.push(dataDir);
    const child = spawn(process.execPath, [GATEWAY_MAIN, 'start', '--port', '0'], { env: deskEnv(dataDir, databaseUrl, account, extra), cwd: dataDir, stdio: ['ignore', 'ignore', 'pipe'] });
    this.running.push(child);
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
    return { url, dataDir, child, exited };
  }

  killAll(): void {
    for (const child of this.running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  }

  cleanup(): void {
    this.killAll();
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}

export async function rest<T = unknown>(gw: GatewayProcess, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T; text: string }> {
  const res = await fetch(`${gw.url}${path}`, {
    method,
    headers: { 'x-api-key': DESK_API_KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const json = (res.headers.get('content-type') ?? '').includes('json') ? (JSON.parse(text) as T) : (undefined as T);
  return { status: res.status, body: json, text };
}

/** A buy 5% under the market (inside the price band) that rests: an order that stays open. */
export async function restingBuy(gw: GatewayProcess): Promise<{ status: number; body: unknown }> {
  const quote = await rest<{ last: number }>(gw, 'GET', '/api/market/quote?symbol=AAPL');
  const limitPrice = Math.round(quote.body.last * 95) / 100;
  return rest(gw, 'POST', '/api/orders/place', { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'LMT', limitPrice });
}

/** An open GET /api/orders/stream: each `event: order` as it arrives, with the time it arrived. */
export interface OrderStream {
  next(timeoutMs: number): Promise<{ data: unknown; at: number }>;
  close(): void;
}

export async function openOrderStream(gw: GatewayProcess, query = ''): Promise<OrderStream> {
  const abort = new AbortController();
  const res = await fetch(`${gw.url}/api/orders/stream${query}`, { headers: { 'x-api-key': DESK_API_KEY }, signal: abort.signal });
  if (res.status !== 200 || !res.body) throw new Error(`stream answered ${res.status}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const queued: Array<{ data: unknown; at: number }> = [];
  let buffer = '';
  const pump = async (): Promise<void> => {
    const { value, done } = await reader.read();
    if (done) throw new Error('the stream ended');
    const at = performance.now();
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const lines = block.split('\n');
      if (!lines.includes('event: order')) continue;
      const data = lines.find((l) => l.startsWith('data: '));
      if (data) queued.push({ data: JSON.parse(data.slice(6)) as unknown, at });
    }
  };
  return {
    async next(timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      while (queued.length === 0) {
        const left = deadline - performance.now();
        if (left <= 0) throw new Error('no order event in time');
        await Promise.race([pump(), new Promise((_, reject) => setTimeout(() => reject(new Error('no order event in time')), left))]);
      }
      return queued.shift() as { data: unknown; at: number };
    },
    close: () => abort.abort(),
  };
}
