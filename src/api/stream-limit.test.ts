/**
 * API_MAX_STREAMS_PER_KEY bounds the event streams one API key holds open, quote
 * and order streams together, over real sockets: one more is refused 429
 * STREAM_LIMIT_REACHED before any work is done, other keys are unaffected,
 * and a slot comes back when its client leaves or when the request was
 * answered with an error instead of a stream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, KEYS, sleep, startTestServer, type ErrorShape, type TestServer } from '../testing/api-harness.js';

let s: TestServer;
const streams: AbortController[] = [];

beforeAll(async () => {
  s = await startTestServer({ API_MAX_STREAMS_PER_KEY: '2' });
});
afterAll(async () => {
  for (const c of streams) c.abort();
  await s.close();
});

/** Opens a stream and returns once its headers arrived; `close()` is the client leaving. */
async function open(path: string, key: string): Promise<{ status: number; close: () => void; body: unknown }> {
  const controller = new AbortController();
  streams.push(controller);
  const res = await fetch(`${s.url}${path}`, { headers: { 'x-api-key': key }, signal: controller.signal });
  if (res.status !== 200) return { status: res.status, close: () => controller.abort(), body: await res.json() };
  return { status: 200, close: () => controller.abort(), body: null };
}

/** The server learns of a client leaving a moment after it left: retry until it has. */
async function openWhenFree(path: string, key: string): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const r = await open(path, key);
    if (r.status !== 429) return r.status;
    await sleep(10);
  }
  return 429;
}

const QUOTES = '/api/market/stream?symbols=AAPL';
const ORDERS = '/api/orders/stream';

describe('concurrent event streams per API key (API_MAX_STREAMS_PER_KEY=2)', () => {
  it('refuses the third stream of a key with 429 STREAM_LIMIT_REACHED, counting both kinds, and gives the slot back when a client leaves', async () => {
    const quotes = await open(QUOTES, KEYS.read);
    const orders = await open(ORDERS, KEYS.read);
    expect([quotes.status, orders.status]).toEqual([200, 200]);

    for (const path of [QUOTES, ORDERS]) {
      const refused = await open(path, KEYS.read);
      expect(refused.status).toBe(429);
      expect((refused.body as ErrorShape).error).toMatchObject({ code: 'STREAM_LIMIT_REACHED', details: { limit: 2, open: 2 } });
      expect((refused.body as ErrorShape).error.message).toContain('API_MAX_STREAMS_PER_KEY');
    }
    // Another key has slots of its own.
    expect((await open(QUOTES, KEYS.trade)).status).toBe(200);

    quotes.close();
    expect(await openWhenFree(ORDERS, KEYS.read)).toBe(200);
    expect((await open(QUOTES, KEYS.read)).status).toBe(429);
  });

  it('a stream request answered with an error holds no slot', async () => {
    const key = KEYS.admin;
    // Unknown symbol: 404 before any stream opens; three times, more than the bound.
    for (let i = 0; i < 3; i++) expect((await open('/api/market/stream?symbols=NOSUCHSYMBOLX', key)).status).toBe(404);
    expect([(await open(QUOTES, key)).status, (await open(ORDERS, key)).status]).toEqual([200, 200]);
    expect((await open(ORDERS, key)).status).toBe(429);
  });

  it('ordinary requests of a key at its stream bound still answer', async () => {
    // The read key holds two streams from the first test.
    expect((await call(s.url, '/api/market/quote?symbol=AAPL', { key: KEYS.read })).status).toBe(200);
  });
});
