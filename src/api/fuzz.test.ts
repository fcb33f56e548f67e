/**
 * Property-based fuzzing over a real socket: thousands of generated malformed
 * requests to every endpoint. Whatever arrives, the server answers without a
 * 5xx, keeps running, and every failure uses the one error body with the
 * correlation id of its response header.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isErrorBody, KEYS, startTestServer, type TestServer } from '../testing/api-harness.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ LOG_LEVEL: 'silent' });
});
afterAll(async () => {
  await s.close();
});

interface Req {
  method: 'GET' | 'POST';
  path: string;
  key?: string | null;
  headers?: Record<string, string>;
  body?: string;
}

async function send(req: Req): Promise<void> {
  const headers: Record<string, string> = { ...req.headers };
  const key = req.key === undefined ? KEYS.admin : req.key;
  if (key !== null) headers['x-api-key'] = key;
  const res = await fetch(`${s.url}${req.path}`, { method: req.method, headers, body: req.method === 'POST' ? req.body : undefined });
  const text = await res.text();
  const context = `${req.method} ${req.path} ${req.body ?? ''} -> ${res.status} ${text.slice(0, 300)}`;
  expect(res.status, context).toBeLessThan(500);
  if (res.status >= 400) {
    const body: unknown = JSON.parse(text);
    expect(isErrorBody(body), context).toBe(true);
    expect((body as { correlationId: string }).correlationId, context).toBe(res.headers.get('x-correlation-id'));
  }
}

/** Values a query string or JSON field might carry when a caller gets it wrong. */
const nastyText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', ' ', 'NaN', '-NaN', 'Infinity', '-Infinity', '1e309', '-1', '0', '0x10', '1_000', 'true', 'false', 'null', 'undefined', '[]', '{}', '__proto__', 'constructor', "'; DROP TABLE audit_log; --", '%00', '\u0000', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', 'a'.repeat(5000)),
  fc.double().map(String),
  fc.integer().map(String),
);

const nastyJson = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(-1, 0, -0, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 1e-320, 'NaN', 'Infinity', null, [], {}, true, '', 'a'.repeat(2000)),
);

const QUERY_FIELDS = ['symbol', 'securityType', 'exchange', 'currency', 'expiry', 'strike', 'right', 'barSize', 'duration', 'whatToShow', 'useRth', 'endTime', 'strikesAroundSpot', 'account', 'status', 'since', 'limit', 'orderId', 'correlationId', 'accountId', 'eventType', 'from', 'to', 'afterId', 'symbols', 'bogus'];
const query = fc
  .dictionary(fc.oneof(fc.constantFrom(...QUERY_FIELDS), fc.string({ maxLength: 10 })), fc.oneof(nastyText, fc.array(nastyText, { maxLength: 3 })), { maxKeys: 6 })
  .map((fields) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) for (const item of Array.isArray(v) ? v : [v]) params.append(k, item);
    const text = params.toString();
    return text === '' ? '' : `?${text}`;
  });

const GET_PATHS = [
  '/health',
  '/api/market/quote',
  '/api/market/historical',
  '/api/market/option-chain',
  '/api/account/summary',
  '/api/account/positions',
  '/api/account/pnl',
  '/api/orders',
  '/api/contracts/resolve',
  '/api/audit',
  '/api/audit/verify',
  '/api/admin/kill-switch',
  '/metrics',
];

const ORDER = { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'LMT', limitPrice: 1 };
const ORDER_FIELDS = ['symbol', 'securityType', 'exchange', 'currency', 'expiry', 'strike', 'right', 'action', 'quantity', 'orderType', 'limitPrice', 'stopPrice', 'trailingAmount', 'trailingPercent', 'limitOffset', 'timeInForce', 'outsideRth', 'takeProfitPrice', 'stopLossPrice', 'ocaGroup', 'clientOrderId', 'account', 'previewId', 'extra'];

/** An order with some fields replaced by nonsense, or not an order at all, or not JSON at all. */
const orderBody = fc.oneof(
  fc.dictionary(fc.constantFrom(...ORDER_FIELDS), nastyJson, { maxKeys: 4 }).map((patch) => JSON.stringify({ ...ORDER, ...patch })),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 60 }),
  fc.constantFrom('{', '{"symbol":"AAPL","quantity":NaN}', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{}}}', '[1,2', '"', 'null', '1e999', '{"quantity":1e999}'),
);

const printableHeader = fc.string({ maxLength: 200 }).map((v) => v.replace(/[^\x20-\x7e]/g, 'x'));
const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/JSON');

const RUNS = 250;

describe('fuzz: generated malformed requests never produce a 5xx or another error shape', () => {
  it('GET endpoints with arbitrary query strings', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...GET_PATHS), query, async (path, qs) => send({ method: 'GET', path: `${path}${qs}` })),
      { numRuns: RUNS * 4 },
    );
  });

  it('order bodies: preview and place', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/api/orders/preview', '/api/orders/place'), orderBody, contentType, async (path, body, type) =>
        send({ method: 'POST', path, body, headers: { 'content-type': type } }),
      ),
      { numRuns: RUNS * 3 },
    );
  });

  it('place with arbitrary Idempotency-Key and correlation id headers', async () => {
    await fc.assert(
      fc.asyncProperty(printableHeader, printableHeader, orderBody, async (idem, corr, body) =>
        send({ method: 'POST', path: '/api/orders/place', body, headers: { 'content-type': 'application/json', 'idempotency-key': idem, 'x-correlation-id': corr } }),
      ),
      { numRuns: RUNS },
    );
  });

  it('order ids in paths: status and cancel', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom('..', '%2e%2e', '1'.repeat(65), 'ORD-1', '0')), fc.boolean(), async (id, cancel) =>
        send(cancel ? { method: 'POST', path: `/api/orders/${encodeURIComponent(id)}/cancel` } : { method: 'GET', path: `/api/orders/${encodeURIComponent(id)}/status` }),
      ),
      { numRuns: RUNS },
    );
  });

  it('kill switch bodies (without ever engaging it for long)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.constantFrom('engaged', 'reason', 'by', 'since'), nastyJson, { maxKeys: 3 }), async (body) => {
        // engaged: true is a valid request; keep the fuzz to malformed ones so orders stay possible.
        if (body.engaged === true) body.engaged = 'true';
        await send({ method: 'POST', path: '/api/admin/kill-switch', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
      }),
      { numRuns: RUNS },
    );
  });

  it('keys and auth headers', async () => {
    await fc.assert(
      fc.asyncProperty(fc.option(printableHeader), printableHeader, fc.constantFrom(...GET_PATHS), async (key, auth, path) =>
        send({ method: 'GET', path, key, headers: { authorization: auth } }),
      ),
      { numRuns: RUNS },
    );
  });

  it('odd paths and methods', async () => {
    const paths = ['/%zz', '/api/orders/%E0%A4%A/status', '/api//market/quote', '/api/market/quote/', '/API/MARKET/QUOTE', '/api/orders//status', `/${'a'.repeat(3000)}`, '/docs/../../etc/passwd', '/openapi.json?x=%'];
    for (const path of paths) await send({ method: 'GET', path });
    for (const method of ['PUT', 'DELETE', 'PATCH'] as const) {
      const res = await fetch(`${s.url}/api/orders/place`, { method, headers: { 'x-api-key': KEYS.admin } });
      expect(res.status).toBeLessThan(500);
      expect(isErrorBody(await res.json())).toBe(true);
    }
  });

  it('the server is still healthy afterwards', async () => {
    const res = await fetch(`${s.url}/health`);
    expect(res.status).toBe(200);
  });
});
