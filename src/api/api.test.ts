/**
 * The REST API over a real listening socket: every endpoint's success path and
 * its failure paths, with the one error body everywhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Quote } from '../core/models.js';
import { call, isErrorBody, KEYS, sleep, startTestServer, type ErrorShape, type TestServer } from '../testing/api-harness.js';

let s: TestServer;
let url: string;
let brokerPlaceCalls = 0;

beforeAll(async () => {
  s = await startTestServer();
  url = s.url;
  // Counts what actually reaches the broker, so "placed once" is checked where it matters.
  const broker = s.client.broker;
  const place = broker.placeOrder.bind(broker);
  broker.placeOrder = (request) => {
    brokerPlaceCalls += 1;
    return place(request);
  };
});
afterAll(async () => {
  await s.close();
});

const get = <T = Record<string, unknown>>(path: string, key: string | null = KEYS.read, headers?: Record<string, string>) => call<T>(url, path, { key, headers });
const post = <T = Record<string, unknown>>(path: string, body: unknown, key: string | null = KEYS.trade, headers?: Record<string, string>) =>
  call<T>(url, path, { key, body, headers, method: 'POST' });

function expectError(res: { status: number; body: unknown; headers: Headers }, status: number, code: string): ErrorShape {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(isErrorBody(res.body), JSON.stringify(res.body)).toBe(true);
  const body = res.body as ErrorShape;
  expect(body.error.code).toBe(code);
  expect(body.correlationId).toBe(res.headers.get('x-correlation-id'));
  return body;
}

function issuePaths(body: ErrorShape): string[] {
  const details = body.error.details as { issues?: Array<{ path: string; message: string }> } | undefined;
  return (details?.issues ?? []).map((i) => i.path);
}

const MKT = { symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'MKT' } as const;

async function lastPrice(symbol = 'AAPL'): Promise<number> {
  const q = await get<Quote>(`/api/market/quote?symbol=${symbol}`);
  const price = q.body.last ?? q.body.bid ?? q.body.ask;
  if (price === null) throw new Error('no price');
  return price;
}

describe('health and correlation ids', () => {
  it('GET /health without a key is the status alone: no account ids, no configuration', async () => {
    const res = await get('/health', null);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
    expect(res.text).not.toContain('DU1234567');
    expect(res.text).not.toContain(s.dataDir);
    expect(res.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('GET /health with a read key reports broker, accounts, mode and kill switch; a wrong key is 401', async () => {
    const res = await get('/health', KEYS.read);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', tradingMode: 'paper', ordersEnabled: true, killSwitch: { engaged: false }, broker: { accounts: ['DU1234567'] } });
    // Which store records the orders, and how long a read of it took.
    expect(res.body).toMatchObject({ store: { kind: 'sqlite', latencyMs: expect.any(Number) } });
    expectError(await get('/health', 'notakey12345'), 401, 'UNAUTHORIZED');
  });

  it('echoes a sane X-Correlation-Id and replaces one that is not', async () => {
    const mine = await get('/health', null, { 'X-Correlation-Id': 'my-trace.42' });
    expect(mine.headers.get('x-correlation-id')).toBe('my-trace.42');
    const bad = await get('/health', null, { 'X-Correlation-Id': 'has spaces and <html>' });
    expect(bad.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
    const err = await get('/api/market/quote?symbol=AAPL', null, { 'X-Correlation-Id': 'trace-401' });
    expect(expectError(err, 401, 'UNAUTHORIZED').correlationId).toBe('trace-401');
  });

  it('unknown route is 404 NOT_FOUND in the error body', async () => {
    expectError(await get('/api/nope', KEYS.admin), 404, 'NOT_FOUND');
    expectError(await get('/nothing-here', null), 404, 'NOT_FOUND');
  });
});

describe('authentication and scopes', () => {
  it('missing key is 401', async () => {
    expectError(await get('/api/market/quote?symbol=AAPL', null), 401, 'UNAUTHORIZED');
    expectError(await post('/api/orders/place', MKT, null), 401, 'UNAUTHORIZED');
  });

  it('wrong key is 401, including one that shares a prefix or differs in length', async () => {
    for (const key of ['wrongkey1234', 'readkey1234', 'readkey123456', `${KEYS.read} `.repeat(3)]) {
      expectError(await get('/api/account/summary', key), 401, 'UNAUTHORIZED');
    }
  });

  it('Authorization: Bearer works like X-API-Key', async () => {
    const res = await call(url, '/api/account/summary', { key: null, headers: { authorization: `Bearer ${KEYS.read}` } });
    expect(res.status).toBe(200);
    expectError(await call(url, '/api/account/summary', { key: null, headers: { authorization: 'Bearer nottherightkey' } }), 401, 'UNAUTHORIZED');
    expectError(await call(url, '/api/account/summary', { key: null, headers: { authorization: `Basic ${KEYS.read}` } }), 401, 'UNAUTHORIZED');
  });

  it('a key without the scope is 403 FORBIDDEN, naming the scope and the hierarchy', async () => {
    const refused = expectError(await post('/api/orders/preview', MKT, KEYS.read), 403, 'FORBIDDEN');
    expect(refused.error.message).toBe('This API key lacks the trade scope: the call needs a key with trade or admin. Scopes are hierarchical: admin includes trade, trade includes read; approve stands apart and includes read.');
    expect(refused.error.details).toMatchObject({ required: 'trade', granted: ['read'] });
    expectError(await post('/api/orders/preview', MKT, KEYS.read), 403, 'FORBIDDEN');
    expectError(await post('/api/orders/place', MKT, KEYS.read), 403, 'FORBIDDEN');
    expectError(await post('/api/orders/ORD1/cancel', undefined, KEYS.read), 403, 'FORBIDDEN');
    expectError(await get('/api/audit', KEYS.trade), 403, 'FORBIDDEN');
    expectError(await get('/api/audit/verify', KEYS.read), 403, 'FORBIDDEN');
    expectError(await post('/api/admin/kill-switch', { engaged: true }, KEYS.read), 403, 'FORBIDDEN');
    expectError(await post('/api/admin/kill-switch', { engaged: false }, KEYS.trade), 403, 'FORBIDDEN');
  });
});

describe('market data', () => {
  it('GET /api/market/quote returns a Quote, symbol case-insensitive', async () => {
    const res = await get<Quote>('/api/market/quote?symbol=aapl');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ symbol: 'AAPL', conId: 265598 });
    expect(typeof res.body.timestamp).toBe('string');
  });

  it('unknown symbol is 404 CONTRACT_NOT_FOUND', async () => {
    expectError(await get('/api/market/quote?symbol=ZZZQQQ'), 404, 'CONTRACT_NOT_FOUND');
  });

  it('query validation: unknown field, unknown securityType, NaN strike, missing symbol', async () => {
    expect(issuePaths(expectError(await get('/api/market/quote?symbol=AAPL&colour=red'), 422, 'VALIDATION_ERROR'))).toContain('colour');
    expect(issuePaths(expectError(await get('/api/market/quote?symbol=AAPL&securityType=STOCK'), 422, 'VALIDATION_ERROR'))).toContain('securityType');
    expect(issuePaths(expectError(await get('/api/market/quote?symbol=AAPL&securityType=OPT&strike=NaN'), 422, 'VALIDATION_ERROR'))).toContain('strike');
    expect(issuePaths(expectError(await get('/api/market/quote'), 422, 'VALIDATION_ERROR'))).toContain('symbol');
    expect(issuePaths(expectError(await get('/api/market/quote?symbol=AAPL&symbol=MSFT'), 422, 'VALIDATION_ERROR'))).toContain('symbol');
  });

  it('the response holds only the schema fields', async () => {
    // The route asks quoteNow(): an extra field given at once and one given through a promise.
    const original = s.client.quoteNow;
    const extra = { ...(await s.client.getQuote({ symbol: 'AAPL' })), internalNote: 'secret' } as Quote;
    try {
      for (const stub of [() => extra, () => Promise.resolve(extra)]) {
        s.client.quoteNow = stub;
        const res = await get('/api/market/quote?symbol=AAPL');
        expect(res.status).toBe(200);
        expect(res.text).not.toContain('secret');
      }
    } finally {
      s.client.quoteNow = original;
    }
  });

  it('GET /api/market/historical returns bars; useRth "false" is false, not true', async () => {
    const seen: unknown[] = [];
    const original = s.client.getBars;
    s.client.getBars = (request) => {
      seen.push(request.useRth);
      return original(request);
    };
    try {
      const res = await get<Array<Record<string, unknown>>>('/api/market/historical?symbol=MSFT&barSize=1%20hour&duration=2%20D&useRth=false');
      expect(res.status).toBe(200);
      expect(res.body.length).toBeGreaterThan(0);
      expect(Object.keys(res.body[0] ?? {})).toEqual(expect.arrayContaining(['time', 'open', 'high', 'low', 'close', 'volume']));
      await get('/api/market/historical?symbol=MSFT&useRth=true');
      expect(seen).toEqual([false, true]);
    } finally {
      s.client.getBars = original;
    }
    expect(issuePaths(expectError(await get('/api/market/historical?symbol=MSFT&barSize=7%20mins'), 422, 'VALIDATION_ERROR'))).toContain('barSize');
    expect(issuePaths(expectError(await get('/api/market/historical?symbol=MSFT&useRth=maybe'), 422, 'VALIDATION_ERROR'))).toContain('useRth');
  });

  it('GET /api/market/option-chain returns expirations, strikes and priced options', async () => {
    const res = await get<{ underlying: string; expirations: string[]; options: unknown[] }>('/api/market/option-chain?symbol=AAPL&strikesAroundSpot=3');
    expect(res.status).toBe(200);
    expect(res.body.underlying).toBe('AAPL');
    expect(res.body.expirations.length).toBeGreaterThan(0);
    expect(res.body.options.length).toBeGreaterThan(0);
    expectError(await get('/api/market/option-chain?symbol=AAPL&strikesAroundSpot=lots'), 422, 'VALIDATION_ERROR');
  });
});

describe('account', () => {
  it('summary, positions and pnl', async () => {
    const summary = await get('/api/account/summary');
    expect(summary.status).toBe(200);
    expect(summary.body).toMatchObject({ accountId: expect.any(String), currency: 'USD', netLiquidation: expect.any(Number) });
    const positions = await get('/api/account/positions');
    expect(positions.status).toBe(200);
    expect(Array.isArray(positions.body)).toBe(true);
    const pnl = await get('/api/account/pnl');
    expect(pnl.status).toBe(200);
    expect(pnl.body).toMatchObject({ dailyPnl: expect.any(Number), bySymbol: expect.any(Array) });
    const explicit = await get(`/api/account/summary?account=${String(summary.body.accountId)}`);
    expect(explicit.status).toBe(200);
  });

  it('an account that is not managed is 404 ACCOUNT_NOT_FOUND', async () => {
    expectError(await get('/api/account/positions?account=U0000000'), 404, 'ACCOUNT_NOT_FOUND');
    expectError(await get('/api/account/pnl?acct=x'), 422, 'VALIDATION_ERROR');
  });
});

describe('contracts', () => {
  it('GET /api/contracts/resolve', async () => {
    const res = await get('/api/contracts/resolve?symbol=MSFT');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ symbol: 'MSFT', securityType: 'STK', conId: expect.any(Number) });
    expectError(await get('/api/contracts/resolve?symbol=NOSUCHTHING'), 404, 'CONTRACT_NOT_FOUND');
  });
});

describe('orders', () => {
  it('preview returns estimates, risk checks and a previewId', async () => {
    const res = await post('/api/orders/preview', MKT);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ previewId: expect.any(String), riskPassed: true, gate: { outcome: 'TRANSMIT' }, contract: { symbol: 'AAPL' } });
  });

  it('place, then status and list', async () => {
    const placed = await post<{ orderId: string; status: string; idempotentReplay: boolean }>('/api/orders/place', MKT);
    expect(placed.status).toBe(200);
    expect(placed.body.idempotentReplay).toBe(false);
    const status = await get<{ orderId: string; spec: { symbol: string } }>(`/api/orders/${placed.body.orderId}/status`);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ orderId: placed.body.orderId, spec: { symbol: 'AAPL', quantity: 1 } });
    const list = await get<Array<{ orderId: string }>>('/api/orders?status=all&symbol=aapl&limit=500');
    expect(list.status).toBe(200);
    expect(list.body.map((o) => o.orderId)).toContain(placed.body.orderId);
    expectError(await get('/api/orders?status=pending'), 422, 'VALIDATION_ERROR');
    expectError(await get('/api/orders?limit=0'), 422, 'VALIDATION_ERROR');
  });

  it('place with a previewId binds to the previewed order', async () => {
    const preview = await post<{ previewId: string }>('/api/orders/preview', { ...MKT, quantity: 2 });
    const placed = await post('/api/orders/place', { ...MKT, quantity: 2, previewId: preview.body.previewId });
    expect(placed.status).toBe(200);
    const preview2 = await post<{ previewId: string }>('/api/orders/preview', { ...MKT, quantity: 2 });
    expectError(await post('/api/orders/place', { ...MKT, quantity: 3, previewId: preview2.body.previewId }), 409, 'PREVIEW_MISMATCH');
  });

  it('schema failures are 422 naming each field', async () => {
    const cases: Array<[unknown, string]> = [
      [{ ...MKT, quantity: -5 }, 'quantity'],
      [{ ...MKT, quantity: 0 }, 'quantity'],
      [{ ...MKT, orderType: 'LMT', limitPrice: 'NaN' }, 'limitPrice'],
      [{ ...MKT, orderType: 'LMT' }, 'limitPrice'],
      [{ ...MKT, securityType: 'SPACESHIP' }, 'securityType'],
      [{ ...MKT, leverage: 100 }, 'leverage'],
      [{ ...MKT, quantity: '1' }, 'quantity'],
      [{ ...MKT, action: 'HOLD' }, 'action'],
      [{ symbol: 'AAPL' }, 'action'],
    ];
    for (const [body, field] of cases) {
      for (const path of ['/api/orders/preview', '/api/orders/place']) {
        const err = expectError(await post(path, body), 422, 'VALIDATION_ERROR');
        expect(issuePaths(err), `${path} ${JSON.stringify(body)}`).toContain(field);
      }
    }
    const unknown = expectError(await post('/api/orders/place', { ...MKT, leverage: 100, colour: 'red' }), 422, 'VALIDATION_ERROR');
    expect(issuePaths(unknown)).toEqual(expect.arrayContaining(['leverage', 'colour']));
  });

  it('a NaN literal or any malformed JSON is 400 BAD_REQUEST', async () => {
    for (const raw of ['{"symbol":"AAPL","quantity":NaN}', '{"symbol":', 'not json', '{"a":1}}', '{"__proto__":{"x":1}}']) {
      expectError(await call(url, '/api/orders/place', { key: KEYS.trade, rawBody: raw, method: 'POST' }), 400, 'BAD_REQUEST');
    }
  });

  it('no body is 422, not a crash', async () => {
    expectError(await call(url, '/api/orders/place', { key: KEYS.trade, method: 'POST' }), 422, 'VALIDATION_ERROR');
  });

  it('unknown order is 404; a malformed id is 422', async () => {
    expectError(await get('/api/orders/NOPE123/status'), 404, 'ORDER_NOT_FOUND');
    expectError(await post('/api/orders/NOPE123/cancel', undefined), 404, 'ORDER_NOT_FOUND');
    expectError(await get('/api/orders/bad%20id!/status'), 422, 'VALIDATION_ERROR');
  });

  it('cancel a working order, then cancelling again is 409', async () => {
    const price = await lastPrice();
    // Far enough below the market not to fill, close enough to pass the price band.
    const limitPrice = Math.round(price * 0.95 * 100) / 100;
    const placed = await post<{ orderId: string; status: string }>('/api/orders/place', { ...MKT, orderType: 'LMT', limitPrice, timeInForce: 'GTC' });
    expect(placed.status, JSON.stringify(placed.body)).toBe(200);
    const cancelled = await call<{ cancelled: boolean; status: string }>(url, `/api/orders/${placed.body.orderId}/cancel`, {
      key: KEYS.trade,
      method: 'POST',
      rawBody: '',
      headers: { 'content-type': 'application/json' },
    });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(cancelled.body).toMatchObject({ cancelled: true, status: 'CANCELLED' });
    expectError(await post(`/api/orders/${placed.body.orderId}/cancel`, undefined), 409, 'ORDER_NOT_CANCELLABLE');
  });
});

describe('idempotency', () => {
  it('a replay returns the first result and places nothing', async () => {
    const before = brokerPlaceCalls;
    const headers = { 'Idempotency-Key': 'replay-test-1' };
    const first = await post<{ orderId: string; idempotentReplay: boolean }>('/api/orders/place', MKT, KEYS.trade, headers);
    const second = await post<{ orderId: string; idempotentReplay: boolean }>('/api/orders/place', MKT, KEYS.trade, headers);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(first.body.idempotentReplay).toBe(false);
    expect(second.body.idempotentReplay).toBe(true);
    expect(second.body.orderId).toBe(first.body.orderId);
    expect(brokerPlaceCalls - before).toBe(1);
  });

  it('the same key with a different body is 409 IDEMPOTENCY_CONFLICT', async () => {
    const headers = { 'Idempotency-Key': 'conflict-test-1' };
    expect((await post('/api/orders/place', MKT, KEYS.trade, headers)).status).toBe(200);
    expectError(await post('/api/orders/place', { ...MKT, quantity: 7 }, KEYS.trade, headers), 409, 'IDEMPOTENCY_CONFLICT');
  });

  it('concurrent duplicates with one key place one order', async () => {
    const before = brokerPlaceCalls;
    const headers = { 'Idempotency-Key': 'concurrent-test-1' };
    const results = await Promise.all(Array.from({ length: 8 }, () => post<{ orderId?: string }>('/api/orders/place', { ...MKT, quantity: 3 }, KEYS.trade, headers)));
    const ok = results.filter((r) => r.status === 200);
    for (const r of results.filter((x) => x.status !== 200)) expectError(r, 409, 'IDEMPOTENCY_IN_PROGRESS');
    expect(ok.length).toBeGreaterThan(0);
    expect(new Set(ok.map((r) => r.body.orderId)).size).toBe(1);
    expect(brokerPlaceCalls - before).toBe(1);
  });

  it('a malformed Idempotency-Key header is 422', async () => {
    expectError(await post('/api/orders/place', MKT, KEYS.trade, { 'Idempotency-Key': 'x'.repeat(300) }), 422, 'VALIDATION_ERROR');
  });
});

describe('audit', () => {
  it('rows carry the request correlation id and the key name; admin can query and verify', async () => {
    const placed = await post<{ orderId: string }>('/api/orders/place', MKT, KEYS.trade, { 'X-Correlation-Id': 'audit-trace-1' });
    expect(placed.status).toBe(200);
    const page = await get<{ entries: Array<{ correlationId: string; orderId: string | null; userContext: { interface: string; apiKeyName: string | null } }> }>(
      `/api/audit?orderId=${placed.body.orderId}&limit=50`,
      KEYS.admin,
    );
    expect(page.status).toBe(200);
    expect(page.body.entries.length).toBeGreaterThan(0);
    const first = page.body.entries[0];
    expect(first?.correlationId).toBe('audit-trace-1');
    expect(first?.userContext).toEqual({ interface: 'rest', apiKeyName: 'key2' });
    const verify = await get('/api/audit/verify', KEYS.admin);
    expect(verify.status).toBe(200);
    expect(verify.body).toMatchObject({ ok: true, firstBadId: null });
    expectError(await get('/api/audit?eventType=NOT_AN_EVENT', KEYS.admin), 422, 'VALIDATION_ERROR');
    expectError(await get('/api/audit?limit=abc', KEYS.admin), 422, 'VALIDATION_ERROR');
  });
});

describe('metrics', () => {
  it('GET /metrics is Prometheus text with the HTTP histogram', async () => {
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(res.text).toContain('ibkr_gateway_http_request_seconds');
    expect(res.text).toContain('route="/api/market/quote"');
    expectError(await get('/metrics', null), 401, 'UNAUTHORIZED');
  });

  it('counts every answered request once, by route pattern and status: answers, refusals, unknown paths and answers that wait for a body', async () => {
    const count = async (labels: string): Promise<number> => {
      const text = (await get('/metrics', KEYS.admin)).text;
      const line = text.split('\n').find((l) => l.startsWith('ibkr_gateway_http_request_seconds_count{') && l.includes(labels));
      return line === undefined ? 0 : Number(line.split(' ').at(-1));
    };
    const series = {
      quote: 'method="GET",route="/api/market/quote",status="200"',
      refused: 'method="GET",route="/api/market/quote",status="401"',
      unknown: 'method="GET",route="unmatched",status="404"',
      // Answered after its body arrives, in a later tick than the request hook's (completion.ts).
      invalidOrder: 'method="POST",route="/api/orders/place",status="422"',
    };
    const before = { quote: await count(series.quote), refused: await count(series.refused), unknown: await count(series.unknown), invalidOrder: await count(series.invalidOrder) };
    expect((await get('/api/market/quote?symbol=AAPL')).status).toBe(200);
    expect((await get('/api/market/quote?symbol=AAPL')).status).toBe(200);
    expectError(await get('/api/market/quote?symbol=AAPL', null), 401, 'UNAUTHORIZED');
    expect((await get('/api/no-such-route')).status).toBe(404);
    expectError(await post('/api/orders/place', { ...MKT, quantity: -1 }), 422, 'VALIDATION_ERROR');
    expect(await count(series.quote)).toBe(before.quote + 2);
    expect(await count(series.refused)).toBe(before.refused + 1);
    expect(await count(series.unknown)).toBe(before.unknown + 1);
    expect(await count(series.invalidOrder)).toBe(before.invalidOrder + 1);
  });
});

describe('unexpected failures', () => {
  it('a core answer its response schema refuses is 500, not a wrong answer', async () => {
    // The route asks quoteNow(): a wrong answer given at once and one given through a promise.
    const original = s.client.quoteNow;
    const good = await s.client.getQuote({ symbol: 'AAPL' });
    const wrong = { ...good, bid: 'oops' } as unknown as Quote;
    try {
      s.client.quoteNow = () => wrong;
      expectError(await get('/api/market/quote?symbol=AAPL'), 500, 'INTERNAL_ERROR');
      s.client.quoteNow = () => Promise.resolve(wrong);
      expectError(await get('/api/market/quote?symbol=AAPL'), 500, 'INTERNAL_ERROR');
    } finally {
      s.client.quoteNow = original;
    }
  });

  it('an unexpected error is 500 INTERNAL_ERROR without internals', async () => {
    const original = s.client.getPositions;
    s.client.getPositions = () => Promise.reject(new Error('SQLITE_CORRUPT at /var/secret/path.db'));
    try {
      const res = await get('/api/account/positions');
      expectError(res, 500, 'INTERNAL_ERROR');
      expect(res.text).not.toContain('secret');
      expect(res.text).not.toContain('SQLITE');
    } finally {
      s.client.getPositions = original;
    }
  });
});

describe('quote stream (SSE)', () => {
  async function readEvents(res: Response, wanted: number, signal: AbortSignal): Promise<Quote[]> {
    const reader = res.body?.getReader();
    if (!reader) throw new Error('no body');
    const decoder = new TextDecoder();
    const quotes: Quote[] = [];
    let buffer = '';
    while (quotes.length < wanted && !signal.aborted) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (block.includes('event: quote') && data) quotes.push(JSON.parse(data.slice(6)) as Quote);
      }
    }
    return quotes;
  }

  /** Every (event, data) pair until `enough` says so, the stream ends, or `signal` aborts. */
  async function readAllEvents(res: Response, enough: (seen: Array<{ event: string; data: unknown }>) => boolean, signal: AbortSignal): Promise<Array<{ event: string; data: unknown }>> {
    const reader = res.body?.getReader();
    if (!reader) throw new Error('no body');
    const decoder = new TextDecoder();
    const seen: Array<{ event: string; data: unknown }> = [];
    let buffer = '';
    while (!enough(seen) && !signal.aborted) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = block.split('\n').find((l) => l.startsWith('event: '))?.slice(7);
        const data = block.split('\n').find((l) => l.startsWith('data: '))?.slice(6);
        if (event !== undefined && data !== undefined) seen.push({ event, data: JSON.parse(data) as unknown });
      }
    }
    return seen;
  }

  it('two listeners get quotes from one broker subscription, released when both leave', async () => {
    const broker = s.client.broker;
    const subscribe = broker.subscribeQuotes.bind(broker);
    let subscriptions = 0;
    let releases = 0;
    broker.subscribeQuotes = (contract, listener) => {
      if (contract.symbol === 'NVDA') subscriptions += 1;
      const release = subscribe(contract, listener);
      return () => {
        if (contract.symbol === 'NVDA') releases += 1;
        release();
      };
    };
    const a = new AbortController();
    const b = new AbortController();
    try {
      const headers = { 'x-api-key': KEYS.read };
      const resA = await fetch(`${url}/api/market/stream?symbols=NVDA`, { headers, signal: a.signal });
      const resB = await fetch(`${url}/api/market/stream?symbols=nvda,NVDA`, { headers, signal: b.signal });
      expect(resA.status).toBe(200);
      expect(resB.headers.get('content-type')).toContain('text/event-stream');
      expect(resB.headers.get('x-correlation-id')).toBeTruthy();
      const timeout = AbortSignal.timeout(15_000);
      const [qa, qb] = await Promise.all([readEvents(resA, 2, timeout), readEvents(resB, 2, timeout)]);
      expect(qa.length).toBe(2);
      expect(qb.length).toBe(2);
      expect(qa[0]?.symbol).toBe('NVDA');
      expect(qb[0]?.symbol).toBe('NVDA');
      expect(subscriptions).toBe(1);
      a.abort();
      await sleep(200);
      expect(releases).toBe(0);
      b.abort();
      for (let i = 0; i < 50 && releases === 0; i++) await sleep(50);
      expect(releases).toBe(1);
    } finally {
      a.abort();
      b.abort();
      broker.subscribeQuotes = subscribe;
    }
  });

  it('an unknown symbol among known ones is reported on its own (event: symbol-error) while the others stream', async () => {
    const stop = new AbortController();
    try {
      const res = await fetch(`${url}/api/market/stream?symbols=AAPL,ZZZQQQ,MSFT`, { headers: { 'x-api-key': KEYS.read }, signal: stop.signal });
      expect(res.status).toBe(200);
      const events = await readAllEvents(res, (seen) => new Set(seen.filter((e) => e.event === 'quote').map((e) => (e.data as Quote).symbol)).size === 2, AbortSignal.timeout(15_000));
      const failures = events.filter((e) => e.event === 'symbol-error').map((e) => e.data);
      expect(failures).toEqual([{ symbol: 'ZZZQQQ', error: { code: 'CONTRACT_NOT_FOUND', message: expect.stringContaining('ZZZQQQ') } }]);
      const quoted = new Set(events.filter((e) => e.event === 'quote').map((e) => (e.data as Quote).symbol));
      expect([...quoted].sort()).toEqual(['AAPL', 'MSFT']);
    } finally {
      stop.abort();
    }
  });

  it('a list where no symbol can be streamed is 404 before any stream starts; a missing list is 422', async () => {
    expectError(await get('/api/market/stream?symbols=ZZZQQQ'), 404, 'CONTRACT_NOT_FOUND');
    expectError(await get('/api/market/stream?symbols=ZZZQQQ,QQQZZZ'), 404, 'CONTRACT_NOT_FOUND');
    expectError(await get('/api/market/stream?symbols=,'), 422, 'VALIDATION_ERROR');
    expectError(await get('/api/market/stream'), 422, 'VALIDATION_ERROR');
  });
});

describe('OpenAPI', () => {
  it('/openapi.json is an OpenAPI 3 document listing every path with the key scheme', async () => {
    const res = await get<{ openapi: string; paths: Record<string, Record<string, { responses?: object; security?: unknown[] }>>; components: { securitySchemes: Record<string, unknown> } }>(
      '/openapi.json',
      KEYS.read,
    );
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\.\d+\.\d+$/);
    const expected: Array<[string, string]> = [
      ['/health', 'get'],
      ['/api/me', 'get'],
      ['/api/market/quote', 'get'],
      ['/api/market/historical', 'get'],
      ['/api/market/stream', 'get'],
      ['/api/market/option-chain', 'get'],
      ['/api/account/summary', 'get'],
      ['/api/account/positions', 'get'],
      ['/api/account/pnl', 'get'],
      ['/api/orders/preview', 'post'],
      ['/api/orders/place', 'post'],
      ['/api/orders/{orderId}/status', 'get'],
      ['/api/orders/{orderId}/cancel', 'post'],
      ['/api/orders', 'get'],
      ['/api/contracts/resolve', 'get'],
      ['/api/audit', 'get'],
      ['/api/audit/verify', 'get'],
      ['/api/admin/kill-switch', 'get'],
      ['/api/admin/kill-switch', 'post'],
      ['/metrics', 'get'],
    ];
    for (const [path, method] of expected) {
      const op = res.body.paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(op?.responses, `${method} ${path}`).toBeDefined();
      if (path !== '/health') expect(op?.security, `${method} ${path}`).toEqual([{ apiKey: [] }, { bearer: [] }]);
    }
    expect(res.body.components.securitySchemes).toMatchObject({ apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' }, bearer: { type: 'http', scheme: 'bearer' } });
    // Every $ref in the document points at something that exists.
    const text = JSON.stringify(res.body);
    for (const ref of text.matchAll(/"\$ref":"#\/([^"]+)"/g)) {
      const target = (ref[1] ?? '').split('/').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], res.body);
      expect(target, ref[1]).toBeDefined();
    }
    const docs = await fetch(`${url}/docs`, { headers: { 'x-api-key': KEYS.read } });
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
  });
});
