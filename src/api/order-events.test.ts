/**
 * Order events over SSE, cancel-all and close-position, over a real socket on
 * the simulator (always-open session, orders enabled).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditPage, CancelAllResult, OrderEvent, OrderPreview, OrderResult, Position, Quote } from '../core/models.js';
import type { AddressInfo } from 'node:net';
import { buildApiServer } from './server.js';
import { call, isErrorBody, KEYS, sleep, startTestServer, type ErrorShape, type TestServer } from '../testing/api-harness.js';

let s: TestServer;
let url: string;
let brokerPlaceCalls = 0;

beforeAll(async () => {
  s = await startTestServer();
  url = s.url;
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

const get = <T = Record<string, unknown>>(path: string, key: string = KEYS.read) => call<T>(url, path, { key });
const post = <T = Record<string, unknown>>(path: string, body: unknown, key: string = KEYS.trade, headers?: Record<string, string>) =>
  call<T>(url, path, { key, body, headers, method: 'POST' });
const del = <T = Record<string, unknown>>(path: string, key: string = KEYS.trade, headers?: Record<string, string>) => call<T>(url, path, { key, headers, method: 'DELETE' });

function expectError(res: { status: number; body: unknown }, status: number, code: string): ErrorShape {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(isErrorBody(res.body)).toBe(true);
  const body = res.body as ErrorShape;
  expect(body.error.code).toBe(code);
  return body;
}

/** Polls until `check` holds (the sim fills asynchronously); fails with `what` if it never does. */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await sleep(10);
  }
  throw new Error(`never happened: ${what}`);
}

async function lastPrice(symbol: string): Promise<number> {
  const q = await get<Quote>(`/api/market/quote?symbol=${symbol}`);
  const price = q.body.last ?? q.body.bid ?? q.body.ask;
  if (price === null) throw new Error('no price');
  return price;
}

async function positionOf(symbol: string): Promise<number> {
  const res = await get<Position[]>('/api/account/positions');
  return res.body.find((p) => p.symbol === symbol)?.quantity ?? 0;
}

async function placeMarket(symbol: string, action: 'BUY' | 'SELL', quantity: number): Promise<OrderResult> {
  const res = await post<OrderResult>('/api/orders/place', { symbol, action, quantity, orderType: 'MKT' });
  expect(res.status, res.text).toBe(200);
  await until(`${action} ${quantity} ${symbol} fills`, async () => (await get<{ status: string }>(`/api/orders/${res.body.orderId}/status`)).body.status === 'FILLED');
  return res.body;
}

/** A BUY limit 8% below the market (inside the 10% price band): it rests. */
async function placeResting(symbol: string, quantity = 1): Promise<OrderResult> {
  const limitPrice = Math.round((await lastPrice(symbol)) * 0.92 * 100) / 100;
  const res = await post<OrderResult>('/api/orders/place', { symbol, action: 'BUY', quantity, orderType: 'LMT', limitPrice });
  expect(res.status, res.text).toBe(200);
  return res.body;
}

interface SseFrame {
  id: string | null;
  event: string | null;
  data: string;
}

/**
 * A minimal EventSource over fetch: yields each event frame, so a test can
 * read some, drop the connection (abort) and come back with Last-Event-ID.
 */
async function* sse(path: string, signal: AbortSignal, headers: Record<string, string> = {}): AsyncGenerator<SseFrame> {
  const res = await fetch(`${url}${path}`, { headers: { 'x-api-key': KEYS.read, accept: 'text/event-stream', ...headers }, signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  // The stream's start ("from now") is fixed once the headers are out: tell the caller.
  yield { id: null, event: 'open', data: '' };
  const reader = res.body?.getReader();
  if (reader === undefined) throw new Error('no body');
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const frame: SseFrame = { id: null, event: null, data: '' };
        for (const line of block.split('\n')) {
          if (line.startsWith('id: ')) frame.id = line.slice(4);
          else if (line.startsWith('event: ')) frame.event = line.slice(7);
          else if (line.startsWith('data: ')) frame.data += line.slice(6);
        }
        if (frame.event !== null) yield frame;
      }
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  }
}

const sequencesOf = (events: OrderEvent[]): number[] => events.map((e) => e.sequence);

describe('GET /api/orders/stream (Server-Sent Events)', () => {
  it('a client that disconnects mid-stream and reconnects with Last-Event-ID receives every event exactly once, in order', async () => {
    const start = (await get<OrderEvent[]>('/api/orders/events?limit=1')).body.at(-1)?.sequence ?? 0;
    const received: OrderEvent[] = [];

    // First connection: live events from now on; leave after a few.
    const first = new AbortController();
    const firstStream = sse('/api/orders/stream', first.signal);
    expect((await firstStream.next()).value?.event).toBe('open');
    await placeMarket('AAPL', 'BUY', 2);
    await placeResting('MSFT');
    let next = await firstStream.next();
    while (!next.done) {
      const frame = next.value;
      const event = JSON.parse(frame.data) as OrderEvent;
      expect(frame.event).toBe('order');
      expect(frame.id).toBe(String(event.sequence));
      received.push(event);
      if (received.length === 3) break;
      next = await firstStream.next();
    }
    first.abort();
    await firstStream.return(undefined);
    expect(received).toHaveLength(3);

    // While disconnected: more changes (a fill, a resting order, a cancel).
    await placeMarket('AAPL', 'SELL', 2);
    const resting = await placeResting('IBM');
    expect((await post<{ cancelled: boolean }>(`/api/orders/${resting.orderId}/cancel`, undefined)).body.cancelled).toBe(true);
    const all = (await get<OrderEvent[]>(`/api/orders/events?afterSequence=${start}&limit=1000`)).body;
    const lastSequence = all.at(-1)?.sequence ?? 0;
    expect(all.length).toBeGreaterThan(received.length + 3);

    // Reconnect where we left off, as EventSource does.
    const second = new AbortController();
    const lastEventId = String(received.at(-1)?.sequence);
    for await (const frame of sse('/api/orders/stream', second.signal, { 'last-event-id': lastEventId })) {
      if (frame.event === 'open') continue;
      const event = JSON.parse(frame.data) as OrderEvent;
      received.push(event);
      if (event.sequence >= lastSequence) break;
    }
    second.abort();

    expect(sequencesOf(received)).toEqual(sequencesOf(all));
    expect(new Set(sequencesOf(received)).size).toBe(received.length);
    const kinds = new Set(received.map((e) => e.kind));
    expect(kinds).toEqual(new Set(['NEW', 'STATUS', 'FILL']));
    const fill = received.find((e) => e.kind === 'FILL');
    expect(fill?.fill?.orderId).toBe(fill?.orderId);
    const cancelled = received.find((e) => e.orderId === resting.orderId && e.status === 'CANCELLED');
    expect(cancelled?.previousStatus).not.toBeNull();
  });

  it('?afterSequence=0 replays the history from the first event', async () => {
    const ac = new AbortController();
    const frames = sse('/api/orders/stream?afterSequence=0', ac.signal);
    await frames.next();
    const first = await frames.next();
    ac.abort();
    expect(first.done).toBe(false);
    expect(first.value?.id).toBe('1');
  });

  it('refuses a Last-Event-ID that is not a sequence number, and a request without a key', async () => {
    expectError(await call(url, '/api/orders/stream', { key: KEYS.read, headers: { 'last-event-id': 'abc' } }), 422, 'VALIDATION_ERROR');
    expectError(await call(url, '/api/orders/stream', { key: null }), 401, 'UNAUTHORIZED');
  });

  it('ends cleanly when the server closes: the client sees the end of the stream, not an error', async () => {
    const own = await startTestServer();
    try {
      const res = await fetch(`${own.url}/api/orders/stream`, { headers: { 'x-api-key': KEYS.read } });
      const reader = res.body?.getReader();
      if (reader === undefined) throw new Error('no body');
      const opening = new TextDecoder().decode((await reader.read()).value);
      expect(opening).toContain(': order events from now');
      await own.api.close();
      let next = await reader.read();
      while (next.done !== true) next = await reader.read();
      expect(next.done).toBe(true);
    } finally {
      await own.close();
    }
  });

  it('sends a keep-alive comment while nothing happens', async () => {
    const app = await buildApiServer(s.client, { streamHeartbeatMs: 20 });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const ac = new AbortController();
    try {
      const res = await fetch(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/orders/stream`, { headers: { 'x-api-key': KEYS.read }, signal: ac.signal });
      const reader = res.body?.getReader();
      if (reader === undefined) throw new Error('no body');
      let text = '';
      while (!text.includes(': keep-alive\n\n')) {
        const { done, value } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      expect(text).toContain(': keep-alive\n\n');
    } finally {
      ac.abort();
      await app.close();
    }
  });

  it('the library iterator yields the same events as the stream', async () => {
    const ac = new AbortController();
    const got: OrderEvent[] = [];
    for await (const event of s.client.orderEvents({ afterSequence: 0, signal: ac.signal })) {
      got.push(event);
      if (got.length === 5) ac.abort();
    }
    const page = (await get<OrderEvent[]>('/api/orders/events?afterSequence=0&limit=5')).body;
    expect(sequencesOf(got)).toEqual(sequencesOf(page));
  });
});

describe('DELETE /api/orders (cancel all)', () => {
  it('cancels every working order, one audited cancel per order under the request correlation id, and leaves none working', async () => {
    const placed = [await placeResting('AAPL'), await placeResting('MSFT'), await placeResting('MSFT', 2)];
    const working = (await get<Array<{ orderId: string }>>('/api/orders?status=open')).body.map((o) => o.orderId).sort();
    expect(working).toEqual(expect.arrayContaining(placed.map((p) => p.orderId)));
    const res = await del<CancelAllResult>('/api/orders', KEYS.trade, { 'x-correlation-id': 'cancel-all-test-1' });
    expect(res.status, res.text).toBe(200);
    expect(res.body.failed).toEqual([]);
    expect(res.body.correlationId).toBe('cancel-all-test-1');
    expect(res.body.cancelled.map((c) => c.orderId).sort()).toEqual(working);
    expect(res.body.cancelled.every((c) => c.cancelled && c.status === 'CANCELLED')).toBe(true);
    expect((await get<unknown[]>('/api/orders?status=open')).body).toEqual([]);

    const audit = await get<AuditPage>('/api/audit?correlationId=cancel-all-test-1&eventType=ORDER_CANCEL_REQUESTED', KEYS.admin);
    expect(audit.body.entries.map((e) => e.orderId).sort()).toEqual(working);
  });

  it('?symbol= cancels only that symbol', async () => {
    const aapl = await placeResting('AAPL');
    const msft = await placeResting('MSFT');
    const res = await del<CancelAllResult>('/api/orders?symbol=msft');
    expect(res.body.cancelled.map((c) => c.orderId)).toEqual([msft.orderId]);
    expect((await get<{ status: string }>(`/api/orders/${aapl.orderId}/status`)).body.status).not.toBe('CANCELLED');
    expect((await del<CancelAllResult>('/api/orders')).body.cancelled.map((c) => c.orderId)).toEqual([aapl.orderId]);
  });

  it('with nothing working answers an empty list; needs the trade scope', async () => {
    expect((await del<CancelAllResult>('/api/orders')).body).toMatchObject({ cancelled: [], failed: [] });
    expectError(await del('/api/orders', KEYS.read), 403, 'FORBIDDEN');
  });
});

describe('DELETE /api/positions/{symbol} (close a position)', () => {
  it('flattens a long, in two steps by percentage then the rest', async () => {
    await placeMarket('AAPL', 'BUY', 10);
    const base = await positionOf('AAPL');
    expect(base).toBeGreaterThanOrEqual(10);
    const half = await del<OrderResult>('/api/positions/aapl?percentage=50');
    expect(half.status, half.text).toBe(200);
    expect(half.body.spec).toMatchObject({ symbol: 'AAPL', action: 'SELL', quantity: Math.floor(base / 2), orderType: 'MKT' });
    await until('half closed', async () => (await positionOf('AAPL')) === base - Math.floor(base / 2));
    const rest = await del<OrderResult>('/api/positions/AAPL');
    expect(rest.body.spec).toMatchObject({ action: 'SELL', quantity: base - Math.floor(base / 2) });
    await until('flat', async () => (await positionOf('AAPL')) === 0);
  });

  it('flattens a short with a BUY; a retry with the same Idempotency-Key returns the first result and sends nothing', async () => {
    await placeMarket('MSFT', 'SELL', 7);
    expect(await positionOf('MSFT')).toBe(-7);
    const sentBefore = brokerPlaceCalls;
    const first = await del<OrderResult>('/api/positions/MSFT', KEYS.trade, { 'idempotency-key': 'close-msft-1' });
    expect(first.status, first.text).toBe(200);
    expect(first.body.spec).toMatchObject({ action: 'BUY', quantity: 7 });
    await until('flat', async () => (await positionOf('MSFT')) === 0);
    const again = await del<OrderResult>('/api/positions/MSFT', KEYS.trade, { 'idempotency-key': 'close-msft-1' });
    expect(again.status, again.text).toBe(200);
    expect(again.body).toMatchObject({ orderId: first.body.orderId, idempotentReplay: true });
    expect(brokerPlaceCalls - sentBefore).toBe(1);
    // The key belongs to the API key that used it: another key replaying it is refused, and nothing is sent.
    expectError(await del('/api/positions/MSFT', KEYS.admin, { 'idempotency-key': 'close-msft-1' }), 409, 'IDEMPOTENCY_KEY_FOREIGN');
    expect(brokerPlaceCalls - sentBefore).toBe(1);
  });

  it('a preview binds the close; the previewId is checked when placing', async () => {
    await placeMarket('IBM', 'BUY', 3);
    const preview = await post<OrderPreview>('/api/positions/IBM/close/preview?quantity=1', undefined);
    expect(preview.status, preview.text).toBe(200);
    expect(preview.body.spec).toMatchObject({ symbol: 'IBM', action: 'SELL', quantity: 1 });
    expectError(await del(`/api/positions/IBM?quantity=2&previewId=${preview.body.previewId}`), 409, 'PREVIEW_MISMATCH');
    const closed = await del<OrderResult>(`/api/positions/IBM?quantity=1&previewId=${preview.body.previewId}`);
    expect(closed.status, closed.text).toBe(200);
    await until('two left', async () => (await positionOf('IBM')) === 2);
    await del('/api/positions/IBM');
    await until('flat', async () => (await positionOf('IBM')) === 0);
  });

  it('refuses what it cannot close, with stable codes', async () => {
    expectError(await del('/api/positions/AAPL'), 404, 'POSITION_NOT_FOUND');
    await placeMarket('AAPL', 'BUY', 2);
    expectError(await del('/api/positions/AAPL?quantity=5'), 422, 'ORDER_VALIDATION_ERROR');
    expectError(await del('/api/positions/AAPL?quantity=1&percentage=10'), 422, 'VALIDATION_ERROR');
    expectError(await del('/api/positions/AAPL', KEYS.read), 403, 'FORBIDDEN');
    await del('/api/positions/AAPL');
    await until('flat', async () => (await positionOf('AAPL')) === 0);
  });

  it('audit verify passes after all of the above', async () => {
    const res = await get<{ ok: boolean; checkedRows: number }>('/api/audit/verify', KEYS.admin);
    expect(res.body.ok, res.text).toBe(true);
    expect(res.body.checkedRows).toBeGreaterThan(0);
  });
});
