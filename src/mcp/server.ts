/**
 * The MCP server: tools and resources over the REST API. Stateless: it holds
 * nothing but how to reach the API, so a server per HTTP request (the /mcp
 * mount) costs nothing and every call sees the gateway's current state.
 */
import { McpServer, type RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { CallToolRequestSchema, ErrorCode, McpError, type CallToolResult, type ServerNotification, type ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import { VERSION } from '../core/version.js';
import { createApiCaller, type ApiConnection } from './http.js';
import { registerResources } from './resources.js';
import { invalidArguments } from './results.js';
import { registerAccountTools } from './tools/account.js';
import { registerAdminTools } from './tools/admin.js';
import { registerAuditTools } from './tools/audit.js';
import { registerBulkOrderTools } from './tools/bulk-orders.js';
import { registerPrompts } from './prompts.js';
import { registerMarketTools } from './tools/market.js';
import { registerModifyTools } from './tools/modify.js';
import { registerApprovalTools } from './tools/approvals.js';
import { registerOrderTools } from './tools/orders.js';

export type McpServerOptions = ApiConnection;


const INSTRUCTIONS = [
  'Interactive Brokers through ibkr-gateway. Every call goes through the gateway\'s safety gates, risk limits and audit log.',
  'To trade: preview_order, show the user the estimate, then place_order with the same fields and the previewId; follow with get_order_status.',
  'A retried place_order with the same previewId never places twice. If place_order fails or times out, check list_orders (status open) before anything else.',
  'To change a working order: preview_modify_order, then modify_order with the same changes and the previewId.',
  'An order with status SIMULATED was recorded but not sent (the gateway has orders disabled).',
  'If something goes wrong, engage_kill_switch stops all trading; only a human can release it.',
].join(' ');

export function createMcpServer(options: McpServerOptions): McpServer {
  const server = new McpServer({ name: 'ibkr-gateway', title: 'IBKR Gateway', version: VERSION }, { instructions: INSTRUCTIONS });
  const api = createApiCaller(options);
  const context = { api };
  const tools = rememberTools(server);
  registerMarketTools(server, context);
  registerAccountTools(server, context);
  registerOrderTools(server, context);
  registerApprovalTools(server, context);
  registerBulkOrderTools(server, context);
  registerModifyTools(server, context);
  registerAdminTools(server, context);
  registerAuditTools(server, context);
  registerPrompts(server);
  registerResources(server, api);
  checkArgumentsOurselves(server, tools);
  return server;
}

/** Wraps registerTool on this instance to keep each RegisteredTool by name. */
function rememberTools(server: McpServer): Map<string, RegisteredTool> {
  const tools = new Map<string, RegisteredTool>();
  const register = server.registerTool.bind(server);
  const remembering: typeof server.registerTool = (name, config, cb) => {
    const tool = register(name, config, cb);
    tools.set(name, tool);
    return tool;
  };
  server.registerTool = remembering;
  return tools;
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;
type PlainHandler = (args: unknown, extra: Extra) => CallToolResult | Promise<CallToolResult>;

/**
 * Replaces the SDK's tools/call dispatch with the same steps (find, validate,
 * call) so that arguments that fail the schema come back like every other
 * failure: VALIDATION_ERROR, each field and why, and what to do next (for
 * place_order without previewId: preview first). The SDK's own message has no
 * code and no next step, and agents retry such calls unchanged.
 */
function checkArgumentsOurselves(server: McpServer, tools: Map<string, RegisteredTool>): void {
  server.server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const name = request.params.name;
    const tool = tools.get(name);
    if (tool === undefined || !tool.enabled) throw new McpError(ErrorCode.InvalidParams, `Tool ${name} not found`);
    // Every tool here is registered with a zod object schema and a plain callback.
    const schema = tool.inputSchema as z.ZodType;
    const parsed = await schema.safeParseAsync(request.params.arguments ?? {});
    if (!parsed.success) return invalidArguments(name, parsed.error.issues);
    return (tool.handler as PlainHandler)(parsed.data, extra);
  });
}
