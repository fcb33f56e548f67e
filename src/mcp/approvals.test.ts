/**
 * An agent trading over MCP (the SDK's real Client, in memory) with an agent
 * key in live mode: place_order answers PENDING_APPROVAL with a hint to poll,
 * get_approval says why it waits, and once a person approves over REST the
 * agent sees APPROVED and the broker order to follow.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call as rest, startTestServer, type TestServer } from '../testing/api-harness.js';
import { createMcpServer } from './index.js';

const AGENT = 'mcpagentkey123';
const HUMAN = 'mcphumankey123';
let s: TestServer;
let mcp: Client;

beforeAll(async () => {
  const override = join(mkdtempSync(join(tmpdir(), 'mcp-approvals-')), 'live-ok');
  writeFileSync(override, 'yes');
  s = await startTestServer({
    TRADING_MODE: 'live',
    SIM_ACCOUNT_ID: 'U3456789',
    LIVE_TRADING_OVERRIDE_FILE: override,
    API_KEYS: `agent=${AGENT}:read+trade+agent,human=${HUMAN}:read+approve`,
  });
  const server = createMcpServer({ apiUrl: s.url, apiKey: AGENT });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  mcp = new Client({ name: 'mcp-approvals-test', version: '1.0.0' });
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

describe('an MCP agent whose orders need approval', () => {
  it('is told the order waits, polls it, and sees it approved and sent', async () => {
    const order = { symbol: 'MSFT', action: 'BUY', quantity: 3, orderType: 'MKT' };
    const preview = data<{ previewId: string }>(await call('preview_order', order));
    const placed = await call('place_order', { ...order, previewId: preview.previewId });
    const result = data<{ orderId: string; status: string }>(placed);
    expect(result.status).toBe('PENDING_APPROVAL');
    expect(text(placed)).toMatch(/waits for their approval/);
    expect(text(placed)).toMatch(/Poll get_order_status .* do NOT place it again/);

    const waiting = await call('get_approval', { approvalId: result.orderId });
    expect(data<{ state: string; requestedBy: string }>(waiting)).toMatchObject({ state: 'PENDING', requestedBy: 'key:agent' });
    expect(text(waiting)).toMatch(/APPROVAL_REQUIRED=agent/);

    // The agent has no way to approve: no tool for it, and its key lacks the scope.
    const { tools } = await mcp.listTools();
    expect(tools.map((t) => t.name).filter((n) => /approve/.test(n))).toEqual([]);

    const approved = await rest(s.url, `/api/approvals/${result.orderId}/approve`, { key: HUMAN, body: {} });
    expect(approved.status).toBe(200);
    const status = await call('get_order_status', { orderId: result.orderId });
    expect(data<{ status: string }>(status).status).toBe('APPROVED');
    expect(text(status)).toMatch(/sent as order \d+/);
    expect(text(await call('get_approval', { approvalId: result.orderId }))).toMatch(/Sent as broker order \d+/);
  });
});
