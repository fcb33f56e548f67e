/**
 * `mcp`: the MCP server on stdio, for Claude Desktop / Claude Code. It calls
 * the REST API at MCP_API_URL with MCP_API_KEY, so the gateway (ibkr-gateway
 * start) must be running. stdout is the protocol: everything else goes to stderr.
 */
import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.js';
import { runStdioServer, stdioOptionsFromEnv } from '../../mcp/index.js';
import { EXIT } from '../run.js';

export function registerMcpCommand(program: Command): void {
  program
    .command('mcp')
    .description('Serve the MCP server on stdio for AI agents; it calls the REST API at MCP_API_URL with the key in MCP_API_KEY')
    .option('--api-url <url>', 'REST API to call (overrides MCP_API_URL)')
    .option('--timeout-ms <ms>', 'deadline per REST call in ms (default 10000; MCP_TIMEOUT_MS)')
    .action(async (o: { apiUrl?: string; timeoutMs?: string }) => {
      let options;
      try {
        options = stdioOptionsFromEnv(o.apiUrl === undefined ? process.env : { ...process.env, MCP_API_URL: o.apiUrl });
      } catch (err) {
        process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
        process.exitCode = EXIT.CONFIG;
        return;
      }
      if (o.timeoutMs !== undefined) {
        const ms = Number(o.timeoutMs);
        if (!Number.isInteger(ms) || ms <= 0) {
          process.stderr.write(`--timeout-ms must be a positive integer, got ${o.timeoutMs}\n`);
          process.exitCode = EXIT.CONFIG;
          return;
        }
        options.timeoutMs = ms;
      }
      if (options.apiKey === null) process.stderr.write('ibkr-gateway mcp: MCP_API_KEY is not set; every tool call will answer UNAUTHORIZED\n');
      await runStdioServer(options);
      process.stderr.write(`ibkr-gateway mcp: serving on stdio, calling ${options.apiUrl}\n`);
    });
}
