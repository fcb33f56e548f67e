/**
 * Resources: the same reads as the tools, for clients that attach context
 * rather than call tools. JSON text, read fresh from the REST API each time.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { AccountSummary, OrderDetail, OrderEvent, Position } from '../core/models.js';
import type { ApiCaller, RequestSpec } from './http.js';
import { errorResult } from './results.js';

interface ResourceDef {
  name: string;
  uri: string;
  title: string;
  description: string;
  schema: z.ZodType;
  request: Omit<RequestSpec, 'signal'>;
}

const RESOURCES: ResourceDef[] = [
  {
    name: 'account-summary',
    uri: 'ibkr://account/summary',
    title: 'Account summary',
    description: 'Balances, margin, buying power and P&L of the default account (AccountSummary, account currency)',
    schema: AccountSummary,
    request: { method: 'GET', path: '/api/account/summary' },
  },
  {
    name: 'account-positions',
    uri: 'ibkr://account/positions',
    title: 'Positions',
    description: 'Open positions of the default account: signed quantity, average cost, market value, P&L (Position[])',
    schema: z.array(Position),
    request: { method: 'GET', path: '/api/account/positions' },
  },
  {
    name: 'open-orders',
    uri: 'ibkr://orders/open',
    title: 'Open orders',
    description: 'Orders still working (not filled, cancelled, rejected, expired or simulated), newest first (OrderDetail[])',
    schema: z.array(OrderDetail),
    request: { method: 'GET', path: '/api/orders', query: { status: 'open' } },
  },
  {
    name: 'order-events',
    uri: 'ibkr://orders/events',
    title: 'Recent order events',
    description: 'The latest 100 order state changes and fills, oldest first, each with its sequence number (OrderEvent[]); GET /api/orders/stream streams them live',
    schema: z.array(OrderEvent),
    request: { method: 'GET', path: '/api/orders/events', query: { limit: 100 } },
  },
];

export function registerResources(server: McpServer, api: ApiCaller): void {
  for (const r of RESOURCES) {
    server.registerResource(r.name, r.uri, { title: r.title, description: r.description, mimeType: 'application/json' }, async (uri, extra): Promise<ReadResourceResult> => {
      try {
        const value = await api.request(r.schema, { ...r.request, signal: extra.signal });
        return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(value, null, 2) }] };
      } catch (err) {
        // Resources have no isError result: the read fails with the same code, message and next step a tool would give.
        const first = errorResult(err).content[0];
        throw new Error(first?.type === 'text' ? first.text : String(err));
      }
    });
  }
}
