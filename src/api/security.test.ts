/**
 * Security hardening over real sockets: failed-authentication back-off,
 * hierarchical scopes and GET /api/me, what answers without a key, security
 * headers on every kind of response, and each refusal's own code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, isErrorBody, KEYS, startTestServer, type ErrorShape, type TestServer } from '../testing/api-harness.js';

const ADMIN_ONLY = 'adminonly1234';

let s: TestServer;
beforeAll(async () => {
  // A key configured as `admin` alone, beside the harness's read, trade and admin keys.
  s = await startTestServer({ API_KEYS: `${KEYS.read}:read,${KEYS.trade}:read+trade,${KEYS.admin}:admin+trade+read,${ADMIN_ONLY}:admin` });
});
afterAll(async () => {
  await s.close();
});

const code = (res: { body: unknown }): string => {
  expect(isErrorBody(res.body), JSON.stringify(res.body)).toBe(true);
  return (res.body as ErrorShape).error.code;
};

describe('scopes are hierarchical: admin includes trade includes read', () => {
  it('an admin-only key reads quotes and engages and releases the kill switch', async () => {
    expect((await call(s.url, '/api/market/quote?symbol=AAPL', { key: ADMIN_ONLY })).status).toBe(200);
    const engaged = await call(s.url, '/api/admin/kill-switch', { key: ADMIN_ONLY, body: { engaged: true, reason: 'admin-only key' } });
    expect([engaged.status, engaged.body]).toMatchObject([200, { engaged: true }]);
    const released = await call(s.url, '/api/admin/kill-switch', { key: ADMIN_ONLY, body: { engaged: false } });
    expect([released.status, released.body]).toMatchObject([200, { engaged: false }]);
  });

  it('GET /api/me names the key and its effective scopes, lowest first', async () => {
    const me = await call<{ name: string; scopes: string[] }>(s.url, '/api/me', { key: ADMIN_ONLY });
    expect(me.body).toEqual({ name: expect.any(String), scopes: ['read', 'trade', 'admin'] });
    expect(me.text).not.toContain(ADMIN_ONLY);
    expect((await call(s.url, '/api/me', { key: KEYS.trade })).body).toMatchObject({ scopes: ['read', 'trade'] });
    expect((await call(s.url, '/api/me', { key: KEYS.read })).body).toMatchObject({ scopes: ['read'] });
    const anonymous = await call(s.url, '/api/me', { key: null });
    expect([anonymous.status, code(anonymous)]).toEqual([401, 'UNAUTHORIZED']);
  });

  it('a trade key still cannot release the kill switch or read the audit log', async () => {
    const release = await call(s.url, '/api/admin/kill-switch', { key: KEYS.trade, body: { engaged: false } });
    expect([release.status, code(release)]).toEqual([403, 'FORBIDDEN']);
    const audit = await call(s.url, '/api/audit', { key: KEYS.trade });
    expect([audit.status, code(audit)]).toEqual([403, 'FORBIDDEN']);
    expect((audit.body as unknown as ErrorShape).error.message).toContain('admin includes trade, trade includes read');
  });
});

describe('what answers without a key', () => {
  it('/docs and /openapi.json need a read key unless PUBLIC_DOCS=true', async () => {
    for (const path of ['/docs', '/openapi.json', '/docs/static/index.html']) {
      const res = await call(s.url, path, { key: null });
      expect([path, res.status, code(res)]).toEqual([path, 401, 'UNAUTHORIZED']);
      expect((await call(s.url, path, { key: KEYS.read })).status, path).toBe(200);
    }
    const open = await startTestServer({ PUBLIC_DOCS: 'true' });
    try {
      expect((await call(open.url, '/docs', { key: null })).status).toBe(200);
      expect((await call(open.url, '/openapi.json', { key: null })).status).toBe(200);
      expect((await call(open.url, '/api/market/quote?symbol=AAPL', { key: null })).status).toBe(401);
    } finally {
      await open.close();
    }
  });
});

describe('security headers on every response', () => {
  const pageSet = (headers: Headers): void => {
    expect(headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(headers.get('referrer-policy')).toBe('no-referrer');
    expect(headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(headers.get('cross-origin-resource-policy')).toBe('same-origin');
  };

  it("API answers (JSON, errors, /health, the quote stream) carry OWASP's API set: nosniff, framing refused, a CSP that lets nothing run or load", async () => {
    const responses = await Promise.all([
      call(s.url, '/health', { key: null }),
      call(s.url, '/api/market/quote?symbol=', { key: KEYS.read }),
      call(s.url, '/api/market/quote?symbol=AAPL', { key: KEYS.read }),
      call(s.url, '/api/market/quote?symbol=AAPL', { key: null }),
      call(s.url, '/api/market/quote?symbol=AAPL', { key: 'not-a-key-1234' }),
      call(s.url, '/metrics', { key: KEYS.read }),
    ]);
    const controller = new AbortController();
    const stream = await fetch(`${s.url}/api/market/stream?symbols=AAPL`, { headers: { 'x-api-key': KEYS.read }, signal: controller.signal });
    const all = [...responses.map((r) => r.headers), stream.headers];
    controller.abort();
    expect(responses.map((r) => r.status)).toEqual([200, 422, 200, 401, 401, 200]);
    for (const headers of all) {
      expect(headers.get('x-content-type-options')).toBe('nosniff');
      expect(headers.get('x-frame-options')).toBe('DENY');
      // Stricter than the pages' policy: a browser made to render an answer may run and load nothing.
      expect(headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    }
  });

  it('pages (/docs) and answers not known to be API answers (404s, URLs the router cannot decode, /openapi.json) carry the full set', async () => {
    const responses = await Promise.all([
      call(s.url, '/docs', { key: KEYS.read }),
      call(s.url, '/docs/static/index.html', { key: KEYS.read }),
      call(s.url, '/docs', { key: null }),
      call(s.url, '/openapi.json', { key: KEYS.read }),
      call(s.url, '/nowhere', { key: null }),
      call(s.url, '/api/market/%E0%A4%A', { key: KEYS.read }),
    ]);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 401, 200, 404, 400]);
    expect(responses[0]?.headers.get('content-type')).toContain('text/html');
    for (const { headers } of responses) {
      expect(headers.get('x-content-type-options')).toBe('nosniff');
      expect(headers.get('x-frame-options')).toBe('DENY');
      pageSet(headers);
    }
  });
});

describe('each refusal its own code', () => {
  it('a path the static file server refuses is 403 PATH_FORBIDDEN, not BAD_REQUEST', async () => {
    const res = await call(s.url, '/docs/static/%00', { key: KEYS.read });
    expect([res.status, code(res)]).toEqual([403, 'PATH_FORBIDDEN']);
  });

  it('a body that is not JSON is 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const res = await call(s.url, '/api/orders/preview', { key: KEYS.trade, rawBody: '<order/>', headers: { 'content-type': 'application/xml' } });
    expect([res.status, code(res)]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
  });
});

describe('failed authentication backs off per address', () => {
  it('1,000 wrong keys end in 429 AUTH_RATE_LIMITED with Retry-After; the right key gets through once the back-off has passed', async () => {
    // The back-off's clock is the test's: the 1,000 guesses take as long as the machine needs without a
    // block running out between two of them (on a loaded machine one did, and the right key got through).
    let now = Date.now();
    const t = await startTestServer({}, { authThrottle: { now: () => now } });
    try {
      const statuses: number[] = [];
      let last: Awaited<ReturnType<typeof call>> | null = null;
      // Fifty at a time over keep-alive connections, as a guesser would.
      for (let batch = 0; batch < 20; batch++) {
        const results = await Promise.all(Array.from({ length: 50 }, (_, i) => call(t.url, '/api/account/summary', { key: `wrong-key-${batch}-${i}` })));
        for (const r of results) statuses.push(r.status);
        last = results[results.length - 1] ?? null;
      }
      expect(statuses).toHaveLength(1000);
      // Ten free guesses answer 401; the eleventh starts the back-off and everything after is refused unchecked.
      const checked = statuses.filter((x) => x === 401).length;
      expect(checked).toBe(10);
      expect(statuses.filter((x) => x === 429).length).toBe(1000 - checked);
      expect(statuses.slice(-50)).toEqual(Array(50).fill(429));
      expect(last && code(last)).toBe('AUTH_RATE_LIMITED');
      expect(Number(last?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

      // While the address backs off, the right key is refused too: otherwise 200 vs 429 would answer the guesser.
      const during = await call(t.url, '/api/account/summary', { key: KEYS.read });
      expect([during.status, code(during)]).toEqual([429, 'AUTH_RATE_LIMITED']);
      // Requests without a key guess nothing and are not blocked.
      expect((await call(t.url, '/health', { key: null })).status).toBe(200);

      now += Number(during.headers.get('retry-after')) * 1000 + 50;
      const after = await call(t.url, '/api/account/summary', { key: KEYS.read });
      expect(after.status).toBe(200);
      // The success forgave the address: a typo now is a plain 401 again.
      expect((await call(t.url, '/api/account/summary', { key: 'one-more-typo' })).status).toBe(401);

      const metrics = await call(t.url, '/metrics', { key: KEYS.read });
      const failures = /ibkr_gateway_auth_failures_total (\d+)/.exec(metrics.text)?.[1];
      const throttled = /ibkr_gateway_auth_throttled_total (\d+)/.exec(metrics.text)?.[1];
      // Wrong keys checked: the ten free ones, the eleventh that started the back-off and the typo after it.
      // Throttled: every 429, the 990 guesses and the right key sent during the back-off.
      expect([Number(failures), Number(throttled)]).toEqual([12, 991]);
    } finally {
      await t.close();
    }
  });
});
