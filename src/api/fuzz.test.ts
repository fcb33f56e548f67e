/**
 * Property-based fuzzing over a real socket: thousands of generated malformed
 * requests to every endpoint. Whatever arrives, the server answers without a
 * 5xx, keeps running, and every failure uses the one error body with the
 * correlation id of its response header. Requests Node's HTTP parser refuses
 * before Fastify sees them (duplicate Content-Length, oversize headers, bad
 * chunking) are written byte for byte over a raw TCP socket.
 */
import { connect } from 'node:net';
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

  it('odd paths and methods', async () => {
    const paths = ['/%zz', '/api/orders/%E0%A4%A/status', '/api//market/quote', '/api/market/quote/', '/API/MARKET/QUOTE', '/api/orders//status', `/${'a'.repeat(3000)}`, '/docs/../../etc/passwd', '/openapi.json?x=%'];
    for (const path of paths) await send({ method: 'GET', path });
    for (const method of ['PUT', 'DELETE', 'PATCH'] as const) {
      const res = await fetch(`${s.url}/api/orders/place`, { method, headers: { 'x-api-key': KEYS.admin } });
      expect(res.status).toBeLessThan(500);
      expect(isErrorBody(await res.json())).toBe(true);
    }
  });

  // Last but one: hundreds of wrong keys make this address back off (429), which would hide what later cases test.
  it('keys and auth headers', async () => {
    await fc.assert(
      fc.asyncProperty(fc.option(printableHeader), printableHeader, fc.constantFrom(...GET_PATHS), async (key, auth, path) =>
        send({ method: 'GET', path, key, headers: { authorization: auth } }),
      ),
      { numRuns: RUNS },
    );
  });

  it('the server is still healthy afterwards', async () => {
    const res = await fetch(`${s.url}/health`);
    expect(res.status).toBe(200);
  });
});

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Writes bytes as they are (no HTTP client would send these) and reads until the server closes the connection. */
function rawRequest(base: string, bytes: string): Promise<RawResponse> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const [statusLine = '', ...lines] = text.slice(0, split).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0);
      const body = text.slice(split + 4);
      resolve({ status, headers, body: headers['content-length'] ? Buffer.from(body).subarray(0, Number(headers['content-length'])).toString('utf8') : body });
    });
    socket.end(bytes);
  });
}

/** A parser refusal: one 4xx in the standard error body, its correlation id in the header too, and the security headers. */
function expectRefusal(res: RawResponse, status: number, code: string): void {
  const context = `${res.status} ${JSON.stringify(res.headers)} ${res.body.slice(0, 300)}`;
  expect(res.status, context).toBe(status);
  expect(res.headers['content-type'], context).toMatch(/^application\/json/);
  const body: unknown = JSON.parse(res.body);
  expect(isErrorBody(body), context).toBe(true);
  expect((body as { error: { code: string } }).error.code, context).toBe(code);
  expect((body as { correlationId: string }).correlationId, context).toBe(res.headers['x-correlation-id']);
  expect(res.headers['x-content-type-options'], context).toBe('nosniff');
  expect(res.headers['content-security-policy'], context).toContain("frame-ancestors 'none'");
}

describe("fuzz: what Node's HTTP parser refuses answers in the error shape too", () => {
  // Its own server: the key fuzzing above leaves 127.0.0.1 backing off, which would answer 429 before any body is parsed.
  let raw: TestServer;
  beforeAll(async () => {
    raw = await startTestServer({ LOG_LEVEL: 'silent' });
  });
  afterAll(async () => {
    await raw.close();
  });
  const send = (bytes: string): Promise<RawResponse> => rawRequest(raw.url, bytes);
  const post = (headers: string, body: string): string =>
    `POST /api/orders/preview HTTP/1.1\r\nHost: localhost\r\nX-API-Key: ${KEYS.trade}\r\nContent-Type: application/json\r\n${headers}\r\n${body}`;

  it('duplicate Content-Length is 400 HTTP_PARSE_ERROR', async () => {
    expectRefusal(await send(post('Content-Length: 2\r\nContent-Length: 3\r\n', '{}')), 400, 'HTTP_PARSE_ERROR');
  });

  it('Content-Length together with chunked encoding is 400 HTTP_PARSE_ERROR', async () => {
    expectRefusal(await send(post('Content-Length: 2\r\nTransfer-Encoding: chunked\r\n', '2\r\n{}\r\n0\r\n\r\n')), 400, 'HTTP_PARSE_ERROR');
  });

  it('a 17 KB header is 431 HEADERS_TOO_LARGE', async () => {
    expectRefusal(await send(`GET /health HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${'a'.repeat(17 * 1024)}\r\n\r\n`), 431, 'HEADERS_TOO_LARGE');
  });

  it('a chunk size that is not hexadecimal is 400 HTTP_PARSE_ERROR', async () => {
    expectRefusal(await send(post('Transfer-Encoding: chunked\r\n', 'ZZ\r\n{}\r\n0\r\n\r\n')), 400, 'HTTP_PARSE_ERROR');
  });

  it('a garbage request line and a header with a forbidden character are 400 HTTP_PARSE_ERROR', async () => {
    expectRefusal(await send('NOT AN HTTP REQUEST\r\n\r\n'), 400, 'HTTP_PARSE_ERROR');
    expectRefusal(await send('GET /health HTTP/1.1\r\nHost: localhost\r\nBad Header: x\r\n\r\n'), 400, 'HTTP_PARSE_ERROR');
  });

  it('generated broken framing: every answer is a 4xx in the error shape, never a 5xx or a bare close', async () => {
    const framing = fc.record({
      contentLengths: fc.array(fc.oneof(fc.nat(40).map(String), fc.constantFrom('-1', 'abc', '1e3', '0x10', ' 2', '')), { minLength: 2, maxLength: 3 }),
      chunked: fc.boolean(),
      chunkSize: fc.oneof(fc.constantFrom('ZZ', '-1', 'fffffffffffffffffff', '2;' + 'x'.repeat(20_000), ''), fc.stringMatching(/^[0-9a-f]{0,3}[g-z]$/)),
    });
    await fc.assert(
      fc.asyncProperty(framing, async ({ contentLengths, chunked, chunkSize }) => {
        const headers = contentLengths.map((n) => `Content-Length: ${n}\r\n`).join('') + (chunked ? 'Transfer-Encoding: chunked\r\n' : '');
        const res = await send(post(headers, `${chunkSize}\r\n{}\r\n0\r\n\r\n`));
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        const body: unknown = JSON.parse(res.body);
        expect(isErrorBody(body), res.body).toBe(true);
        expect((body as { correlationId: string }).correlationId).toBe(res.headers['x-correlation-id']);
      }),
      { numRuns: 60 },
    );
  });

  it('the server still answers normal requests afterwards', async () => {
    expect((await fetch(`${raw.url}/health`)).status).toBe(200);
  });
});
