/**
 * Test support for the REST API tests (not a test file: vitest runs *.test.ts
 * only, and the build leaves *.spec.ts out, so this never ships in dist).
 *
 * Each server runs on a real socket on 127.0.0.1 over a real client with the
 * simulated broker and its own temporary DATA_DIR.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '../gateway.js';
import type { Env } from '../core/config.js';
import type { GatewayClient } from '../core/client/interface.js';
import { startApiServer, type RunningApiServer } from '../api/index.js';
import type { AuthThrottleOptions } from '../api/auth-throttle.js';

export const KEYS = { read: 'readkey12345', trade: 'tradekey1234', admin: 'adminkey1234' } as const;

export const BASE_ENV: Env = {
  SIM_SESSION: 'always-open',
  ORDERS_ENABLED: 'true',
  API_KEYS: `${KEYS.read}:read,${KEYS.trade}:read+trade,${KEYS.admin}:admin+trade+read`,
  LOG_LEVEL: 'silent',
  // Tests place the same small order many times on purpose; the duplicate guard is the risk engine's to test.
  DUPLICATE_ORDER_WINDOW_SECONDS: '0',
  MAX_ORDERS_PER_MINUTE: '100000',
  MAX_ORDERS_PER_DAY: '1000000',
  API_RATE_LIMIT_PER_MINUTE: '1000000',
};

export interface TestServer {
  client: GatewayClient;
  api: RunningApiServer;
  url: string;
  dataDir: string;
  close(): Promise<void>;
}

/** `authThrottle`: the failed-authentication back-off's options (a test clock, say). */
export async function startTestServer(env: Env = {}, options: { authThrottle?: Partial<AuthThrottleOptions> } = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ibkr-api-test-'));
  const client = await createClient({ env: { ...BASE_ENV, DATA_DIR: dataDir, ...env } });
  const api = await startApiServer({ client, host: '127.0.0.1', port: 0, authThrottle: options.authThrottle });
  return {
    client,
    api,
    url: api.url,
    dataDir,
    close: async () => {
      await api.close();
      await client.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface CallOptions {
  key?: string | null;
  body?: unknown;
  /** Sent as is, for malformed JSON. */
  rawBody?: string;
  headers?: Record<string, string>;
  method?: string;
}

export interface CallResult<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** One HTTP request over the socket; the body is parsed when it is JSON. */
export async function call<T = Record<string, unknown>>(base: string, path: string, options: CallOptions = {}): Promise<CallResult<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== null && options.key !== undefined) headers['x-api-key'] = options.key;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method: options.method ?? (body !== undefined ? 'POST' : 'GET'), headers, body });
  const text = await res.text();
  const isJson = (res.headers.get('content-type') ?? '').includes('application/json');
  return { status: res.status, headers: res.headers, text, body: (isJson && text !== '' ? JSON.parse(text) : text) as T };
}

export interface ErrorShape {
  error: { code: string; message: string; details?: unknown };
  correlationId: string;
}

/** The one error body: { error: { code, message, details? }, correlationId } and nothing else. */
export function isErrorBody(body: unknown): body is ErrorShape {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  const keys = Object.keys(b).sort().join(',');
  if (keys !== 'correlationId,error' || typeof b.correlationId !== 'string') return false;
  const e = b.error as Record<string, unknown> | null;
  if (typeof e !== 'object' || e === null) return false;
  const extra = Object.keys(e).filter((k) => k !== 'code' && k !== 'message' && k !== 'details');
  return typeof e.code === 'string' && typeof e.message === 'string' && extra.length === 0;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
