/**
 * What each tool sends to the REST API, seen through a recording fetch: the
 * path, query, body and headers. The end-to-end behaviour is in mcp.test.ts;
 * this pins the wire details an end-to-end test cannot see.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createMcpServer } from './index.js';

interface Recorded {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: unknown;
}

const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
});

/** A fetch that records the request and answers with `reply(url)`. */
async function connect(reply: (url: URL) => { status: number; body: unknown }, apiKey: string | null = 'key12345678') {
  const seen: Recorded[] = [];
  const fakeFetch: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const headers = Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]));
    seen.push({ method: init?.method ?? 'GET', url, headers, body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined });
    const r = reply(url);
    return new Response(JSON.stringify(r.body), { status: r.status, headers: { 'content-type': 'application/json' } });
  };
  const server = createMcpServer({ apiUrl: 'http://gateway.test:8000/', apiKey, fetch: fakeFetch });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  const client = new Client({ name: 't', version: '1' });
  await client.connect(b);
  clients.push(client);
  return { client, seen };
}

const errorBody = (code: string, message: string) => ({ status: 409, body: { error: { code, message }, correlationId: 'c-1' } });

const call = async (client: Client, name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as CallToolResult;
const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

describe('requests to the REST API', () => {
  it('place_order posts the normalised order with Idempotency-Key mcp-<previewId> and the API key', async () => {
    const { client, seen } = await connect(() => errorBody('PREVIEW_MISMATCH', 'The order differs from the one previewed as pv_abc; preview it again'));
    const result = await call(client, 'place_order', { symbol: ' aapl ', action: 'BUY', quantity: 5, orderType: 'LMT', limitPrice: 10, previewId: 'pv_abc' });
    expect(seen).toHaveLength(1);
    const req = seen[0];
    expect(req?.method).toBe('POST');
    expect(req?.url.href).toBe('http://gateway.test:8000/api/orders/place');
    expect(req?.headers).toMatchObject({ 'idempotency-key': 'mcp-pv_abc', 'x-api-key': 'key12345678', 'content-type': 'application/json' });
    // Defaults applied and the symbol normalised exactly as preview_order sends it, so the preview binding matches.
    expect(req?.body).toEqual({ symbol: 'AAPL', securityType: 'STK', action: 'BUY', quantity: 5, orderType: 'LMT', limitPrice: 10, timeInForce: 'DAY', outsideRth: false, previewId: 'pv_abc' });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/^PREVIEW_MISMATCH: The order differs/);
    expect(text(result)).toMatch(/correlationId: c-1/);
    expect(text(result)).not.toMatch(/Retrying place_order/);
  });

  it('reads send their arguments as a query string; an omitted field is not sent', async () => {
    const { client, seen } = await connect(() => errorBody('MARKET_DATA_UNAVAILABLE', 'closed'));
    await call(client, 'get_historical_data', { symbol: 'es', securityType: 'FUT', barSize: '5 mins', duration: '2 d', useRth: false });
    expect(seen[0]?.url.pathname).toBe('/api/market/historical');
    expect(Object.fromEntries(seen[0]?.url.searchParams ?? [])).toEqual({ symbol: 'ES', securityType: 'FUT', barSize: '5 mins', duration: '2 D', whatToShow: 'TRADES', useRth: 'false' });
    await call(client, 'list_orders', { status: 'open' });
    expect(seen[1]?.url.search).toBe('?status=open&owner=this&limit=100');
    await call(client, 'cancel_order', { orderId: 'ord-1' });
    expect([seen[2]?.method, seen[2]?.url.pathname, seen[2]?.body, seen[2]?.headers['content-type']]).toEqual(['POST', '/api/orders/ord-1/cancel', undefined, undefined]);
  });

  it('cancel_all_orders and close_position send DELETE with the query; close_position sends Idempotency-Key mcp-close-<previewId>', async () => {
    const { client, seen } = await connect(() => errorBody('PREVIEW_MISMATCH', 'The order differs from the one previewed'));
    await call(client, 'cancel_all_orders', { symbol: 'msft' });
    expect([seen[0]?.method, seen[0]?.url.pathname, seen[0]?.url.search]).toEqual(['DELETE', '/api/orders', '?symbol=MSFT']);
    await call(client, 'close_position', { symbol: ' ibm ', percentage: 50, previewId: 'pv_close1' });
    expect([seen[1]?.method, seen[1]?.url.pathname, seen[1]?.url.search]).toEqual(['DELETE', '/api/positions/IBM', '?percentage=50&previewId=pv_close1']);
    expect(seen[1]?.headers).toMatchObject({ 'idempotency-key': 'mcp-close-pv_close1' });
    await call(client, 'preview_close_position', { symbol: 'IBM', quantity: 2 });
    expect([seen[2]?.method, seen[2]?.url.pathname, seen[2]?.url.search]).toEqual(['POST', '/api/positions/IBM/close/preview', '?quantity=2']);
  });

  it('engage_kill_switch can only engage', async () => {
    const { client, seen } = await connect(() => ({ status: 200, body: { engaged: true, reason: 'stop', since: '2026-01-05T15:00:00.000Z', by: 'rest:key1' } }));
    const result = await call(client, 'engage_kill_switch', { reason: 'stop', engaged: false });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/engaged: unknown field/);
    expect(seen).toHaveLength(0);
    const ok = await call(client, 'engage_kill_switch', { reason: 'stop' });
    expect(seen[0]?.body).toEqual({ engaged: true, reason: 'stop' });
    expect(text(ok)).toMatch(/ENGAGED/);
  });

  it('without a key no X-API-Key is sent and UNAUTHORIZED says how to fix it', async () => {
    const { client, seen } = await connect(() => ({ status: 401, body: { error: { code: 'UNAUTHORIZED', message: 'An API key is required' }, correlationId: 'c' } }), null);
    const result = await call(client, 'get_pnl', {});
    expect(seen[0]?.headers).not.toHaveProperty('x-api-key');
    expect(text(result)).toMatch(/^UNAUTHORIZED: An API key is required[\s\S]*Next: .*MCP_API_KEY/);
  });

  it('a 200 with a body that is not the model is API_BAD_RESPONSE, not a crash', async () => {
    const { client } = await connect(() => ({ status: 200, body: { hello: 'world' } }));
    const result = await call(client, 'get_quote', { symbol: 'AAPL' });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/^API_BAD_RESPONSE/);
  });

  it('risk failures list each failed check', async () => {
    const failedChecks = [{ name: 'maxOrderNotional', passed: false, value: 1e6, limit: 250000, message: 'notional 1000000 exceeds 250000' }];
    const { client } = await connect(() => ({ status: 422, body: { error: { code: 'RISK_LIMIT_EXCEEDED', message: 'Order refused by risk limits', details: { failedChecks } }, correlationId: 'c' } }));
    const t = text(await call(client, 'place_order', { symbol: 'AAPL', action: 'BUY', quantity: 5000, orderType: 'MKT', previewId: 'pv_1' }));
    expect(t).toMatch(/- maxOrderNotional: notional 1000000 exceeds 250000/);
    expect(t).toMatch(/do not try to work around the limit/);
  });
});
