/**
 * The MCP server: tools and resources over the REST API. Stateless: it holds
 * nothing but how to reach the API, so a server per HTTP request (the /mcp
 * mount) costs nothing and every call sees the gateway's current state.
 */
import { readFileSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createApiCaller, type ApiConnection } from './http.js';
import { registerResources } from './resources.js';
import { registerAccountTools } from './tools/account.js';
import { registerAdminTools } from './tools/admin.js';
import { registerMarketTools } from './tools/market.js';
import { registerOrderTools } from './tools/orders.js';

export type McpServerOptions = ApiConnection;

// Read here rather than imported from core/client.js: that module opens SQLite and brokers, which a thin REST client must not load.
const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const INSTRUCTIONS = [
  'Interactive Brokers through ibkr-gateway. Every call goes through the gateway\'s safety gates, risk limits and audit log.',
  'To trade: preview_order, show the user the estimate, then place_order with the same fields and the previewId; follow with get_order_status.',
  'A retried place_order with the same previewId never places twice. If place_order fails or times out, check list_orders (status open) before anything else.',
  'An order with status SIMULATED was recorded but not sent (the gateway has orders disabled).',
  'If something goes wrong, engage_kill_switch stops all trading; only a human can release it.',
].join(' ');

export function createMcpServer(options: McpServerOptions): McpServer {
  const server = new McpServer({ name: 'ibkr-gateway', title: 'IBKR Gateway', version: VERSION }, { instructions: INSTRUCTIONS });
  const api = createApiCaller(options);
  const context = { api };
  registerMarketTools(server, context);
  registerAccountTools(server, context);
  registerOrderTools(server, context);
  registerAdminTools(server, context);
  registerResources(server, api);
  return server;
}
