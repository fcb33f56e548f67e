/** MCP over stdio, for Claude Desktop / Claude Code: stdout carries the protocol, so nothing else may write to it. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { loadEnv, parseConfig } from '../core/config.js';
import type { McpServerOptions } from './server.js';
import { createMcpServer } from './server.js';

export async function runStdioServer(options: McpServerOptions): Promise<McpServer> {
  const server = createMcpServer(options);
  await server.connect(new StdioServerTransport());
  return server;
}

/** MCP_API_URL / MCP_API_KEY / MCP_TIMEOUT_MS (and .env) as the options; throws ConfigError naming a bad variable. */
export function stdioOptionsFromEnv(env: Record<string, string | undefined> = process.env): McpServerOptions {
  const { apiUrl, apiKey, timeoutMs } = parseConfig(loadEnv(env)).mcp;
  return { apiUrl, apiKey, timeoutMs };
}
