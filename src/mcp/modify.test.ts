/**
 * preview_modify_order and modify_order through the SDK's real Client (in
 * memory) against a real REST API on the simulated broker.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, startTestServer, type TestServer } from '../testing/api-harness.js';
import { createMcpServer } from './index.js';

let s: TestServer;
let mcp: Client;
beforeAll(async () => {
  s = await startTestServer();
  const server = createMcpServer({ apiUrl: s.url, apiKey: KEYS.trade });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  mcp = new Client({ name: 'mcp-modify-test', version: '1.0.0' });
  await mcp.connect(b);
});
afterAll(async () => {
  await mcp?.close();
  await s?.close();
});

const call = async (name: string, args: Record<string, unknown>): Promise<CallToolResult> => (await mcp.callTool({ name, arguments: args })) as CallToolResult;
const text = (r: CallToolResult): string => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
function data<T>(r: CallToolResult): T {
  expect(r.isError, text(r)).toBeFalsy();
  return r.structuredContent as T;
}

async function restingBuy(): Promise<{ orderId: string; limitPrice: number }> {
  const quote = await s.client.getQuote({ symbol: 'AAPL' });
  const limitPrice = Math.floor((quote.bid as number) * 0.95);
  const placed = await s.client.placeOrder({ symbol: 'AAPL', action: 'BUY', quantity: 10, orderType: 'LMT', limitPrice, timeInForce: 'GTC' });
  return { orderId: placed.orderId, limitPrice };
}

describe('modify_order over MCP', () => {
  it('requires previewId in its schema, and refuses a call without one', async () => {
    const { tools } = await mcp.listTools();
    const modify = tools.find((t) => t.name === 'modify_order');
    expect(modify?.inputSchema.required).toEqual(expect.arrayContaining(['orderId', 'previewId']));
    expect(modify?.inputSchema).toMatchObject({ additionalProperties: false });
    expect(modify?.annotations).toMatchObject({ destructiveHint: true, idempotentHint: true });
    const { orderId } = await restingBuy();
    const refused = await call('modify_order', { orderId, quantity: 5 });
    expect(refused.isError).toBe(true);
    expect((await s.client.getOrderStatus(orderId)).spec.quantity).toBe(10);
  });

  it('preview then modify changes the order once, even when the call is repeated; other changes need their own preview', async () => {
    const { orderId, limitPrice } = await restingBuy();
    const preview = await call('preview_modify_order', { orderId, quantity: 6, limitPrice: limitPrice - 1 });
    const p = data<{ previewId: string; spec: { quantity: number } }>(preview);
    expect(p.spec.quantity).toBe(6);
    expect(text(preview)).toContain(`previewId "${p.previewId}"`);

    const other = await call('modify_order', { orderId, quantity: 7, limitPrice: limitPrice - 1, previewId: p.previewId });
    expect(other.isError).toBe(true);
    expect(text(other)).toContain('PREVIEW_MISMATCH');

    const first = data<{ modified: boolean; idempotentReplay: boolean; spec: { quantity: number } }>(await call('modify_order', { orderId, quantity: 6, limitPrice: limitPrice - 1, previewId: p.previewId }));
    expect(first).toMatchObject({ modified: true, idempotentReplay: false, spec: { quantity: 6 } });
    const again = await call('modify_order', { orderId, quantity: 6, limitPrice: limitPrice - 1, previewId: p.previewId });
    expect(data<{ idempotentReplay: boolean }>(again).idempotentReplay).toBe(true);
    expect(text(again)).toMatch(/nothing new was sent/);
    expect((await s.client.queryAudit({ orderId, eventType: 'ORDER_MODIFY_REQUESTED' })).entries).toHaveLength(1);
  });
});
