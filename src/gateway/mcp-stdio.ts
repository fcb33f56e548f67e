/**
 * `mcp`: the MCP server on stdio. It is a thin REST client (it calls the
 * running gateway), so only the MCP module loads, never a broker or SQLite.
 */
import type { Env } from '../core/config.js';

export interface McpStdioRequest {
  env: Env;
  /** Deadline per REST call in ms; default MCP_TIMEOUT_MS or 10 s. */
  timeoutMs?: number;
  /** Called before serving when MCP_API_KEY is unset (every tool call would answer UNAUTHORIZED). */
  onMissingKey?: () => void;
}

/** Validates the MCP settings (throws ConfigError) and serves on stdio; resolves with the REST URL and whether a key is set. */
export async function runMcpStdio(request: McpStdioRequest): Promise<{ apiUrl: string; apiKeySet: boolean }> {
  const { runStdioServer, stdioOptionsFromEnv } = await import('../mcp/index.js');
  const options = stdioOptionsFromEnv(request.env);
  if (request.timeoutMs !== undefined) options.timeoutMs = request.timeoutMs;
  if (options.apiKey === null) request.onMissingKey?.();
  await runStdioServer(options);
  return { apiUrl: options.apiUrl, apiKeySet: options.apiKey !== null };
}
