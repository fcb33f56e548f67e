/**
 * Server-level behaviour, each on its own server: the kill switch, rate
 * limiting, the generated API key file, and a graceful close.
 */
import { connect } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../gateway.js';
import { parseConfig } from '../core/config.js';
import { createLogger } from '../core/logging.js';
import { resolveApiKeys, startApiServer } from './index.js';
import { BASE_ENV, call, isErrorBody, KEYS, sleep, startTestServer, type ErrorShape, type TestServer } from '../testing/api-harness.js';

const MKT = { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT' } as const;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(env: Record<string, string> = {}): Promise<TestServer> {
  const s = await startTestServer(env);
  cleanups.push(() => s.close());
  return s;
}

function code(res: { body: unknown }): string {
  expect(isErrorBody(res.body), JSON.stringify(res.body)).toBe(true);
  return (res.body as ErrorShape).error.code;
}

describe('kill switch', () => {
  it('POST engages it: place is then 423, /health shows it, release lets orders through again', async () => {
    const s = await server();
    expect((await call(s.url, '/api/orders/place', { key: KEYS.trade, body: MKT })).status).toBe(200);

    const refused = await call(s.url, '/api/admin/kill-switch', { key: KEYS.read, body: { engaged: true, reason: 'x' } });
    expect([refused.status, code(refused)]).toEqual([403, 'FORBIDDEN']);
    const bad = await call(s.url, '/api/admin/kill-switch', { key: KEYS.admin, body: { engaged: 'yes' } });
    expect([bad.status, code(bad)]).toEqual([422, 'VALIDATION_ERROR']);

    const engaged = await call(s.url, '/api/admin/kill-switch', { key: KEYS.admin, body: { engaged: true, reason: 'test halt' } });
    expect(engaged.status).toBe(200);
    expect(engaged.body).toMatchObject({ engaged: true, reason: 'test halt', by: 'rest:key3' });

    const health = await call(s.url, '/health', { key: KEYS.read });
    expect(health.body).toMatchObject({ killSwitch: { engaged: true, reason: 'test halt' }, effectiveOrderMode: 'BLOCK' });
    const state = await call(s.url, '/api/admin/kill-switch', { key: KEYS.read });
    expect(state.body).toMatchObject({ engaged: true });

    const blocked = await call(s.url, '/api/orders/place', { key: KEYS.trade, body: MKT });
    expect([blocked.status, code(blocked)]).toEqual([423, 'KILL_SWITCH_ENGAGED']);
    // Preview is never blocked: a user can always ask what an order would do.
    const preview = await call(s.url, '/api/orders/preview', { key: KEYS.trade, body: MKT });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ gate: { outcome: 'BLOCK', code: 'KILL_SWITCH_ENGAGED' } });

    const released = await call(s.url, '/api/admin/kill-switch', { key: KEYS.admin, body: { engaged: false } });
    expect(released.body).toMatchObject({ engaged: false });
    expect((await call(s.url, '/api/orders/place', { key: KEYS.trade, body: MKT })).status).toBe(200);
  });
});

describe('rate limiting', () => {
  it('per key: the key over its limit gets 429 RATE_LIMITED with Retry-After, another key does not', async () => {
    const s = await server({ API_RATE_LIMIT_PER_MINUTE: '3' });
    for (let i = 0; i < 3; i++) expect((await call(s.url, '/api/account/summary', { key: KEYS.read })).status).toBe(200);
    const limited = await call(s.url, '/api/account/summary', { key: KEYS.read });
    expect([limited.status, code(limited)]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('x-correlation-id')).toBe((limited.body as unknown as ErrorShape).correlationId);
    expect((await call(s.url, '/api/account/summary', { key: KEYS.trade })).status).toBe(200);
  });
});

describe('generated API key', () => {
  it('API_KEYS unset: the first start writes a random admin key with mode 0600, later starts reuse it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ibkr-api-key-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const config = parseConfig({ DATA_DIR: dataDir });
    const first = resolveApiKeys(config);
    expect(first.generatedKey).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(first.generatedKeyFile).toBe(join(dataDir, 'api-key'));
    expect(statSync(join(dataDir, 'api-key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dataDir, 'api-key'), 'utf8').trim()).toBe(first.generatedKey);
    expect([...(first.keys[0]?.scopes ?? [])].sort()).toEqual(['admin', 'read', 'trade']);

    const second = resolveApiKeys(config);
    expect(second.generatedKey).toBeNull();
    expect(second.keys[0]?.key).toBe(first.generatedKey);

    // And a server started without API_KEYS accepts it.
    const { API_KEYS: _unused, ...env } = BASE_ENV;
    const client = await createClient({ env: { ...env, DATA_DIR: dataDir } });
    const api = await startApiServer({ client, host: '127.0.0.1', port: 0 });
    cleanups.push(async () => {
      await api.close();
      await client.close();
    });
    expect((await call(api.url, '/api/audit/verify', { key: first.generatedKey })).status).toBe(200);
    expect((await call(api.url, '/api/audit/verify', { key: KEYS.admin })).status).toBe(401);
  });

  it('configured keys are used as they are', () => {
    const config = parseConfig({ API_KEYS: 'abcdefgh12:read' });
    expect(resolveApiKeys(config)).toMatchObject({ generatedKeyFile: null, generatedKey: null, keys: [{ key: 'abcdefgh12' }] });
  });
});

describe('close', () => {
  it('finishes in-flight requests before closing', async () => {
    const s = await startTestServer();
    // The quote route asks quoteNow(): here it has to wait.
    const original = s.client.getQuote;
    s.client.quoteNow = async (spec) => {
      await sleep(300);
      return original(spec);
    };
    const inFlight = call(s.url, '/api/market/quote?symbol=AAPL', { key: KEYS.read });
    await sleep(50);
    const closed = s.api.close();
    const res = await inFlight;
    await closed;
    expect(res.status).toBe(200);
    await expect(fetch(`${s.url}/health`)).rejects.toThrow();
    await s.client.close();
  });

  it('ends open quote streams so close does not hang', async () => {
    const s = await startTestServer();
    const res = await fetch(`${s.url}/api/market/stream?symbols=AAPL`, { headers: { 'x-api-key': KEYS.read } });
    expect(res.status).toBe(200);
    const started = Date.now();
    await s.api.close();
    expect(Date.now() - started).toBeLessThan(5000);
    await s.client.close();
  });
});

describe('logging', () => {
  it('log lines written while serving a request carry its correlation id, interface and key name', async () => {
    const lines: string[] = [];
    const destination = { write: (line: string) => void lines.push(line) };
    const dataDir = mkdtempSync(join(tmpdir(), 'ibkr-api-log-'));
    const logger = createLogger({ level: 'debug', destination });
    const client = await createClient({ env: { ...BASE_ENV, DATA_DIR: dataDir }, logger });
    const api = await startApiServer({ client, host: '127.0.0.1', port: 0 });
    cleanups.push(async () => {
      await api.close();
      await client.close();
      rmSync(dataDir, { recursive: true, force: true });
    });
    client.getPositions = () => Promise.reject(new Error('boom'));
    const res = await call(api.url, '/api/account/positions', { key: KEYS.read, headers: { 'x-correlation-id': 'log-trace-7' } });
    expect(res.status).toBe(500);
    const failed = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'request failed');
    expect(failed).toMatchObject({ correlationId: 'log-trace-7', interface: 'rest', apiKeyName: 'key1', code: 'INTERNAL_ERROR' });
    // A request refused before it has a key, and one the router cannot decode, log under their own ids too.
    expect((await call(api.url, '/api/account/positions', { key: null, headers: { 'x-correlation-id': 'log-trace-8' } })).status).toBe(401);
    expect((await call(api.url, '/api/orders/%E0%A4%A', { key: KEYS.read, headers: { 'x-correlation-id': 'log-trace-9' } })).status).toBe(400);
    const refused = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request refused');
    expect(refused).toEqual([
      expect.objectContaining({ correlationId: 'log-trace-8', interface: 'rest', apiKeyName: null, code: 'UNAUTHORIZED' }),
      expect.objectContaining({ correlationId: 'log-trace-9', code: 'BAD_REQUEST' }),
    ]);
    // The key itself is never logged.
    expect(lines.join('\n')).not.toContain(KEYS.read);
  });

  it("the core's own lines and rows carry the request's context, also after awaits and when two requests' bodies arrive later, interleaved", async () => {
    const lines: string[] = [];
    const destination = { write: (line: string) => void lines.push(line) };
    const dataDir = mkdtempSync(join(tmpdir(), 'ibkr-api-log-'));
    const logger = createLogger({ level: 'debug', destination });
    const client = await createClient({ env: { ...BASE_ENV, DATA_DIR: dataDir, ORDERS_ENABLED: 'true' }, logger });
    const api = await startApiServer({ client, host: '127.0.0.1', port: 0 });
    cleanups.push(async () => {
      await api.close();
      await client.close();
      rmSync(dataDir, { recursive: true, force: true });
    });
    // The order path logs a line from inside the core after awaits (assess.ts), then the price band refuses the
    // order without a last price and records RISK_BLOCKED: a line and a row per request.
    client.broker.getQuote = () => Promise.reject(new Error('market data down'));
    const body = JSON.stringify({ symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'LMT', limitPrice: 100 });
    const { port } = new URL(api.url);
    /** A POST whose body comes later, so its handler runs from a later socket read. */
    const open = (correlationId: string, client: string): { send: () => void; answer: Promise<string> } => {
      const socket = connect(Number(port), '127.0.0.1');
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      const answer = new Promise<string>((resolve) => socket.on('end', () => resolve(text)));
      socket.write(
        `POST /api/orders/place HTTP/1.1\r\nHost: x\r\nX-API-Key: ${KEYS.trade}\r\nX-Correlation-Id: ${correlationId}\r\nX-Client: ${client}\r\nConnection: close\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
      );
      return { send: () => void socket.write(body), answer };
    };
    const first = open('ctx-post-1', 'mcp');
    const second = open('ctx-post-2', 'dashboard');
    await sleep(50);
    second.send();
    first.send();
    const answers = await Promise.all([first.answer, second.answer]);
    expect(answers.map((a) => Number(a.slice(9, 12))), answers.join('\n')).toEqual([422, 422]);
    const noQuote = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'no quote for the order; pricing from the order alone');
    expect(noQuote.map(({ correlationId, interface: via, apiKeyName }) => ({ correlationId, via, apiKeyName })).sort((a, b) => String(a.correlationId).localeCompare(String(b.correlationId)))).toEqual([
      { correlationId: 'ctx-post-1', via: 'mcp', apiKeyName: 'key2' },
      { correlationId: 'ctx-post-2', via: 'dashboard', apiKeyName: 'key2' },
    ]);
    // Each id once per line: the bindings carry it, nothing adds it a second time.
    for (const line of lines.filter((l) => l.includes('no quote for the order'))) expect(line.match(/"correlationId"/g)).toHaveLength(1);
    const rows = (await client.queryAudit({ eventType: 'RISK_BLOCKED' })).entries;
    expect(rows.map((r) => [r.correlationId, r.userContext.interface]).sort()).toEqual([
      ['ctx-post-1', 'mcp'],
      ['ctx-post-2', 'dashboard'],
    ]);
  });
});
