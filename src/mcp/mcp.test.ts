/**
 * The MCP server end to end: the SDK's real Client over stdio (a child
 * process running the built entry) and over Streamable HTTP (/mcp mounted on
 * the REST server), against a real REST API on the simulated broker.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiServer } from '../api/index.js';
import { createClient } from '../gateway.js';
import type { Clock } from '../core/clock.js';
import type { GatewayClient } from '../core/client/interface.js';
import { createMcpServer, mountMcpHttp } from './index.js';

const ROOT = resolve(import.meta.dirname, '../..');
const STDIO_ENTRY = join(ROOT, 'dist/mcp/stdio-main.js');
const CLI_ENTRY = join(ROOT, 'dist/cli/main.js');

const KEYS = { read: 'readkey12345', trade: 'tradekey1234', admin: 'adminkey5678' } as const;

/** Real time plus an offset the test can move forward, so a preview can really go stale. */
let clockOffsetMs = 0;
const clock: Clock = { now: () => Date.now() + clockOffsetMs, onAdvance: () => () => undefined };

let dataDir: string;
let gateway: GatewayClient;
let app: FastifyInstance;
let apiUrl: string;
const clients: Client[] = [];

beforeAll(async () => {
  if (!existsSync(STDIO_ENTRY)) throw new Error(`${STDIO_ENTRY} is missing: run npm run build before these tests`);
  dataDir = mkdtempSync(join(tmpdir(), 'ibkr-mcp-'));
  gateway = await createClient({
    clock,
    env: {
      DATA_DIR: dataDir,
      SIM_SESSION: 'always-open',
      ORDERS_ENABLED: 'true',
      // The admin key is configured as `admin` alone: scopes are hierarchical, so it reads and trades too.
      API_KEYS: `${KEYS.read}:read,${KEYS.trade}:read+trade,${KEYS.admin}:admin`,
      LOG_LEVEL: 'silent',
      // Several tests place the same small order; the duplicate guard would refuse the repeats.
      DUPLICATE_ORDER_WINDOW_SECONDS: '0',
    },
  });
  app = await buildApiServer(gateway);
  mountMcpHttp(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  apiUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await app?.close();
  await gateway?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function stdioClient(env: Record<string, string>, entry: string[] = [STDIO_ENTRY]): Promise<Client> {
  const client = new Client({ name: 'mcp-test', version: '1.0.0' });
  // cwd is the temp dir so a developer's .env in the repo does not leak into the child.
  const transport = new StdioClientTransport({ command: process.execPath, args: entry, env: { PATH: process.env.PATH ?? '', ...env }, cwd: dataDir, stderr: 'pipe' });
  await client.connect(transport);
  clients.push(client);
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

function text(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

function data<T = Record<string, unknown>>(result: CallToolResult): T {
  expect(result.isError, text(result)).toBeFalsy();
  return result.structuredContent as T;
}

function expectToolError(result: CallToolResult, code: string): string {
  expect(result.isError, JSON.stringify(result)).toBe(true);
  const t = text(result);
  expect(t).toContain(code);
  expect(t).toContain('Next:');
  return t;
}

const ORDER = { symbol: 'AAPL', action: 'BUY', quantity: 3, orderType: 'MKT' } as const;

describe('over stdio', () => {
  let mcp: Client;
  beforeAll(async () => {
    mcp = await stdioClient({ MCP_API_URL: apiUrl, MCP_API_KEY: KEYS.trade });
  });

  it('lists the tools with schemas from the models; place_order requires previewId; nothing can release the kill switch', async () => {
    const { tools } = await mcp.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect([...byName.keys()].sort()).toEqual(
      [
        'cancel_all_orders',
        'cancel_order',
        'close_position',
        'engage_kill_switch',
        'get_approval',
        'get_account_status',
        'get_historical_data',
        'get_option_chain',
        'get_order_status',
        'get_pnl',
        'get_quote',
        'list_orders',
        'modify_order',
        'place_order',
        'preview_close_position',
        'preview_modify_order',
        'preview_order',
        'query_audit_log',
        'resolve_contract',
        'verify_audit_log',
      ].sort(),
    );
    const place = byName.get('place_order');
    const preview = byName.get('preview_order');
    expect(place?.inputSchema.required).toEqual(expect.arrayContaining(['symbol', 'action', 'quantity', 'orderType', 'previewId']));
    expect(place?.inputSchema.properties).toHaveProperty('limitPrice');
    expect(preview?.inputSchema.properties).not.toHaveProperty('previewId');
    expect(preview?.inputSchema.required).toEqual(expect.arrayContaining(['symbol', 'action', 'quantity', 'orderType']));
    expect(preview?.inputSchema.properties?.orderType).toMatchObject({ enum: expect.arrayContaining(['MKT', 'LMT', 'STP', 'TRAIL']) });
    // A misspelled field must be refused, not dropped: it could be the stop loss.
    expect(place?.inputSchema).toMatchObject({ additionalProperties: false });
    expect(place?.description).toMatch(/preview_order first/);
    expect(byName.get('close_position')?.inputSchema.required).toEqual(expect.arrayContaining(['symbol', 'previewId']));
    expect(byName.get('get_quote')?.inputSchema.required).toEqual(['symbol']);
    expect(byName.get('get_order_status')?.inputSchema.required).toEqual(['orderId']);

    for (const t of tools) {
      expect(t.description?.length, t.name).toBeGreaterThan(80);
      expect(t.outputSchema, t.name).toBeDefined();
    }
    for (const name of ['get_quote', 'get_historical_data', 'get_account_status', 'get_pnl', 'get_order_status', 'list_orders', 'resolve_contract', 'get_option_chain', 'preview_order', 'preview_close_position']) {
      expect(byName.get(name)?.annotations, name).toMatchObject({ readOnlyHint: true });
    }
    for (const name of ['place_order', 'cancel_order', 'engage_kill_switch', 'cancel_all_orders', 'close_position']) {
      expect(byName.get(name)?.annotations, name).toMatchObject({ readOnlyHint: false, destructiveHint: true, idempotentHint: true });
    }
    expect(byName.get('engage_kill_switch')?.inputSchema.properties).not.toHaveProperty('engaged');
  });

  it('get_quote returns the quote as structured content and a readable line', async () => {
    const result = await call(mcp, 'get_quote', { symbol: 'aapl' });
    const quote = data<{ symbol: string; last: number; source: string }>(result);
    expect(quote).toMatchObject({ symbol: 'AAPL', source: 'SIMULATED' });
    expect(quote.last).toBeGreaterThan(0);
    expect(text(result)).toMatch(/^AAPL: last [\d,.]+, bid/);
  });

  it('reads: historical bars, account status, P&L, contract, option chain', async () => {
    const bars = data<{ bars: unknown[] }>(await call(mcp, 'get_historical_data', { symbol: 'MSFT', barSize: '1 day', duration: '1 M' }));
    expect(bars.bars.length).toBeGreaterThan(10);
    const status = await call(mcp, 'get_account_status');
    expect(data<{ summary: { accountId: string } }>(status).summary.accountId).toBe('DU1234567');
    expect(text(status)).toMatch(/net liquidation/);
    expect(data(await call(mcp, 'get_pnl'))).toHaveProperty('dailyPnl');
    expect(data(await call(mcp, 'resolve_contract', { symbol: 'AAPL' }))).toMatchObject({ symbol: 'AAPL', securityType: 'STK' });
    const chain = data<{ options: unknown[] }>(await call(mcp, 'get_option_chain', { symbol: 'AAPL', strikesAroundSpot: 2 }));
    expect(chain.options.length).toBeGreaterThan(0);
  });

  it('preview then place: the order is placed, shows in get_order_status and list_orders', async () => {
    const preview = await call(mcp, 'preview_order', ORDER);
    const { previewId } = data<{ previewId: string }>(preview);
    expect(text(preview)).toContain(`previewId "${previewId}"`);

    const placed = await call(mcp, 'place_order', { ...ORDER, previewId });
    const result = data<{ orderId: string; status: string; idempotentReplay: boolean }>(placed);
    expect(result.idempotentReplay).toBe(false);
    expect(['FILLED', 'ACCEPTED', 'SUBMITTED', 'PARTIALLY_FILLED']).toContain(result.status);
    expect(text(placed)).toContain(`Order ${result.orderId}`);

    const status = data<{ orderId: string; spec: { symbol: string; quantity: number } }>(await call(mcp, 'get_order_status', { orderId: result.orderId }));
    expect(status).toMatchObject({ orderId: result.orderId, spec: { symbol: 'AAPL', quantity: 3 } });
    const list = data<{ orders: Array<{ orderId: string }> }>(await call(mcp, 'list_orders', { status: 'all', symbol: 'AAPL' }));
    expect(list.orders.map((o) => o.orderId)).toContain(result.orderId);
  });

  let replayed: { order: Record<string, unknown>; previewId: string; orderId: string } | null = null;

  it('a replayed place_order (same previewId) places once', async () => {
    const order = { ...ORDER, symbol: 'MSFT', quantity: 7 };
    const { previewId } = data<{ previewId: string }>(await call(mcp, 'preview_order', order));
    const first = data<{ orderId: string; idempotentReplay: boolean }>(await call(mcp, 'place_order', { ...order, previewId }));
    const again = await call(mcp, 'place_order', { ...order, previewId });
    const second = data<{ orderId: string; idempotentReplay: boolean }>(again);
    expect(second.orderId).toBe(first.orderId);
    expect(second.idempotentReplay).toBe(true);
    expect(text(again)).toMatch(/nothing new was sent/);
    const list = data<{ orders: Array<{ orderId: string; spec: { quantity: number } }> }>(await call(mcp, 'list_orders', { symbol: 'MSFT' }));
    expect(list.orders.filter((o) => o.spec.quantity === 7 && o.orderId === first.orderId)).toHaveLength(1);
    expect(list.orders.filter((o) => o.spec.quantity === 7)).toHaveLength(1);
    replayed = { order, previewId, orderId: first.orderId };
  });

  it('place_order without a previewId is refused before anything reaches the gateway', async () => {
    const before = (await gateway.listOrders({ status: 'all', limit: 1000 })).length;
    const t = expectToolError(await call(mcp, 'place_order', { ...ORDER }), 'VALIDATION_ERROR');
    expect(t).toMatch(/previewId: previewId is required: call preview_order first/);
    expect(t).toMatch(/Next: place_order only places an order that was previewed/);
    expect((await gateway.listOrders({ status: 'all', limit: 1000 })).length).toBe(before);
  });

  it('place_order with a made-up previewId: PREVIEW_NOT_FOUND', async () => {
    expectToolError(await call(mcp, 'place_order', { ...ORDER, previewId: 'pv_madeup0000000000000' }), 'PREVIEW_NOT_FOUND');
  });

  it('place_order with a changed spec, or the previewId of another order: PREVIEW_MISMATCH', async () => {
    const { previewId } = data<{ previewId: string }>(await call(mcp, 'preview_order', { ...ORDER, quantity: 5 }));
    const t = expectToolError(await call(mcp, 'place_order', { ...ORDER, quantity: 50, previewId }), 'PREVIEW_MISMATCH');
    expect(t).toMatch(/Next: place_order must repeat exactly the fields/);
    const other = data<{ previewId: string }>(await call(mcp, 'preview_order', { symbol: 'SPY', securityType: 'ETF', action: 'SELL', quantity: 1, orderType: 'MKT' }));
    expectToolError(await call(mcp, 'place_order', { ...ORDER, quantity: 5, previewId: other.previewId }), 'PREVIEW_MISMATCH');
  });

  it('place_order with a stale preview: PREVIEW_EXPIRED', async () => {
    const order = { ...ORDER, quantity: 4 };
    const { previewId } = data<{ previewId: string }>(await call(mcp, 'preview_order', order));
    clockOffsetMs += 10 * 60_000; // past the default 300 s preview lifetime
    expectToolError(await call(mcp, 'place_order', { ...order, previewId }), 'PREVIEW_EXPIRED');
    // A retry that arrives after the preview expired still gets the first result: the idempotency key wins over freshness.
    expect(replayed).not.toBeNull();
    if (replayed) {
      const late = data<{ orderId: string; idempotentReplay: boolean }>(await call(mcp, 'place_order', { ...replayed.order, previewId: replayed.previewId }));
      expect(late).toMatchObject({ orderId: replayed.orderId, idempotentReplay: true });
    }
  });

  it('a field-level problem comes back as a tool error naming the field', async () => {
    const result = await call(mcp, 'preview_order', { ...ORDER, orderType: 'LMT' });
    const t = expectToolError(result, 'VALIDATION_ERROR');
    expect(t).toMatch(/limitPrice/);
    const unknown = expectToolError(await call(mcp, 'preview_order', { ...ORDER, stop_loss_price: 1 }), 'VALIDATION_ERROR');
    expect(unknown).toMatch(/stop_loss_price: unknown field/);
    expectToolError(await call(mcp, 'get_quote', { symbol: '' }), 'VALIDATION_ERROR');
  });

  it('cancel_order of a finished order says there is nothing to cancel', async () => {
    const { previewId } = data<{ previewId: string }>(await call(mcp, 'preview_order', { ...ORDER, quantity: 2 }));
    const placed = data<{ orderId: string; status: string }>(await call(mcp, 'place_order', { ...ORDER, quantity: 2, previewId }));
    const result = await call(mcp, 'cancel_order', { orderId: placed.orderId });
    if (placed.status === 'FILLED') expectToolError(result, 'ORDER_NOT_CANCELLABLE');
    else expect(data(result)).toMatchObject({ orderId: placed.orderId });
    expectToolError(await call(mcp, 'get_order_status', { orderId: 'nosuchorder' }), 'ORDER_NOT_FOUND');
  });

  it('resources: account summary, positions and open orders are readable JSON', async () => {
    const { resources } = await mcp.listResources();
    expect(resources.map((r) => r.uri).sort()).toEqual(['ibkr://account/positions', 'ibkr://account/summary', 'ibkr://orders/events', 'ibkr://orders/open']);
    const summary = await mcp.readResource({ uri: 'ibkr://account/summary' });
    const first = summary.contents[0];
    expect(first && 'text' in first ? (JSON.parse(first.text) as { accountId: string }).accountId : null).toBe('DU1234567');
    const positions = await mcp.readResource({ uri: 'ibkr://account/positions' });
    const p = positions.contents[0];
    expect(p && 'text' in p ? (JSON.parse(p.text) as Array<{ symbol: string }>).map((x) => x.symbol) : []).toContain('AAPL');
    const open = await mcp.readResource({ uri: 'ibkr://orders/open' });
    expect(open.contents[0]).toMatchObject({ mimeType: 'application/json' });
  });

  it('resource ibkr://orders/events: recent order events with their sequence numbers, oldest first', async () => {
    const read = await mcp.readResource({ uri: 'ibkr://orders/events' });
    const first = read.contents[0];
    const events = first && 'text' in first ? (JSON.parse(first.text) as Array<{ sequence: number; kind: string; orderId: string }>) : [];
    expect(events.length).toBeGreaterThan(0);
    const sequences = events.map((e) => e.sequence);
    expect(sequences).toEqual([...sequences].sort((x, y) => x - y));
    expect(new Set(events.map((e) => e.kind))).toContain('NEW');
  });

  it('cancel_all_orders cancels every working order and reports each', async () => {
    const quote = await gateway.getQuote({ symbol: 'AAPL' });
    const limitPrice = Math.round((quote.last ?? 100) * 0.92 * 100) / 100;
    const resting = await gateway.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity: 1, orderType: 'LMT', limitPrice });
    const result = await call(mcp, 'cancel_all_orders', {});
    const r = data<{ cancelled: Array<{ orderId: string; status: string }>; failed: unknown[] }>(result);
    expect(r.cancelled.map((c) => c.orderId)).toContain(resting.orderId);
    expect(r.failed).toEqual([]);
    expect(text(result)).toMatch(/order\(s\) cancelled/);
    expect(await gateway.listOrders({ status: 'open' })).toEqual([]);
  });

  it('close_position needs a preview_close_position; the same previewId closes once', async () => {
    await gateway.placeOrder({ symbol: 'IBM', action: 'BUY', quantity: 4, orderType: 'MKT' });
    const held = async (): Promise<number> => (await gateway.getPositions()).find((p) => p.symbol === 'IBM')?.quantity ?? 0;
    for (let i = 0; i < 200 && (await held()) !== 4; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await held()).toBe(4);

    expectToolError(await call(mcp, 'close_position', { symbol: 'IBM' }), 'VALIDATION_ERROR');
    const preview = data<{ previewId: string; spec: { action: string; quantity: number } }>(await call(mcp, 'preview_close_position', { symbol: 'ibm' }));
    expect(preview.spec).toMatchObject({ action: 'SELL', quantity: 4 });
    const closed = data<{ orderId: string; idempotentReplay: boolean }>(await call(mcp, 'close_position', { symbol: 'IBM', previewId: preview.previewId }));
    expect(closed.idempotentReplay).toBe(false);
    const again = await call(mcp, 'close_position', { symbol: 'IBM', previewId: preview.previewId });
    expect(data(again)).toMatchObject({ orderId: closed.orderId, idempotentReplay: true });
    expect(text(again)).toMatch(/nothing new was sent/);
    for (let i = 0; i < 200 && (await held()) !== 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await held()).toBe(0);
    expectToolError(await call(mcp, 'preview_close_position', { symbol: 'IBM' }), 'POSITION_NOT_FOUND');
  });

  it('engage_kill_switch with a read-only key: FORBIDDEN (a trade key may engage it)', async () => {
    const reader = await stdioClient({ MCP_API_URL: apiUrl, MCP_API_KEY: KEYS.read });
    try {
      const t = expectToolError(await call(reader, 'engage_kill_switch', { reason: 'test' }), 'FORBIDDEN');
      // The hint says what the server enforces, in the server's words.
      expect(t).toContain('engaging the kill switch need trade');
      expect(t).toContain('admin includes trade, trade includes read');
    } finally {
      await reader.close();
    }
  });

  it('a wrong API key gives UNAUTHORIZED as a tool error', async () => {
    const wrong = await stdioClient({ MCP_API_URL: apiUrl, MCP_API_KEY: 'wrongkey9999' });
    const t = expectToolError(await call(wrong, 'get_quote', { symbol: 'AAPL' }), 'UNAUTHORIZED');
    expect(t).toMatch(/MCP_API_KEY/);
  });

  it('the gateway down gives API_UNREACHABLE within the timeout', async () => {
    const closedPort = await freePort();
    const down = await stdioClient({ MCP_API_URL: `http://127.0.0.1:${closedPort}`, MCP_API_KEY: KEYS.trade, MCP_TIMEOUT_MS: '2000' });
    const started = Date.now();
    const t = expectToolError(await call(down, 'get_account_status'), 'API_UNREACHABLE');
    expect(Date.now() - started).toBeLessThan(2500);
    expect(t).toMatch(/ibkr-gateway start|MCP_API_URL/);
  });

  it('`ibkr-gateway mcp` serves the same tools', async () => {
    const cli = await stdioClient({ MCP_API_URL: apiUrl, MCP_API_KEY: KEYS.trade }, [CLI_ENTRY, 'mcp']);
    expect((await cli.listTools()).tools).toHaveLength(20);
    expect(data(await call(cli, 'get_quote', { symbol: 'MSFT' }))).toMatchObject({ symbol: 'MSFT' });
  });
});

describe('a slow or broken gateway', () => {
  let stub: Server;
  let stubUrl: string;
  beforeAll(async () => {
    // /hang never answers; /api/... answers 502 with an HTML page, like a proxy in front of a dead gateway.
    stub = createServer((req, res) => {
      if (req.url?.startsWith('/api/market/quote')) return; // hang
      res.writeHead(502, { 'content-type': 'text/html' }).end('<html>Bad Gateway</html>');
    });
    await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
    stubUrl = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    stub.closeAllConnections();
    await new Promise<void>((r) => stub.close(() => r()));
  });

  async function inMemory(timeoutMs: number): Promise<Client> {
    const server = createMcpServer({ apiUrl: stubUrl, apiKey: KEYS.trade, timeoutMs });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(a);
    const client = new Client({ name: 'mcp-test', version: '1.0.0' });
    await client.connect(b);
    clients.push(client);
    return client;
  }

  it('a hung gateway gives API_TIMEOUT after the deadline, not a hung tool call', async () => {
    const client = await inMemory(300);
    const started = Date.now();
    const t = expectToolError(await call(client, 'get_quote', { symbol: 'AAPL' }), 'API_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(t).toMatch(/within 300 ms/);
  });

  it('a 5xx without a gateway error body gives API_BAD_RESPONSE', async () => {
    const client = await inMemory(2000);
    expectToolError(await call(client, 'get_pnl'), 'API_BAD_RESPONSE');
  });

  it('a timed-out place_order tells the agent the retry with the same previewId is safe', async () => {
    const server = createMcpServer({ apiUrl: stubUrl, apiKey: KEYS.trade, timeoutMs: 300, fetch: hangingFetch });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(a);
    const client = new Client({ name: 'mcp-test', version: '1.0.0' });
    await client.connect(b);
    clients.push(client);
    const t = expectToolError(await call(client, 'place_order', { ...ORDER, previewId: 'pv_x' }), 'API_TIMEOUT');
    expect(t).toMatch(/previewId "pv_x" is safe/);
  });
});

describe('Streamable HTTP at /mcp on the REST server', () => {
  async function httpClient(key: string | null): Promise<Client> {
    const client = new Client({ name: 'mcp-http-test', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${apiUrl}/mcp`), { requestInit: { headers: key === null ? {} : { 'x-api-key': key } } });
    await client.connect(transport);
    clients.push(client);
    return client;
  }

  it('serves the tools with the caller key: preview and place work with a trade key', async () => {
    const mcp = await httpClient(KEYS.trade);
    expect((await mcp.listTools()).tools).toHaveLength(20);
    const order = { ...ORDER, symbol: 'AMZN', quantity: 1 };
    const { previewId } = data<{ previewId: string }>(await call(mcp, 'preview_order', order));
    const placed = data<{ orderId: string }>(await call(mcp, 'place_order', { ...order, previewId }));
    expect(data(await call(mcp, 'get_order_status', { orderId: placed.orderId }))).toMatchObject({ orderId: placed.orderId });
  });

  it('forwards the caller key, so a read-only key cannot trade through MCP', async () => {
    const mcp = await httpClient(KEYS.read);
    expect(data(await call(mcp, 'get_quote', { symbol: 'AAPL' }))).toMatchObject({ symbol: 'AAPL' });
    expectToolError(await call(mcp, 'preview_order', ORDER), 'FORBIDDEN');
  });

  it('offers prompts that walk an agent through the safe order of calls', async () => {
    const mcp = await httpClient(KEYS.read);
    const { prompts } = await mcp.listPrompts();
    expect(prompts.map((p) => p.name).sort()).toEqual(['explain_order_audit', 'place_order_safely', 'review_portfolio']);
    const placing = await mcp.getPrompt({ name: 'place_order_safely', arguments: { symbol: 'AAPL', action: 'BUY', quantity: '5', limitPrice: '170' } });
    const said = placing.messages.map((m) => (m.content.type === 'text' ? m.content.text : '')).join('\n');
    expect(said).toContain('BUY 5 AAPL');
    expect(said).toMatch(/preview_order[\s\S]*confirm[\s\S]*place_order with the same fields and the previewId/);
    await expect(mcp.getPrompt({ name: 'place_order_safely', arguments: { symbol: 'AAPL', action: 'HOLD', quantity: '5' } })).rejects.toThrow(/action/);
  });

  it('the audit tools read an order\'s trail with an admin key; other keys get FORBIDDEN with the scope named', async () => {
    const admin = await httpClient(KEYS.admin);
    const order = { ...ORDER, symbol: 'NVDA', quantity: 2 };
    const { previewId } = data<{ previewId: string }>(await call(admin, 'preview_order', order));
    const placed = data<{ orderId: string }>(await call(admin, 'place_order', { ...order, previewId }));
    const trail = await call(admin, 'query_audit_log', { orderId: placed.orderId });
    const page = data<{ entries: { eventType: string; orderId: string | null }[] }>(trail);
    expect(page.entries.length).toBeGreaterThan(0);
    expect(page.entries.every((e) => e.orderId === placed.orderId)).toBe(true);
    expect(page.entries.map((e) => e.eventType)).toContain('ORDER_SUBMITTED');
    expect(text(trail)).toContain(`order ${placed.orderId}`);
    expect(data(await call(admin, 'verify_audit_log'))).toMatchObject({ ok: true });
    const trader = await httpClient(KEYS.trade);
    expect(expectToolError(await call(trader, 'query_audit_log', { orderId: placed.orderId }), 'FORBIDDEN')).toMatch(/admin/);
  });

  it('GET and DELETE are 405: the endpoint is stateless', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(`${apiUrl}/mcp`, { method, headers: { 'x-api-key': KEYS.read, accept: 'text/event-stream' } });
      expect([method, res.status, res.headers.get('allow')]).toEqual([method, 405, 'POST']);
    }
  });

  it("answers with the REST server's correlation id and security headers", async () => {
    const res = await fetch(`${apiUrl}/mcp`, {
      method: 'POST',
      headers: { 'x-api-key': KEYS.read, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-correlation-id': 'mcp-trace-1' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-correlation-id')).toBe('mcp-trace-1');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    await res.text();
  });

  it('refuses a request without a valid key', async () => {
    await expect(httpClient(null)).rejects.toThrow(/401|UNAUTHORIZED|API key/);
    await expect(httpClient('wrongkey9999')).rejects.toThrow(/401|UNAUTHORIZED|not valid/);
  });

  it('an admin key can engage the kill switch; afterwards place_order is refused and no tool releases it', async () => {
    const mcp = await httpClient(KEYS.admin);
    const engaged = await call(mcp, 'engage_kill_switch', { reason: 'agent saw runaway losses' });
    expect(data(engaged)).toMatchObject({ engaged: true, reason: 'agent saw runaway losses' });
    const order = { ...ORDER, quantity: 9 };
    const { previewId } = data<{ previewId: string }>(await call(mcp, 'preview_order', order));
    const t = expectToolError(await call(mcp, 'place_order', { ...order, previewId }), 'KILL_SWITCH_ENGAGED');
    expect(t).toMatch(/human/);
    expect((await mcp.listTools()).tools.map((x) => x.name).filter((n) => /release/.test(n))).toEqual([]);
  });
});

/** A fetch that never answers but honours its abort signal, as undici does. */
const hangingFetch: typeof fetch = (_input, init) =>
  new Promise<Response>((_resolve, reject) => {
    init?.signal?.addEventListener('abort', () => reject(init.signal?.reason instanceof Error ? init.signal.reason : new Error('aborted')));
  });

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
